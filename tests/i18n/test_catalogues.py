"""The catalogues (api/locale/<lang>/LC_MESSAGES/messages.po) against the code: every message the
server, the pages' scripts and the pages' HTML use is in every language's catalogue, translated, with
the same {placeholders} and as many plural forms as the language has; Babel's own checks pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.plurals import get_plural

from api.i18n import LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE, babel_locale, placeholders, read_catalogue

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"t": None, "tn": (1, 2), "_": None, "N_": None}
TRANSLATED = [language for language in LANGUAGES if language != SOURCE_LANGUAGE]


def extracted() -> dict[str | tuple[str, ...], str]:
    """Every message id the code uses -> where it was first found, as ``pybabel extract`` with babel.cfg reads it."""
    with (LOCALE_DIR / "babel.cfg").open() as file:
        method_map, options_map = parse_mapping_cfg(file)
    found: dict[str | tuple[str, ...], str] = {}
    for name, line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        key = message if isinstance(message, str) else tuple(message)
        found.setdefault(key, f"{name}:{line}")
    return found


@pytest.fixture(scope="module")
def used() -> dict[str | tuple[str, ...], str]:
    return extracted()


def test_the_code_has_messages_from_the_server_the_scripts_and_the_html(used: dict[object, str]) -> None:
    places = {where.split(":")[0] for where in used.values()}
    assert any(place.endswith(".html") for place in places)
    assert any(place.endswith(".js") for place in places)
    assert any(place.endswith("render.py") for place in places)
    assert "Place bid" in used and "Deposit ledger" in used
    assert ("{count} minute", "{count} minutes") in used


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_in_the_catalogue_translated_with_the_same_placeholders(
    language: str, used: dict[str | tuple[str, ...], str]
) -> None:
    catalogue = read_catalogue(language)
    plurals = get_plural(babel_locale(language)).num_plurals
    problems: list[str] = []
    for msgid, where in used.items():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = catalogue.get(key)
        if message is None:
            problems.append(f"missing: {msgid!r} ({where})")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        if isinstance(msgid, tuple):
            forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
            if len(forms) != plurals:
                problems.append(f"{msgid!r}: {len(forms)} plural forms, the language has {plurals}")
            for form in forms:
                if not form:
                    problems.append(f"untranslated plural form: {msgid!r}")
                elif placeholders(form) != placeholders(msgid[1]):
                    problems.append(f"placeholders differ: {msgid!r} -> {form!r}")
        else:
            text = message.string
            if not isinstance(text, str) or not text.strip():
                problems.append(f"untranslated: {msgid!r} ({where})")
            elif placeholders(text) != placeholders(msgid):
                problems.append(f"placeholders differ: {msgid!r} -> {text!r}")
    assert not problems, f"{language}: " + "; ".join(problems[:20])


@pytest.mark.parametrize("language", TRANSLATED)
def test_babels_own_checks_find_nothing(language: str) -> None:
    catalogue = read_catalogue(language)
    errors = [(message.id, [str(e) for e in found]) for message, found in catalogue.check()]
    assert not errors, errors[:10]
    assert catalogue.num_plurals == get_plural(babel_locale(language)).num_plurals


GLOSSARY = ROOT / "docs" / "glossary.md"


def glossary_terms() -> dict[str, dict[str, str]]:
    """docs/glossary.md's table: English term -> language -> the term used."""
    rows = [line for line in GLOSSARY.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    terms: dict[str, dict[str, str]] = {}
    for row in rows[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        terms[cells[0]] = dict(zip(header[1:], cells[1:], strict=True))
    return terms


# The glossary's term, in the catalogue's translation of these messages (the legal words used alike).
GLOSSARY_MESSAGES = {
    "bailiff": "bailiff",
    "bidder": "bidder",
    "deposit": "Deposit",
    "starting price": "Starting price",
    "purchaser": "Purchaser",
    "payment deadline": "Payment due",
    "pre-emption": "Pre-emption right",
    "auction": "auction",
    "bid": "Bid",
}


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_uses_the_glossarys_legal_terms(language: str) -> None:
    terms = glossary_terms()
    catalogue = read_catalogue(language)
    for term, msgid in GLOSSARY_MESSAGES.items():
        expected = terms[term][language]
        translation = str(catalogue.get(msgid).string)
        assert re.sub(r"\W", "", translation.lower()) == re.sub(r"\W", "", expected.lower()), (
            f"{language}: {msgid!r} is {translation!r}, the glossary says {expected!r} for {term!r}"
        )
