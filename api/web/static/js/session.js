// The signed-in user: a bearer token pasted on the sign-in page, or handed over after signing in at
// the identity provider, kept in localStorage. The browser cannot check the signature (the server
// does on every call); it only reads the claims to show who is signed in and to pick the right
// buttons. A provider's token names the role and office in claims of its own: the server says what
// they map to (POST /auth/session), and that is kept beside the token.

const TOKEN_KEY = "auction.token";
const MAPPED_KEY = "auction.principal"; // {subject, role, office} of a provider's token, as the server read it
export const ROLES = ["bidder", "bailiff", "auditor"];

function base64UrlDecode(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

/** The claims of a JWT (with ``mapped``'s subject, role and office when given), or throws an Error
 * whose message says what is wrong. */
export function decodeToken(token, mapped = null) {
  const parts = token.trim().split(".");
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]*$/.test(part)) || !parts[1]) {
    throw new Error("This is not a bearer token: expected three base64url parts separated by dots.");
  }
  let claims;
  try {
    claims = JSON.parse(base64UrlDecode(parts[1]));
  } catch {
    throw new Error("The token's payload cannot be read.");
  }
  if (claims === null || typeof claims !== "object") throw new Error("The token's payload is not an object.");
  if (mapped) claims = { ...claims, sub: mapped.subject, role: mapped.role, office: mapped.office ?? undefined };
  if (typeof claims.sub !== "string" || claims.sub === "") throw new Error("The token names no subject (sub).");
  if (!ROLES.includes(claims.role)) throw new Error(`The token's role must be one of ${ROLES.join(", ")}.`);
  return claims;
}

/** Seconds since the epoch at which the token stops being accepted, or null. */
export function expiresAt(claims) {
  return typeof claims.exp === "number" ? claims.exp : null;
}

export function isExpired(claims, nowMs = Date.now()) {
  const exp = expiresAt(claims);
  return exp !== null && exp * 1000 <= nowMs;
}

/** {token, subject, role, claims} of the stored token, or null when signed out (or unreadable). */
export function currentSession() {
  let token = null;
  try {
    token = localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
  if (!token) return null;
  try {
    const claims = decodeToken(token, storedMapping());
    return { token, subject: claims.sub, role: claims.role, claims };
  } catch {
    return null;
  }
}

export function signIn(token) {
  const claims = decodeToken(token);
  localStorage.removeItem(MAPPED_KEY);
  localStorage.setItem(TOKEN_KEY, token.trim());
  return { token: token.trim(), subject: claims.sub, role: claims.role, claims };
}

/** A provider's token with the subject, role and office the server mapped its claims to. */
export function signInMapped(token, mapped) {
  const claims = decodeToken(token, mapped);
  localStorage.setItem(TOKEN_KEY, token.trim());
  localStorage.setItem(MAPPED_KEY, JSON.stringify({ subject: mapped.subject, role: mapped.role, office: mapped.office }));
  return { token: token.trim(), subject: claims.sub, role: claims.role, claims };
}

function storedMapping() {
  try {
    const text = localStorage.getItem(MAPPED_KEY);
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

export function signOut() {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(MAPPED_KEY);
}

// A bidder's code is per auction and per person: keyed by both, so switching tokens never mixes them up.
function codeKey(auctionId, subject) {
  return `auction.bidder-code.${auctionId}.${subject}`;
}

export function rememberBidderCode(auctionId, subject, code) {
  localStorage.setItem(codeKey(auctionId, subject), code);
}

export function bidderCode(auctionId, subject) {
  try {
    return localStorage.getItem(codeKey(auctionId, subject));
  } catch {
    return null;
  }
}

function roleKey(auctionId, subject) {
  return `auction.role.${auctionId}.${subject}`;
}

/** The role a bidder registered with ("preemption_holder"), kept beside the code. */
export function rememberBidderRole(auctionId, subject, role) {
  if (role) localStorage.setItem(roleKey(auctionId, subject), role);
  else localStorage.removeItem(roleKey(auctionId, subject));
}

export function bidderRole(auctionId, subject) {
  try {
    return localStorage.getItem(roleKey(auctionId, subject));
  } catch {
    return null;
  }
}
