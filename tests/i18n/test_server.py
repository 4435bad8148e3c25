"""The server in each language: amounts and instants as each locale writes them (Babel), the language
chosen (?lang=, the cookie, Accept-Language, AUCTION_DEFAULT_LANGUAGE), the pages and catalogues
served in it, and the report's HTML page translated while its JSON and codes stay English."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.i18n import LANGUAGES, accepted_languages, choose_language, translator
from tests.api.support import AUDITOR, BAILIFF, bidder, running_api, swedish_auction
from tests.audit.test_replay import _auction, run_cli


def spaces(text: str) -> str:
    """No-break and narrow no-break spaces (CLDR's group and currency separators) as plain spaces."""
    return "".join(" " if unicodedata.category(c) == "Zs" else c for c in text)


# One amount per language, as a person of that language writes it (CLDR, via Babel).
MONEY = {
    "sv": ("100000.00", "SEK", "100 000,00 kr"),
    "sl": ("84000.00", "EUR", "84.000,00 €"),
    "hr": ("84000.00", "EUR", "84.000,00 €"),
    "bg": ("84000.00", "EUR", "84 000,00 €"),
    "lt": ("84000.00", "EUR", "84 000,00 €"),
    "lv": ("84000.00", "EUR", "84 000,00 €"),
    "et": ("84000.00", "EUR", "84 000,00 €"),
    "cs": ("84000.00", "CZK", "84 000,00 Kč"),
    "pt": ("84000.00", "EUR", "84 000,00 €"),
    "el": ("84000.00", "EUR", "84.000,00 €"),
    "en": ("84000.00", "EUR", "84,000.00 EUR"),
}


@pytest.mark.parametrize("language", sorted(MONEY))
def test_money_is_written_as_each_locale_writes_it(language: str) -> None:
    amount, currency, expected = MONEY[language]
    assert spaces(translator(language).money(amount, currency)) == expected


# 15 March 2027, 10:30 in Sofia (EET) and 15 July 2027, 12:30 in Stockholm (CEST): the local month and zone.
WINTER = "2027-03-15T08:30:00Z"
SUMMER = "2027-07-15T10:30:00Z"


def test_instants_are_on_the_auctions_clock_with_the_zones_abbreviation_in_the_locales_words() -> None:
    bulgarian = translator("bg").instant(WINTER, "Europe/Sofia")
    assert "март" in bulgarian and "10:30" in bulgarian and bulgarian.endswith("EET")
    swedish = translator("sv").instant(SUMMER, "Europe/Stockholm")
    assert "juli" in swedish and "12:30" in swedish and swedish.endswith("CEST")
    greek = translator("el").instant(SUMMER, "Europe/Athens")
    assert "Ιουλίου" in greek and "13:30" in greek and greek.endswith("EEST")
    portuguese = translator("pt").instant(WINTER, "Europe/Lisbon")
    assert "março" in portuguese and "08:30" in portuguese and portuguese.endswith("WET")


def test_plural_forms_follow_each_languages_rules() -> None:
    slovenian = translator("sl")
    forms = [slovenian.ngettext("{count} minute", "{count} minutes", n) for n in (1, 2, 3, 5, 101)]
    assert forms == ["1 minuta", "2 minuti", "3 minute", "5 minut", "101 minuta"]
    czech = translator("cs")
    assert [czech.ngettext("{count} second", "{count} seconds", n) for n in (1, 4, 5)] == [
        "1 sekunda",
        "4 sekundy",
        "5 sekund",
    ]
    catalogue = translator("lt").browser_catalogue()["plurals"]["{count} day"]
    assert catalogue["one"] == "{count} diena" and catalogue["few"] == "{count} dienos"


def test_the_choice_is_the_persons_then_the_browsers_then_the_deployments() -> None:
    assert choose_language("sv", "bg", "el", "cs") == ("sv", "query")
    assert choose_language(None, "bg", "el", "cs") == ("bg", "cookie")
    assert choose_language("xx", "zz", "de-DE,el;q=0.8,sv;q=0.9", "cs") == ("sv", "browser")
    assert choose_language(None, None, "de, fr;q=0.5", "cs") == ("cs", "default")
    assert choose_language(None, None, "pt-BR", "en") == ("pt", "browser")
    assert accepted_languages("sl;q=0, hr;q=0.2, lt") == ["lt", "hr"]


@given(
    st.one_of(st.none(), st.text(max_size=12)),
    st.one_of(st.none(), st.text(max_size=12)),
    st.one_of(st.none(), st.text(max_size=60)),
    st.sampled_from(LANGUAGES),
)
def test_any_input_chooses_a_language_of_the_engine(query: str | None, cookie: str | None, header: str | None,
                                                    default: str) -> None:  # fmt: skip
    language, source = choose_language(query, cookie, header, default)
    assert language in LANGUAGES
    assert source in {"query", "cookie", "browser", "default"}
    if source == "default":
        assert language == default


NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


async def test_the_pages_are_served_in_the_chosen_language_with_its_catalogue() -> None:
    async with running_api(default_language="hr") as api:
        page = await api.client.get("/")
        assert page.status_code == 200
        assert '<html lang="hr" data-lang-source="default">' in page.text
        assert page.headers["content-language"] == "hr" and "Accept-Language" in page.headers["vary"]
        assert '"Sudske dražbe"' in page.text  # the catalogue written into the page

        browser = await api.client.get("/app/sign-in", headers={"Accept-Language": "sv-SE,en;q=0.5"})
        assert '<html lang="sv" data-lang-source="browser">' in browser.text

        chosen = await api.client.get("/?lang=el", headers={"Accept-Language": "sv"})
        assert '<html lang="el" data-lang-source="query">' in chosen.text
        assert "lang=el" in chosen.headers["set-cookie"]
        kept = await api.client.get("/app/accessibility", headers={"Accept-Language": "sv"})  # the cookie kept it
        assert '<html lang="el" data-lang-source="cookie">' in kept.text
        api.client.cookies.clear()

        catalogue = await api.client.get("/i18n/sl.json")
        assert catalogue.status_code == 200
        body = catalogue.json()
        assert body["lang"] == "sl" and body["messages"]["Place bid"] == "Oddaj ponudbo"
        assert body["languages"]["el"] == "Ελληνικά"
        missing = await api.client.get("/i18n/de.json")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_language"


async def test_the_report_prints_in_a_language_and_its_json_stays_english() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(datetime.now(UTC), title="Segelbåt, Göteborg"))
        await api.register(auction["id"], "anna")
        assert (await api.bid(auction["id"], "anna", "100000.00")).status_code == 201
        path = f"/auctions/{auction['id']}/report"
        plain = await api.client.get(path, headers=AUDITOR)
        swedish = await api.client.get(f"{path}?lang=sv", headers=AUDITOR)
        assert plain.headers["content-type"].startswith("application/json")
        assert "bidder_code" in plain.json()["bids"][0] and plain.json()["bids"][0]["amount"] == "100000.00"
        assert swedish.status_code == 200 and swedish.headers["content-type"].startswith("text/html")
        page = swedish.text
        assert '<html lang="sv">' in page and "<h1>Auktionsrapport</h1>" in page and "Mottagna bud" in page
        assert "100 000,00 kr" in spaces(page)
        assert "Budgivarkod" in page and "B-1" in page  # the codes stay as the engine writes them
        for copy in (await api.client.get(f"{path}?lang=sl", headers=bidder("anna")),):
            assert copy.status_code == 200 and "anna" not in copy.text  # a bidder's copy names nobody
        refused = await api.client.get(f"{path}?lang=de", headers=BAILIFF)
        assert refused.status_code == 422


async def test_auction_replay_prints_the_html_report_in_a_language(tmp_path: Path) -> None:
    log, _ = await _auction(tmp_path)
    code, out, err = run_cli("replay", str(log), "--format", "html", "--lang", "cs")
    assert code == 0, err
    page = out.decode()
    assert '<html lang="cs">' in page and "Zpráva o dražbě" in page and "Přijaté příhozy" in page
    assert "11 000,00 €" in spaces(page)  # the Czech form of the auction's own currency
    assert "bid_too_low" in page  # codes stay English
    code, _, err = run_cli("replay", str(log), "--lang", "cs")
    assert code == 2 and "--lang is for --format html" in err
    code, _, err = run_cli("replay", str(log), "--format", "html", "--lang", "klingon")
    assert code == 2 and "not a language" in err and len(err.strip().splitlines()) == 1
