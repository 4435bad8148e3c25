// The lot's photos and documents on its page: a gallery of thumbnails with their alt text (the
// larger preview on click) and the documents with their title, size and SHA-256, the hash the
// auction's log records, so that a reader can check the very file they downloaded.

import { auctionPath, getJson } from "./api.js";
import { byId, h, idFromPath } from "./layout.js";

const auctionId = idFromPath("/app/auction/");

/** A size in bytes in words a person reads: 48.2 kB, 3.1 MB. */
export function fileSize(bytes) {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

function fileUrl(sha256) {
  return `${auctionPath(auctionId)}/files/${sha256}`;
}

function openPhoto(photo) {
  const dialog = byId("photo-view");
  const image = byId("photo-view-image");
  image.src = fileUrl(photo.preview);
  image.alt = photo.alt;
  byId("photo-view-caption").textContent = photo.alt;
  byId("photo-view-original").href = fileUrl(photo.sha256);
  dialog.showModal();
}

function thumbnail(photo, index) {
  const image = h("img", { src: fileUrl(photo.thumbnail), alt: photo.alt, loading: index > 3 ? "lazy" : null });
  return h(
    "li",
    { class: "gallery-item" },
    h("button", { type: "button", class: "thumb", onclick: () => openPhoto(photo), title: photo.alt }, image),
  );
}

function documentLine(doc) {
  return h(
    "li",
    { class: "document" },
    h("a", { href: fileUrl(doc.sha256), download: "" }, doc.title),
    h("span", { class: "document-size", text: ` · PDF, ${fileSize(doc.size)}` }),
    h("br"),
    h("span", { class: "hint", text: "SHA-256 " }),
    h("code", { class: "sha256", text: doc.sha256 }),
  );
}

export async function showFiles() {
  const panel = byId("files-panel");
  if (!panel || !auctionId) return;
  let files;
  try {
    files = await getJson(`${auctionPath(auctionId)}/files`, { auth: false });
  } catch {
    return; // an unknown auction: the page says so already
  }
  byId("gallery").replaceChildren(...files.photos.map(thumbnail));
  byId("gallery").hidden = files.photos.length === 0;
  byId("documents").replaceChildren(...files.documents.map(documentLine));
  byId("documents-heading").hidden = byId("documents").hidden = files.documents.length === 0;
  panel.hidden = files.photos.length === 0 && files.documents.length === 0;
}

function start() {
  const dialog = byId("photo-view");
  if (dialog) {
    byId("photo-view-close").addEventListener("click", () => dialog.close());
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close(); // a click beside the photo
    });
  }
  showFiles();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
