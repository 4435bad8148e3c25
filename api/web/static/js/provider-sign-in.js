// Signing in at the court's identity provider (OpenID Connect): shown when the server has one
// configured (GET /auth/config). The button goes to /auth/login, which sends the browser to the
// provider with PKCE; the provider sends it back to the server's /auth/callback, which exchanges the
// code and returns here with ?provider=1. The token is then fetched once by POST /auth/session
// (from a short-lived HttpOnly cookie): it never appears in a URL. Signing out here also signs out
// at the provider (/auth/logout, its end-session endpoint).

import { byId, renderHeader, say } from "./layout.js";
import { signInMapped, signOut } from "./session.js";

const HOME = { bidder: "/", bailiff: "/app/bailiff", auditor: "/app/auditor" };

/** ``next`` if it is a path on this site (one leading "/", never "//", no backslash, white space or control). */
function sitePath(next) {
  return typeof next === "string" && /^\/(?![/\\])[^\s\\\u0000-\u001f\u007f]*$/.test(next) && !next.startsWith("/app/sign-in")
    ? next
    : null;
}

async function providerConfigured() {
  try {
    const answer = await fetch("/auth/config", { headers: { Accept: "application/json" } });
    return answer.ok && (await answer.json()).oidc === true;
  } catch {
    return false;
  }
}

async function takeSession(next) {
  const message = byId("provider-message");
  const answer = await fetch("/auth/session", { method: "POST", credentials: "same-origin" });
  if (!answer.ok) {
    const body = await answer.json().catch(() => ({}));
    say(message, body?.error?.message ?? "The sign-in did not complete: sign in again.", "error");
    return;
  }
  const body = await answer.json();
  signInMapped(body.token, body);
  location.replace(next ?? HOME[body.role] ?? "/");
}

async function main() {
  const params = new URLSearchParams(location.search);
  const next = sitePath(params.get("next"));
  if (!(await providerConfigured())) return;
  byId("provider-sign-in").hidden = false;
  byId("provider-sign-in-link").href = next ? `/auth/login?next=${encodeURIComponent(next)}` : "/auth/login";
  const out = byId("provider-sign-out-button");
  out.hidden = false;
  out.addEventListener("click", () => {
    signOut();
    renderHeader("sign-in");
    location.assign("/auth/logout");
  });
  if (params.get("provider") === "1") await takeSession(next);
}

main();
