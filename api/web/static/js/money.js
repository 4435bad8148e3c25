// Money as integer cents (BigInt), like the server: never a floating-point number.
// Shown as the page's locale writes amounts (Intl, the auction's currency): "100 000,00 kr" in
// Swedish, "84.000,00 €" in Slovenian; English keeps the engine's form, "80,000.00 EUR".

import { LANGUAGE, LOCALE } from "./i18n.js";

const DECIMAL = /^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$/;

/** "80000.00" (the API's form) -> 8000000n; null stays null. */
export function toCents(text) {
  if (text === null || text === undefined) return null;
  const match = DECIMAL.exec(String(text));
  if (!match) throw new Error(`not an amount: ${text}`);
  const fraction = (match[2] || ".").slice(1).padEnd(2, "0");
  return BigInt(match[1]) * 100n + BigInt(fraction);
}

/** 8000000n -> "80000.00" (the API's form). */
export function fromCents(cents) {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const text = `${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
  return negative ? `-${text}` : text;
}

const grouping = new Intl.NumberFormat("en-GB", { useGrouping: true, maximumFractionDigits: 0 });

const localFormats = new Map();
function localFormat(currency) {
  if (!localFormats.has(currency)) {
    const options = currency
      ? { style: "currency", currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }
      : { minimumFractionDigits: 2, maximumFractionDigits: 2 };
    localFormats.set(currency, new Intl.NumberFormat(LOCALE, options));
  }
  return localFormats.get(currency);
}

/** 8000000n, "EUR" -> "80,000.00 EUR" (English), "80.000,00 €" (Slovenian) for people. */
export function formatCents(cents, currency = "") {
  if (cents === null || cents === undefined) return "–";
  if (LANGUAGE !== "en") {
    try {
      return localFormat(currency).format(fromCents(cents)); // a decimal string: exact, never a float
    } catch {
      // a currency Intl does not know: the engine's own form below
    }
  }
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const text = `${negative ? "−" : ""}${grouping.format(abs / 100n)}.${String(abs % 100n).padStart(2, "0")}`;
  return currency ? `${text} ${currency}` : text;
}

/** "80000.00", "EUR" -> "80,000.00 EUR". */
export function formatMoney(text, currency = "") {
  if (text === null || text === undefined) return "–";
  return formatCents(toCents(text), currency);
}

/**
 * What a person typed -> cents, or null when it is not an amount.
 * Accepts "81500", "81 500", "81,500.50", "81.500,50" and "81500,5": a final "," or "."
 * followed by one or two digits is the decimal separator; other separators group thousands.
 */
export function parseAmount(input) {
  let text = String(input).trim().replace(/[\s\u00a0\u202f'_]/g, "");
  if (!text) return null;
  const decimal = /[.,](\d{1,2})$/.exec(text);
  let whole = text;
  let fraction = "";
  if (decimal) {
    whole = text.slice(0, decimal.index);
    fraction = decimal[1];
  }
  whole = whole.replace(/[.,](?=\d{3}(?:[.,]|$))/g, "");
  if (!/^\d+$/.test(whole) || whole.length > 15) return null;
  return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, "0") || "0");
}

/** a * numerator / denominator, rounded up to the cent (the rules round deposits and floors up). */
export function percentOf(cents, numerator, denominator = 100n) {
  const product = cents * BigInt(numerator);
  const d = BigInt(denominator);
  return (product + d - 1n) / d;
}
