// Time: the auction country's wall clock, and the server's clock as the only truth for deadlines.
// Dates are written as the page's locale writes them (Intl.DateTimeFormat in the auction's zone).

import { LANGUAGE, LOCALE, countryName, t, tn } from "./i18n.js";

export const COUNTRY_ZONES = {
  BG: "Europe/Sofia",
  HR: "Europe/Zagreb",
  LT: "Europe/Vilnius",
  SI: "Europe/Ljubljana",
  SE: "Europe/Stockholm",
  EE: "Europe/Tallinn",
  LV: "Europe/Riga",
  CZ: "Europe/Prague",
  PT: "Europe/Lisbon",
  GR: "Europe/Athens",
};

const ENGLISH_NAMES = {
  BG: "Bulgaria",
  HR: "Croatia",
  LT: "Lithuania",
  SI: "Slovenia",
  SE: "Sweden",
  EE: "Estonia",
  LV: "Latvia",
  CZ: "Czechia",
  PT: "Portugal",
  GR: "Greece",
};
/** The countries' names in the page's language. */
export const COUNTRY_NAMES = Object.fromEntries(
  Object.entries(ENGLISH_NAMES).map(([code, name]) => [code, LANGUAGE === "en" ? name : countryName(code)]),
);

/** The zone of a country code, or the zone itself when given an IANA name (an auction's own `zone`). */
export function zoneOf(country) {
  if (String(country || "").includes("/")) return String(country);
  return COUNTRY_ZONES[String(country || "").toUpperCase()] || "UTC";
}

const formatters = new Map();
function formatter(zone, withDate) {
  const key = `${zone}|${withDate}`;
  if (!formatters.has(key)) {
    const options = {
      timeZone: zone,
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    };
    // The month in words: "short" where the locale abbreviates it ("3 Apr"), "long" where its short form is a number (bg).
    if (withDate) Object.assign(options, { weekday: "short", day: "numeric", month: LANGUAGE === "en" ? "short" : "long", year: "numeric" });
    formatters.set(key, new Intl.DateTimeFormat(LOCALE, options));
  }
  return formatters.get(key);
}

/** An RFC 3339 instant on the country's wall clock with the zone shown: "Fri, 3 Apr 2026, 11:00:00 CEST". */
export function formatLocal(iso, country, { withDate = true, withZoneName = false } = {}) {
  if (!iso) return "–";
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return String(iso);
  const zone = zoneOf(country);
  const text = formatter(zone, withDate).format(new Date(ms));
  return withZoneName ? `${text} (${zone})` : text;
}

/** A <time> element for an instant, readable and machine-readable. */
export function timeElement(iso, country, options = {}) {
  const element = document.createElement("time");
  element.dateTime = iso || "";
  element.textContent = formatLocal(iso, country, options);
  return element;
}

/** Milliseconds -> "2 d 03:04:05", "1:02:03" or "0:59" (never negative). */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  if (days > 0) return t("{days} d {clock}", { days, clock: `${two(hours)}:${two(minutes)}:${two(seconds)}` });
  if (hours > 0) return `${hours}:${two(minutes)}:${two(seconds)}`;
  return `${minutes}:${two(seconds)}`;
}

/** The same in words for screen readers: "2 minutes 5 seconds". */
export function durationInWords(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const units = [
    (n) => tn("{count} day", "{count} days", n),
    (n) => tn("{count} hour", "{count} hours", n),
    (n) => tn("{count} minute", "{count} minutes", n),
    (n) => tn("{count} second", "{count} seconds", n),
  ];
  const parts = [Math.floor(total / 86400), Math.floor((total % 86400) / 3600), Math.floor((total % 3600) / 60), total % 60]
    .map((n, index) => [n, units[index]])
    .filter(([n], index, all) => n > 0 || (index === all.length - 1 && total === 0));
  return parts.map(([n, unit]) => unit(n)).join(" ");
}

