// Checking an auction's event log (JSON Lines from GET /auctions/{id}/events) against its
// hash chain, in the browser, exactly as the server does (engine/store/chain.py):
//
//   hash = SHA-256( prev_hash as ASCII  +  canonical bytes )
//   canonical bytes = {"data":…,"recorded_at":…,"stream":…,"type":…,"version":…}
//                     with every object's keys sorted and no white space (orjson, OPT_SORT_KEYS)
//
// The log was written by the same serializer, so every scalar in it (string, number,
// true/false/null) already has the exact bytes the server hashed. We therefore never
// re-serialize a value: the line is parsed into a tree that keeps each scalar's source
// text, objects are re-emitted with sorted keys, and scalars are copied as they were.
// That avoids every difference between JavaScript's and the server's number and string
// formatting (large integers, floats, escapes).

export const GENESIS_HASH = "0".repeat(64);

class ParseError extends Error {}

/** Parse one JSON text into {kind: "object", entries: [[key, node]]} / {kind: "array", items} / {kind: "scalar", raw}. */
export function parseRaw(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i += 1;
  };
  const fail = (what) => {
    throw new ParseError(`${what} at character ${i}`);
  };
  const string = () => {
    const start = i;
    i += 1;
    while (i < text.length) {
      const ch = text[i];
      if (ch === "\\") i += 2;
      else if (ch === '"') {
        i += 1;
        return text.slice(start, i);
      } else i += 1;
    }
    return fail("unterminated string");
  };
  const value = () => {
    ws();
    const ch = text[i];
    if (ch === "{") {
      i += 1;
      const entries = [];
      ws();
      if (text[i] === "}") {
        i += 1;
        return { kind: "object", entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a key");
        const rawKey = string();
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i += 1;
        entries.push([JSON.parse(rawKey), rawKey, value()]);
        ws();
        if (text[i] === ",") i += 1;
        else if (text[i] === "}") {
          i += 1;
          return { kind: "object", entries };
        } else fail("expected ',' or '}'");
      }
    }
    if (ch === "[") {
      i += 1;
      const items = [];
      ws();
      if (text[i] === "]") {
        i += 1;
        return { kind: "array", items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ",") i += 1;
        else if (text[i] === "]") {
          i += 1;
          return { kind: "array", items };
        } else fail("expected ',' or ']'");
      }
    }
    if (ch === '"') return { kind: "scalar", raw: string() };
    const match = /^(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!match) fail("unexpected character");
    i += match[0].length;
    return { kind: "scalar", raw: match[0] };
  };
  const tree = value();
  ws();
  if (i !== text.length) fail("trailing characters");
  JSON.parse(text); // the strict parser has the last word on validity (escapes, control characters)
  return tree;
}

/** Code-point order, as the server sorts keys (JavaScript's < compares UTF-16 units). */
function compareKeys(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let k = 0; k < Math.min(x.length, y.length); k += 1) {
    const d = x[k].codePointAt(0) - y[k].codePointAt(0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** The compact, key-sorted text of a parsed node. */
export function canonical(node) {
  if (node.kind === "scalar") return node.raw;
  if (node.kind === "array") return `[${node.items.map(canonical).join(",")}]`;
  const entries = [...node.entries].sort((p, q) => compareKeys(p[0], q[0]));
  return `{${entries.map(([, rawKey, value]) => `${rawKey}:${canonical(value)}`).join(",")}}`;
}

function field(node, name) {
  const entry = node.entries.find(([key]) => key === name);
  return entry ? entry[2] : undefined;
}

/** The canonical bytes the server hashes for one stored event (a parsed log line). */
export function canonicalEventText(node) {
  const parts = ["data", "recorded_at", "stream", "type", "version"].map((name) => {
    const value = field(node, name);
    if (value === undefined) throw new ParseError(`missing "${name}"`);
    return `"${name}":${canonical(value)}`;
  });
  return `{${parts.join(",")}}`;
}

// ---------------------------------------------------------------- SHA-256

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 in plain JavaScript, for pages served without a secure context (no SubtleCrypto there). */
export function sha256Fallback(bytes) {
  const length = bytes.length;
  const padded = new Uint8Array(((length + 9 + 63) >> 6) << 6);
  padded.set(bytes);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor((length * 8) / 2 ** 32));
  view.setUint32(padded.length - 4, (length * 8) >>> 0);
  const hv = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let t = 0; t < 16; t += 1) w[t] = view.getUint32(offset + t * 4);
    for (let t = 16; t < 64; t += 1) {
      const s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >>> 3);
      const s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = hv;
    for (let t = 0; t < 64; t += 1) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    hv[0] += a;
    hv[1] += b;
    hv[2] += c;
    hv[3] += d;
    hv[4] += e;
    hv[5] += f;
    hv[6] += g;
    hv[7] += hh;
  }
  return Array.from(hv, (word) => word.toString(16).padStart(8, "0")).join("");
}

export async function sha256Hex(text, { useSubtle = true } = {}) {
  const bytes = new TextEncoder().encode(text);
  if (useSubtle && globalThis.crypto && crypto.subtle) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  return sha256Fallback(bytes);
}

// ---------------------------------------------------------------- the chain

/**
 * Verify a JSON Lines log. Resolves to
 *   {ok: true, count, lastHash, method}
 *   {ok: false, count (events checked before it), position, line, reason, method}
 * naming the first event that does not fit, like `auction replay`.
 */
export async function verifyLog(text, options = {}) {
  const method = options.useSubtle !== false && globalThis.crypto && crypto.subtle ? "SubtleCrypto SHA-256" : "SHA-256 (JavaScript)";
  const lines = text.split("\n");
  const tips = new Map();
  let lastPosition = null;
  let count = 0;
  let lastHash = null;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index];
    if (line.trim() === "") continue;
    const number = index + 1;
    let node;
    let event;
    try {
      node = parseRaw(line);
      event = JSON.parse(line);
    } catch (error) {
      return { ok: false, count, position: null, line: number, reason: `line ${number} is not valid JSON (${error.message})`, method };
    }
    const position = event.position;
    const broken = (reason) => ({ ok: false, count, position, line: number, reason: `event at position ${position}: ${reason}`, method });
    if (!Number.isInteger(position) || !Number.isInteger(event.version) || typeof event.stream !== "string") {
      return broken("position, stream or version missing");
    }
    if (lastPosition !== null && position <= lastPosition) return broken(`position does not increase (follows position ${lastPosition})`);
    lastPosition = position;
    const [version, prevHash] = tips.get(event.stream) || [0, GENESIS_HASH];
    if (event.version !== version + 1) {
      const problem = event.version > version + 1 ? "missing" : "out of order";
      return broken(`stream '${event.stream}' version ${event.version} follows version ${version} (events ${problem})`);
    }
    if (event.prev_hash !== prevHash) return broken(`prev_hash does not match the hash of version ${version} of '${event.stream}'`);
    let expected;
    try {
      expected = await sha256Hex(event.prev_hash + canonicalEventText(node), options);
    } catch (error) {
      return broken(error.message);
    }
    if (event.hash !== expected) return broken("hash does not match the event's content (altered)");
    tips.set(event.stream, [event.version, event.hash]);
    lastHash = event.hash;
    count += 1;
  }
  if (count === 0) return { ok: false, count, position: null, line: null, reason: "the log is empty", method };
  return { ok: true, count, lastHash, method };
}
