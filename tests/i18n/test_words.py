"""Amounts in words in every language (api.web.words): num2words where it has the language, the
engine's own writers for Bulgarian, Croatian, Estonian and Greek, and GET /i18n/{lang}/words."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.i18n import LANGUAGES
from api.web.words import LARGEST, amount_in_words, cardinal
from tests.api.support import running_api

EIGHTY_ONE_THOUSAND_FIVE_HUNDRED = {
    "en": "eighty-one thousand, five hundred",
    "bg": "осемдесет и една хиляди и петстотин",
    "hr": "osamdeset jedna tisuća petsto",
    "lt": "aštuoniasdešimt vienas tūkstantis penki šimtai",
    "sl": "enainosemdeset tisoč petsto",
    "sv": "åttioetttusen femhundra",
    "et": "kaheksakümmend üks tuhat viissada",
    "lv": "astoņdesmit viens tūkstotis pieci simti",
    "cs": "osmdesát jedna tisíc pětset",
    "pt": "oitenta e um mil e quinhentos",
    "el": "ογδόντα μία χιλιάδες πεντακόσια",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_81500_in_words(language: str) -> None:
    assert cardinal(81_500, language) == EIGHTY_ONE_THOUSAND_FIVE_HUNDRED[language]


@pytest.mark.parametrize(
    ("language", "n", "words"),
    [
        ("bg", 21, "двадесет и един"),
        ("bg", 1000, "хиляда"),
        ("bg", 2_000_000, "два милиона"),
        ("hr", 1000, "tisuću"),
        ("hr", 2_000, "dvije tisuće"),
        ("hr", 5_000, "pet tisuća"),
        ("hr", 112, "sto dvanaest"),
        ("et", 17, "seitseteist"),
        ("et", 1000, "tuhat"),
        ("et", 3_000_000, "kolm miljonit"),
        ("el", 100, "εκατό"),
        ("el", 105, "εκατόν πέντε"),
        ("el", 1000, "χίλια"),
        ("el", 300_000, "τριακόσιες χιλιάδες"),
        ("el", 0, "μηδέν"),
    ],
)
def test_the_engines_own_writers(language: str, n: int, words: str) -> None:
    assert cardinal(n, language) == words


@given(st.integers(0, LARGEST), st.integers(0, LARGEST), st.sampled_from(["bg", "hr", "et", "el"]))
def test_different_numbers_are_different_words(a: int, b: int, language: str) -> None:
    first, second = cardinal(a, language), cardinal(b, language)
    assert first and "  " not in first and first == first.strip()
    if a != b:
        assert first != second


def test_the_cents_are_digits_after_the_currency() -> None:
    assert amount_in_words(Decimal("81500.50"), "EUR", "sv") == "åttioetttusen femhundra EUR 50/100"
    assert amount_in_words(Decimal("1000.00"), "SEK", "el") == "χίλια SEK"


async def test_the_words_over_http() -> None:
    async with running_api() as api:
        answer = await api.client.get("/i18n/hr/words", params={"amount": "81500.00", "currency": "EUR"})
        assert answer.status_code == 200 and answer.json() == {"words": "osamdeset jedna tisuća petsto EUR"}
        for amount in ("", "abc", "-1", "1.005", "1e20", "NaN", "Infinity"):
            refused = await api.client.get("/i18n/sv/words", params={"amount": amount})
            assert refused.status_code == 422, amount
            assert refused.json()["error"]["code"] == "invalid_amount"
        assert (await api.client.get("/i18n/sv/words", params={"amount": "1", "currency": "€€"})).status_code == 422
        assert (await api.client.get("/i18n/de/words", params={"amount": "1"})).status_code == 404
