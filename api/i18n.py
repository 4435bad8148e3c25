"""The pages, reports and messages in the reader's language: one gettext catalogue per language.

Judicial auctions are public services in the national language, and a cross-border bidder reads
another country's: English (the source language, the message ids) and the languages of the
countries the engine has rules for. Each language has one catalogue,
``api/locale/<lang>/LC_MESSAGES/messages.po`` (managed with Babel: ``locale/babel.cfg`` extracts
the ids from the Python, the pages' scripts and their HTML), read once at start-up; the server
translates with it (report labels), and the pages get the same catalogue as JSON
(``GET /i18n/{lang}.json``, also written into each page), formatting with the browser's ``Intl``.
The server formats with Babel (``babel.numbers``, ``babel.dates``) in the same locales.

The language a person reads is their own choice first (``?lang=``, kept in the ``lang`` cookie by
the page's switcher), else the first of the browser's languages the engine has
(``Accept-Language``), else the deployment's default (``AUCTION_DEFAULT_LANGUAGE``).
"""

from __future__ import annotations

import gettext
import html.parser
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

SOURCE_LANGUAGE = "en"
# The source language, then the languages of the countries with rules (the engine's rule books).
LANGUAGES: tuple[str, ...] = ("en", "bg", "hr", "lt", "sl", "sv", "et", "lv", "cs", "pt", "el")
LANGUAGE_PATTERN = "^(" + "|".join(LANGUAGES) + ")$"
COUNTRY_LANGUAGE: Mapping[str, str] = {
    "BG": "bg",
    "HR": "hr",
    "LT": "lt",
    "SI": "sl",
    "SE": "sv",
    "EE": "et",
    "LV": "lv",
    "CZ": "cs",
    "PT": "pt",
    "GR": "el",
}
# Each language in its own words, for the switcher (a person looks for their language's own name).
ENDONYMS: Mapping[str, str] = {
    "en": "English",
    "bg": "Български",
    "hr": "Hrvatski",
    "lt": "Lietuvių",
    "sl": "Slovenščina",
    "sv": "Svenska",
    "et": "Eesti",
    "lv": "Latviešu",
    "cs": "Čeština",
    "pt": "Português",
    "el": "Ελληνικά",
}
# The locale formatting a language: the European variant where CLDR's default is another continent's.
LOCALES: Mapping[str, str] = {"en": "en_GB", "pt": "pt_PT"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
DOMAIN = "messages"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def babel_locale(language: str) -> str:
    return LOCALES.get(language, language)


def bcp47(language: str) -> str:
    """The tag the browser's ``Intl`` formats with (``pt-PT``, ``en-GB``)."""
    return babel_locale(language).replace("_", "-")


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(language: str) -> Catalog:
    with catalogue_path(language).open("rb") as file:
        return read_po(file, locale=babel_locale(language), domain=DOMAIN)


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders of a message (the pages and the server both fill them by name)."""
    return set(PLACEHOLDER.findall(text))


def fill(text: str, params: Mapping[str, Any]) -> str:
    """``text`` with each ``{name}`` replaced by ``params[name]`` (an unknown name stays as it is)."""
    return PLACEHOLDER.sub(lambda m: str(params[m.group(1)]) if m.group(1) in params else m.group(0), text)


@dataclass(frozen=True)
class Translator:
    """One language's catalogue and formats, for the server's own texts (the reports)."""

    language: str
    messages: Mapping[str, str] = field(default_factory=dict)
    plurals: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    plural_index: Callable[[int], int] = field(default=lambda n: 0 if n == 1 else 1)

    @property
    def locale(self) -> str:
        return babel_locale(self.language)

    def gettext(self, msgid: str, **params: Any) -> str:
        return fill(self.messages.get(msgid) or msgid, params)

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        forms = self.plurals.get(singular)
        if forms:
            index = min(self.plural_index(n), len(forms) - 1)
            if forms[index]:
                return fill(forms[index], {"count": n, **params})
        return fill(singular if n == 1 else plural, {"count": n, **params})

    def money(self, amount: Any, currency: str | None = None) -> str:
        """An amount as the locale writes it: ``100 000,00 kr`` (sv), ``84.000,00 €`` (sl)."""
        value = _decimal(amount)
        if value is None:
            return "" if amount is None else str(amount)
        if self.language == SOURCE_LANGUAGE:
            # English keeps the engine's unambiguous form: "80,000.00 EUR".
            text = format_decimal(value, "#,##0.00", locale=self.locale)
            return f"{text} {currency}" if currency else text
        if not currency:
            return format_decimal(value, "#,##0.00", locale=self.locale)
        return format_currency(value, currency, locale=self.locale)

    def instant(self, value: Any, zone: str | None) -> str:
        """An RFC 3339 instant on the auction's wall clock, with the zone's abbreviation there (CEST)."""
        if not isinstance(value, str):
            return "" if value is None else str(value)
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if moment.tzinfo is None:
            return value
        local = moment.astimezone(ZoneInfo(zone)) if zone else moment
        # The date with the month in words (CLDR's long date: "15 март 2027 г."), the time to the second.
        date, time = format_date(local, "long", locale=self.locale), format_time(local, "HH:mm:ss", locale=self.locale)
        text = str(get_datetime_format("medium", locale=self.locale)).replace("{1}", date).replace("{0}", time)
        return f"{text} {local.tzname()}"

    def browser_catalogue(self) -> dict[str, Any]:
        """What the pages read: the messages, the plural forms by CLDR category, the locale tag."""
        return {
            "lang": self.language,
            "locale": bcp47(self.language),
            "messages": dict(self.messages),
            "plurals": {msgid: _by_category(self, forms) for msgid, forms in self.plurals.items()},
        }


def _decimal(amount: Any) -> Decimal | None:
    if amount is None or isinstance(amount, bool):
        return None
    try:
        return Decimal(str(amount))
    except InvalidOperation:
        return None


def _by_category(translator: Translator, forms: tuple[str, ...]) -> dict[str, str]:
    """gettext's plural forms keyed by the categories ``Intl.PluralRules`` names (one, few, many, other)."""
    locale = Locale.parse(translator.locale)
    keyed: dict[str, str] = {}
    for n in range(0, 1001):
        category = locale.plural_form(n)
        if category not in keyed:
            index = min(translator.plural_index(n), len(forms) - 1)
            keyed[category] = forms[index]
    return keyed


def translator_from(catalogue: Catalog, language: str) -> Translator:
    messages: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    for message in catalogue:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple | list):
            if isinstance(message.string, tuple | list) and all(message.string):
                plurals[str(message.id[0])] = tuple(str(s) for s in message.string)
        elif message.string:
            messages[str(message.id)] = str(message.string)
    expression = gettext.c2py(catalogue.plural_expr)
    return Translator(language, messages, plurals, expression)


