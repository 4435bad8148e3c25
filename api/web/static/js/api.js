// Calls to the JSON API of the same server, with the signed-in user's token.

import { currentSession } from "./session.js";

/** A refusal from the API: the contract's {"error": {"code", "message", ...}} with its HTTP status. */
export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** The server could not be reached (offline, server down): the request may or may not have arrived. */
export class NetworkError extends Error {
  constructor(cause) {
    super("The server could not be reached. Check your connection and try again.");
    this.name = "NetworkError";
    this.cause = cause;
  }
}

function headersFor(options) {
  const headers = new Headers(options.headers || {});
  const session = currentSession();
  if (session && options.auth !== false) headers.set("Authorization", `Bearer ${session.token}`);
  if (options.body !== undefined) headers.set("Content-Type", "application/json");
  return headers;
}

/** The last Date header seen, to estimate the server's clock before the live feed says it. */
export const lastResponse = { dateHeaderMs: null, receivedMs: null };

async function send(path, options = {}) {
  let response;
  try {
    response = await fetch(path, {
      method: options.method || "GET",
      headers: headersFor(options),
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: "no-store",
    });
  } catch (error) {
    throw new NetworkError(error);
  }
  const date = Date.parse(response.headers.get("Date") || "");
  if (!Number.isNaN(date)) {
    lastResponse.dateHeaderMs = date;
    lastResponse.receivedMs = Date.now();
  }
  if (!response.ok) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    const error = body && body.error ? body.error : {};
    const { code = `http_${response.status}`, message = response.statusText || "request failed", ...details } = error;
    throw new ApiError(response.status, code, message, details);
  }
  return response;
}

/** Server time minus local time, from the last Date header (to the second), or null before any answer. */
export function serverOffsetMs() {
  if (lastResponse.dateHeaderMs === null) return null;
  // A Date header drops the milliseconds: on average the server's clock was half a second further.
  return lastResponse.dateHeaderMs + 500 - lastResponse.receivedMs;
}

/** The server's time (ms since the epoch) to the second: what a token's expiry is judged by, not the local clock. */
export async function serverNow() {
  if (serverOffsetMs() === null) {
    try {
      await send("/health", { auth: false });
    } catch {
      // Unreachable server: the local clock is all there is.
    }
  }
  return Date.now() + (serverOffsetMs() ?? 0);
}

export async function getJson(path, options = {}) {
  const response = await send(path, options);
  return response.json();
}

export async function getText(path, options = {}) {
  const response = await send(path, options);
  return response.text();
}

/** POST a JSON body; resolves to {status, body, headers}. */
export async function postJson(path, body, options = {}) {
  const response = await send(path, { ...options, method: "POST", body });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

/** A fresh idempotency key: one per attempt (crypto.randomUUID needs a secure context; this does not). */
export function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Every page of an auction's accepted bids (the API pages by position). */
export async function allBids(auctionId) {
  const bids = [];
  let after = 0;
  for (;;) {
    const page = await getJson(`/auctions/${encodeURIComponent(auctionId)}/bids?after=${after}`);
    bids.push(...page.bids);
    if (page.next_after === null || page.next_after === undefined) return bids;
    after = page.next_after;
  }
}

export function auctionPath(auctionId) {
  return `/auctions/${encodeURIComponent(auctionId)}`;
}

/** Plain words for an error shown to a person, with a hint about tokens where that is the problem. */
export function describeError(error) {
  if (error instanceof ApiError) {
    if (error.status === 401) return `You need to sign in (or sign in again: ${error.message}).`;
    if (error.status === 403) return `Your token does not allow this: ${error.message}.`;
    if (error.status === 404) return "No such auction.";
    return error.message;
  }
  if (error instanceof NetworkError) return error.message;
  return String(error && error.message ? error.message : error);
}
