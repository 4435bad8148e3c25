// The bailiff console's photos and documents of the auction managed: upload a photo (with the
// alt text that says what it shows, in the auction's language) or a PDF (with its title), put the
// photos in the order the lot page shows them, withdraw a file with a reason. The server judges
// each file by its content; its answer is said in plain words.

import { ApiError, NetworkError, auctionPath, describeError, getJson } from "./api.js";
import { byId, h, idFromPath, say } from "./layout.js";
import { currentSession } from "./session.js";
import { fileSize } from "./gallery.js";

const auctionId = idFromPath("/app/bailiff");
let photos = [];

/** A file's bytes as the request body; the text (alt or title) in the query. */
async function upload(kind, file, text) {
  const session = currentSession();
  const parameter = kind === "photos" ? "alt" : "title";
  const url = `${auctionPath(auctionId)}/${kind}?${parameter}=${encodeURIComponent(text)}`;
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { Authorization: `Bearer ${session ? session.token : ""}`, "Content-Type": "application/octet-stream" },
      body: file,
    });
  } catch (error) {
    throw new NetworkError(error);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = body.error || {};
    throw new ApiError(response.status, error.code || `http_${response.status}`, error.message || "refused");
  }
  return body;
}

async function send(method, path, payload) {
  const session = currentSession();
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${session ? session.token : ""}`, "Content-Type": "application/json" },
    body: JSON.stringify(payload),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = body.error || {};
    throw new ApiError(response.status, error.code || `http_${response.status}`, error.message || "refused");
  }
  return body;
}

const REFUSALS = {
  unsupported_media_type: "This file is not a JPEG, PNG or WebP photo, or not a PDF: it was not published.",
  request_too_large: "This file is larger than the server accepts: it was not published.",
  image_too_large: "This image has more pixels than the server accepts: it was not published.",
  invalid_file: "This file is damaged or incomplete: it was not published.",
  already_published: "This file is already published.",
};

function refusal(error) {
  if (error instanceof ApiError && REFUSALS[error.code]) return `${REFUSALS[error.code]} (${error.message})`;
  return describeError(error);
}

function move(index, step) {
  const order = photos.map((photo) => photo.sha256);
  const [moved] = order.splice(index, 1);
  order.splice(index + step, 0, moved);
  return order;
}

async function reorder(order) {
  try {
    render(await send("PUT", `${auctionPath(auctionId)}/photos/order`, { order }));
    say(byId("files-result"), "The photos' order is saved.", "ok");
  } catch (error) {
    say(byId("files-result"), refusal(error), "error");
  }
}

async function withdraw(kind, file) {
  const reason = window.prompt(`Why is "${file.alt || file.title}" withdrawn? (kept in the auction's record)`);
  if (!reason) return;
  try {
    await send("POST", `${auctionPath(auctionId)}/${kind}/${file.sha256}/withdraw`, { reason });
    say(byId("files-result"), "Withdrawn: no longer shown, kept in the record.", "ok");
    await load();
  } catch (error) {
    say(byId("files-result"), refusal(error), "error");
  }
}

function photoLine(photo, index) {
  const url = `${auctionPath(auctionId)}/files/${photo.thumbnail}`;
  return h(
    "li",
    { class: "console-photo" },
    h("img", { src: url, alt: photo.alt, width: 96 }),
    h("span", { text: ` ${photo.alt} ` }),
    h("button", { type: "button", class: "secondary", disabled: index === 0, onclick: () => reorder(move(index, -1)) }, "Earlier"),
    h("button", { type: "button", class: "secondary", disabled: index === photos.length - 1, onclick: () => reorder(move(index, 1)) }, "Later"),
    h("button", { type: "button", class: "secondary", onclick: () => withdraw("photos", photo) }, "Withdraw"),
  );
}

function documentLine(doc) {
  return h(
    "li",
    {},
    h("a", { href: `${auctionPath(auctionId)}/files/${doc.sha256}` }, doc.title),
    h("span", { text: ` · ${fileSize(doc.size)} · SHA-256 ` }),
    h("code", { class: "sha256", text: doc.sha256 }),
    " ",
    h("button", { type: "button", class: "secondary", onclick: () => withdraw("documents", doc) }, "Withdraw"),
  );
}

function render(files) {
  photos = files.photos;
  byId("console-photos").replaceChildren(...files.photos.map(photoLine));
  byId("console-documents").replaceChildren(...files.documents.map(documentLine));
}

async function load() {
  try {
    render(await getJson(`${auctionPath(auctionId)}/files`));
  } catch (error) {
    say(byId("files-result"), describeError(error), "error");
  }
}

function submitter(formId, kind, fileId, textId) {
  byId(formId).addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = byId(fileId).files[0];
    const text = byId(textId).value.trim();
    if (!file || !text) {
      say(byId("files-result"), kind === "photos" ? "Choose a photo and say what it shows." : "Choose a PDF and give its title.", "error");
      return;
    }
    try {
      const answer = await upload(kind, file, text);
      say(byId("files-result"), `Published: ${text} (SHA-256 ${answer.sha256}).`, "ok");
      byId(formId).reset();
      await load();
    } catch (error) {
      say(byId("files-result"), refusal(error), "error");
    }
  });
}

function start() {
  if (!auctionId || !byId("files-console")) return;
  byId("files-console").hidden = false;
  submitter("photo-form", "photos", "photo-file", "photo-alt");
  submitter("document-form", "documents", "document-file", "document-title");
  load();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