@cache
def translator(language: str) -> Translator:
    """The language's translator, its catalogue read once (the source language needs none)."""
    if language not in LANGUAGES:
        raise LookupError(f"no such language: {language!r} (one of {', '.join(LANGUAGES)})")
    if language == SOURCE_LANGUAGE or not catalogue_path(language).exists():
        return Translator(language)
    return translator_from(read_catalogue(language), language)


def known_language(tag: str | None) -> str | None:
    """The engine's language for a BCP 47 tag (``sv-SE`` → ``sv``, ``pt-BR`` → ``pt``), or None."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def accepted_languages(header: str | None) -> list[str]:
    """An ``Accept-Language`` header's tags, most wanted first (q=0 left out, ill-formed parts ignored)."""
    ranked: list[tuple[float, int, str]] = []
    for order, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag.strip() and quality > 0:
            ranked.append((-quality, order, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def choose_language(
    query: str | None, cookie: str | None, accept_language: str | None, default: str = SOURCE_LANGUAGE
) -> tuple[str, str]:
    """The language to answer in and where the choice came from: ``query``, ``cookie``, ``browser``, ``default``."""
    for source, tag in (("query", query), ("cookie", cookie)):
        if (language := known_language(tag)) is not None:
            return language, source
    for tag in accepted_languages(accept_language):
        if (language := known_language(tag)) is not None:
            return language, "browser"
    return (default if default in LANGUAGES else SOURCE_LANGUAGE), "default"


def country_language(country: str | None) -> str | None:
    """The language an auction's own texts (title, description) are written in, from its country."""
    return COUNTRY_LANGUAGE.get(str(country or "").upper())


def report_html(report: dict[str, Any], language: str) -> bytes:
    """An auction's report as its HTML page in ``language`` (labels, amounts and instants; codes stay English)."""
    from projections.audit.render import render_html

    return render_html([report], translator(language))


# ------------------------------------------------------------------ extraction from the pages' HTML


class _TextCollector(html.parser.HTMLParser):
    """Collects the text of elements marked ``data-i18n`` and the attributes named by ``data-i18n-attrs``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._open: list[tuple[str, int, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        line = self.getpos()[0]
        for name in (values.get("data-i18n-attrs") or "").split():
            if values.get(name):
                self.found.append((line, normalise(str(values[name]))))
        if "data-i18n" in values:
            explicit = values.get("data-i18n")
            if explicit:
                self.found.append((line, explicit))
            else:
                self._open.append((tag, line, []))
        elif self._open:
            self._open.append((tag, line, self._open[-1][2]))

    def handle_endtag(self, tag: str) -> None:
        if not self._open:
            return
        name, line, parts = self._open.pop()
        if not self._open or self._open[-1][2] is not parts:
            self.found.append((line, normalise("".join(parts))))

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)


def normalise(text: str) -> str:
    """White space as the page's script reads an element's text: runs collapsed, ends trimmed."""
    return " ".join(text.split())


def extract_html(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """A Babel extraction method for the pages: ``locale/babel.cfg`` names it for ``*.html``."""
    collector = _TextCollector()
    collector.feed(fileobj.read().decode(options.get("encoding", "utf-8")))
    collector.close()
    for line, text in collector.found:
        if text:
            yield line, "", text, []


__all__ = [
    "COOKIE",
    "COUNTRY_LANGUAGE",
    "ENDONYMS",
    "LANGUAGES",
    "LANGUAGE_PATTERN",
    "SOURCE_LANGUAGE",
    "Translator",
    "accepted_languages",
    "bcp47",
    "choose_language",
    "country_language",
    "extract_html",
    "fill",
    "known_language",
    "placeholders",
    "report_html",
    "translator",
]