/**
 * The server's clock as seen from here. Every live message carries `server_time`; the
 * offset between it and Date.now() corrects a browser whose clock is wrong. A message
 * can only be late, never early, so among the samples since the last snapshot the
 * largest offset is the best one. A jump of the local clock (or a laptop waking up)
 * is noticed by comparing Date.now() with the monotonic performance.now(); the owner
 * is then told to fetch a fresh sample.
 */
export class ServerClock {
  constructor({ onJump = null } = {}) {
    this.offset = null;
    this.samples = [];
    this.onJump = onJump;
    this._wall = Date.now();
    this._mono = performance.now();
    this._timer = setInterval(() => this._checkJump(), 1000);
  }

  /** A fresh sample from a message sent just now (a snapshot): older samples are forgotten. */
  reset(serverTimeIso) {
    this.samples = [];
    this.sample(serverTimeIso);
  }

  sample(serverTimeIso) {
    const server = Date.parse(serverTimeIso);
    if (Number.isNaN(server)) return;
    this.samples.push(server - Date.now());
    if (this.samples.length > 20) this.samples.shift();
    this.offset = Math.max(...this.samples);
  }

  /** A rough offset from an HTTP Date header (whole seconds) until the feed gives a better one. */
  sampleDateHeader(dateMs, receivedMs) {
    if (this.offset !== null || dateMs === null) return;
    this.offset = dateMs + 500 - receivedMs;
  }

  get synced() {
    return this.offset !== null;
  }

  now() {
    return Date.now() + (this.offset ?? 0);
  }

  _checkJump() {
    const wall = Date.now();
    const mono = performance.now();
    const drift = wall - this._wall - (mono - this._mono);
    this._wall = wall;
    this._mono = mono;
    if (Math.abs(drift) > 2000 && this.onJump) this.onJump(drift);
  }

  stop() {
    clearInterval(this._timer);
  }
}

function wallParts(zone, ms) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(ms));
  const get = (type) => Number(parts.find((part) => part.type === type).value);
  return { year: get("year"), month: get("month"), day: get("day"), hour: get("hour") % 24, minute: get("minute"), second: get("second") };
}

/** The zone's offset from UTC in minutes at an instant. */
export function zoneOffsetMinutes(zone, ms) {
  const p = wallParts(zone, ms);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

function offsetText(minutes) {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/**
 * A wall-clock time typed in a datetime-local field ("2026-04-02T10:00") read on the
 * country's clock -> {iso: "2026-04-02T10:00:00+02:00", ms} or {error}. A time that does
 * not exist on that clock (the hour skipped when summer time starts) is an error, as the
 * rules ask (docs/rules.md, Time); an ambiguous one (the hour repeated in autumn) takes the first reading.
 */
export function fromLocalInput(value, country) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value || "");
  if (!match) return { error: "Enter a date and time." };
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0));
  const zone = zoneOf(country);
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const candidates = new Set();
  for (const guess of [wall - 14 * 3600000, wall, wall + 14 * 3600000]) {
    candidates.add(zoneOffsetMinutes(zone, guess));
  }
  const found = [...candidates]
    .map((offset) => wall - offset * 60000)
    .filter((ms) => {
      const p = wallParts(zone, ms);
      return p.year === year && p.month === month && p.day === day && p.hour === hour && p.minute === minute && p.second === second;
    })
    .sort((a, b) => a - b);
  if (found.length === 0) return { error: `${value.replace("T", " ")} does not exist in ${zone} (the clocks skip it).` };
  const ms = found[0];
  const two = (n) => String(n).padStart(2, "0");
  const iso = `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}${offsetText(zoneOffsetMinutes(zone, ms))}`;
  return { iso, ms, ambiguous: found.length > 1 };
}

/** An instant -> the "YYYY-MM-DDTHH:MM" a datetime-local field shows, on the country's clock. */
export function toLocalInput(ms, country) {
  const p = wallParts(zoneOf(country), ms);
  const two = (n) => String(n).padStart(2, "0");
  return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}`;
}

/** The wall-clock parts of an instant on the country's clock (for rule hints). */
export function localParts(ms, country) {
  return wallParts(zoneOf(country), ms);
}
