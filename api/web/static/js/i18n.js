// The page in the reader's language: the server's catalogue (api/locale/<lang>/LC_MESSAGES/messages.po,
// written into the page as JSON, or GET /i18n/{lang}.json) and the browser's Intl for numbers, dates
// and plural forms. Message ids are the English texts, with {name} placeholders filled by name.
//
// The language is chosen on the server (?lang=, the "lang" cookie, Accept-Language, the deployment's
// default) and written as <html lang>; when the server had only its default to go by, the browser's
// navigator.languages are tried here. The switcher keeps a choice in the cookie (read by the server
// for every page) and in localStorage.

const SOURCE = "en";
const COOKIE = "lang";
const STORAGE_KEY = "auction.lang";
const LOCALES = { en: "en-GB", pt: "pt-PT" };
// The language an auction's own texts are written in, from its country.
export const COUNTRY_LANGUAGES = { BG: "bg", HR: "hr", LT: "lt", SI: "sl", SE: "sv", EE: "et", LV: "lv", CZ: "cs", PT: "pt", GR: "el" };
const ENDONYMS = {
  en: "English",
  bg: "Български",
  hr: "Hrvatski",
  lt: "Lietuvių",
  sl: "Slovenščina",
  sv: "Svenska",
  et: "Eesti",
  lv: "Latviešu",
  cs: "Čeština",
  pt: "Português",
  el: "Ελληνικά",
};

function embedded() {
  const block = document.getElementById("i18n-catalogue");
  if (!block) return null;
  try {
    return JSON.parse(block.textContent);
  } catch {
    return null;
  }
}

function supported(tag, languages) {
  const primary = String(tag || "").toLowerCase().split(/[-_]/)[0];
  return primary in languages ? primary : null;
}

async function load() {
  const root = document.documentElement;
  let data = embedded();
  let language = data ? data.lang : supported(root.lang, ENDONYMS) || SOURCE;
  const source = root.dataset.langSource || (data ? "server" : "none");
  const languages = (data && data.languages) || ENDONYMS;
  // Only the server's default to go by: the browser's own list of languages, in its order.
  if (source === "default" || source === "none") {
    const kept = supported(localStorage.getItem(STORAGE_KEY), languages);
    const wanted = kept || (navigator.languages || []).map((tag) => supported(tag, languages)).find(Boolean);
    if (wanted && wanted !== language) {
      language = wanted;
      data = null;
    }
  }
  if (!data || data.lang !== language) {
    try {
      const response = await fetch(`/i18n/${language}.json`, { headers: { Accept: "application/json" } });
      data = response.ok ? await response.json() : null;
    } catch {
      data = null;
    }
    if (!data) language = SOURCE;
  }
  root.lang = language;
  return { language, data: data || { messages: {}, plurals: {} }, languages };
}

const loaded = await load();

/** The page's language ("sv") and the locale its numbers and dates are written in ("sv", "pt-PT"). */
export const LANGUAGE = loaded.language;
export const LOCALE = LOCALES[LANGUAGE] || loaded.data.locale || LANGUAGE;
export const LANGUAGES = loaded.languages;
export const ACCESSIBILITY_CONTACT = loaded.data.accessibility_contact || "";
const MESSAGES = loaded.data.messages || {};
const PLURALS = loaded.data.plurals || {};
const pluralRules = new Intl.PluralRules(LOCALE);

function fill(text, params) {
  if (!params) return text;
  return text.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** The message in the page's language: t("Leading: {code}", { code }). */
export function t(msgid, params) {
  return fill(MESSAGES[msgid] || msgid, params);
}

/** A message with a count: tn("{count} bid", "{count} bids", n); the forms picked by Intl.PluralRules. */
export function tn(singular, plural, count, params = {}) {
  const forms = PLURALS[singular];
  const all = { count: formatNumber(count), ...params };
  if (forms) {
    const text = forms[pluralRules.select(count)] || forms.other;
    if (text) return fill(text, all);
  }
  return fill(count === 1 ? singular : plural, all);
}

export function formatNumber(n) {
  return new Intl.NumberFormat(LOCALE).format(n);
}

/** The language an auction's title and description are written in (its notice's), or null. */
export function countryLanguage(country) {
  return COUNTRY_LANGUAGES[String(country || "").toUpperCase()] || null;
}

/** A country's name in the page's language ("Švédsko" for SE in Czech). */
export function countryName(code) {
  try {
    return new Intl.DisplayNames([LOCALE], { type: "region" }).of(String(code).toUpperCase()) || code;
  } catch {
    return code;
  }
}

function normalise(text) {
  return String(text).replace(/\s+/g, " ").trim();
}

/** Translate the static text of a page: elements marked data-i18n (leaf elements) and data-i18n-attrs. */
export function translateStatic(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    const msgid = element.dataset.i18nId || element.dataset.i18n || normalise(element.textContent);
    element.dataset.i18nId = msgid;
    if (element.dataset.i18n === "") element.textContent = t(msgid);
    else element.textContent = t(element.dataset.i18n);
  }
  for (const element of root.querySelectorAll("[data-i18n-attrs]")) {
    for (const name of element.dataset.i18nAttrs.split(/\s+/).filter(Boolean)) {
      const key = `i18nAttr${name.replace(/(^|-)([a-z])/g, (_, __, c) => c.toUpperCase())}`;
      const msgid = element.dataset[key] || normalise(element.getAttribute(name) || "");
      element.dataset[key] = msgid;
      if (msgid) element.setAttribute(name, t(msgid));
    }
  }
}

/** Keep the reader's choice, for the server (cookie) and this browser (localStorage), and show the page in it. */
export function chooseLanguage(language) {
  document.cookie = `${COOKIE}=${language}; Path=/; Max-Age=${365 * 24 * 3600}; SameSite=Lax`;
  try {
    localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // storage refused (private mode): the cookie still carries the choice
  }
  const url = new URL(location.href);
  url.searchParams.delete("lang");
  location.assign(url.toString());
}

/** The language switcher: a labelled <select> of each language in its own name, changed with a button. */
export function languageSwitcher() {
  const form = document.createElement("form");
  form.className = "language-switcher";
  form.id = "language-switcher";
  const label = document.createElement("label");
  label.htmlFor = "language-select";
  label.textContent = t("Language");
  const select = document.createElement("select");
  select.id = "language-select";
  select.name = "lang";
  for (const [code, name] of Object.entries(LANGUAGES)) {
    const option = document.createElement("option");
    option.value = code;
    option.lang = code;
    option.textContent = name;
    option.selected = code === LANGUAGE;
    select.append(option);
  }
  const button = document.createElement("button");
  button.type = "submit";
  button.className = "secondary small";
  button.textContent = t("Change");
  form.append(label, select, button);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    chooseLanguage(select.value);
  });
  return form;
}
