// Sign-in: paste a bearer token; its claims (role, subject, expiry) are shown, the token is kept locally.

import { serverNow } from "./api.js";
import { byId, h, renderHeader, say } from "./layout.js";
import { currentSession, decodeToken, expiresAt, isExpired, signIn, signOut } from "./session.js";

const HOME = { bidder: ["/", "the auctions"], bailiff: ["/app/bailiff", "the bailiff console"], auditor: ["/app/auditor", "the auditor view"] };

// C0 controls, space, DEL, C1 controls, the backslash, and any other white space: browsers read a
// backslash as a slash and drop tabs and newlines, so "/\\evil.example" and "/\t/evil.example" leave the site.
const UNSAFE = /[\u0000-\u0020\u007f-\u009f\\\s]/;

/** Whether ``next`` (decoded) is a path on this site to continue to: one leading "/", never "//", nothing
 * a browser reads as a slash or drops, not this page, and resolving to this origin (as api/web/navigation.py). */
export function isSafeNext(next, origin = location.origin) {
  if (typeof next !== "string" || !next.startsWith("/") || next.startsWith("//") || UNSAFE.test(next)) return false;
  if (next.startsWith("/app/sign-in")) return false;
  try {
    return new URL(next, origin).origin === origin;
  } catch {
    return false;
  }
}

/** Only a path on this site may be a place to continue to (never another origin). */
function nextPath() {
  const next = new URLSearchParams(location.search).get("next");
  return isSafeNext(next) ? next : null;
}

let now = Date.now(); // replaced by the server's time as soon as it is known

function expiryText(claims) {
  const exp = expiresAt(claims);
  if (exp === null) return "no expiry";
  const when = new Date(exp * 1000).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
  return isExpired(claims, now) ? `expired ${when}` : `valid until ${when} (your local time)`;
}

function showCurrent() {
  const session = currentSession();
  const section = byId("current");
  if (!session) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  byId("claims").replaceChildren(
    h("dt", { text: "Subject" }),
    h("dd", { id: "claim-subject", text: session.subject }),
    h("dt", { text: "Role" }),
    h("dd", { id: "claim-role", text: session.role }),
    h("dt", { text: "Token" }),
    h("dd", { text: expiryText(session.claims) }),
  );
  const [href, label] = nextPath() ? [nextPath(), "where you were"] : HOME[session.role];
  byId("continue").replaceChildren("Continue to ", h("a", { href, id: "continue-link", text: label }), ".");
}

function preview() {
  const text = byId("token").value.trim();
  const element = byId("token-preview");
  if (!text) {
    element.textContent = "";
    return;
  }
  try {
    const claims = decodeToken(text);
    element.textContent = `This token is for ${claims.sub} as ${claims.role}; ${expiryText(claims)}.`;
  } catch (error) {
    element.textContent = error.message;
  }
}

async function submit(event) {
  event.preventDefault();
  const error = byId("sign-in-error");
  const text = byId("token").value;
  now = await serverNow();
  try {
    const claims = decodeToken(text);
    if (isExpired(claims, now)) throw new Error("This token has expired: ask for a new one.");
    signIn(text);
  } catch (problem) {
    say(error, problem.message, "error");
    byId("token").setAttribute("aria-invalid", "true");
    byId("token").focus();
    return;
  }
  error.hidden = true;
  byId("token").removeAttribute("aria-invalid");
  byId("token").value = "";
  preview();
  renderHeader("sign-in");
  showCurrent();
  byId("continue-link").focus();
}

async function main() {
  renderHeader("sign-in");
  showCurrent();
  byId("token").addEventListener("input", preview);
  byId("sign-in-form").addEventListener("submit", submit);
  byId("sign-out-button").addEventListener("click", () => {
    signOut();
    renderHeader("sign-in");
    showCurrent();
    byId("token").focus();
  });
  now = await serverNow();
  showCurrent();
  preview();
}

main();
