"""Finding rule books through the "auction.rules" entry points; what every book declares."""

from __future__ import annotations

import re
from importlib.metadata import EntryPoint

import pytest

import rules
from engine.policy import AuctionRules
from rules import GROUP, UnknownCountry, available_countries, load_rules

COUNTRIES = ("BG", "CZ", "EE", "GR", "HR", "LT", "LV", "PT", "SE", "SI")


@pytest.fixture(autouse=True)
def fresh_registry():  # type: ignore[no-untyped-def]
    """The registry is cached for speed; tests that swap the entry points start and end clean."""
    rules._registered.cache_clear()
    rules._load.cache_clear()
    yield
    rules._registered.cache_clear()
    rules._load.cache_clear()


def test_every_country_with_a_rule_book_is_available() -> None:
    assert set(COUNTRIES) <= set(available_countries())


@pytest.mark.parametrize("country", COUNTRIES)
def test_each_country_loads_an_auction_rules_object_for_itself(country: str) -> None:
    book = load_rules(country)
    assert isinstance(book, AuctionRules)
    assert book.country == country


def test_country_codes_are_case_insensitive() -> None:
    assert load_rules(" hr ").country == "HR"


def test_an_unknown_country_is_refused_naming_the_available_ones() -> None:
    with pytest.raises(UnknownCountry, match=r"'XX'.*BG, CZ, EE, GR, HR") as caught:
        load_rules("XX")
    assert isinstance(caught.value, ValueError)
    assert caught.value.available == available_countries()


def test_registered_entry_points_decide_what_is_available(monkeypatch: pytest.MonkeyPatch) -> None:
    def only_sweden(group: str) -> list[EntryPoint]:
        assert group == GROUP
        return [EntryPoint(name="SE", value="rules.se:RULES", group=GROUP)]

    monkeypatch.setattr(rules, "entry_points", only_sweden)
    assert available_countries() == ("SE",)
    assert load_rules("se").country == "SE"
    with pytest.raises(UnknownCountry):
        load_rules("BG")


def test_an_entry_point_pointing_at_the_wrong_country_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        rules, "entry_points", lambda group: [EntryPoint(name="HR", value="rules.se:RULES", group=GROUP)]
    )
    with pytest.raises(TypeError):
        load_rules("HR")


def test_only_lithuania_allows_automatic_bidding() -> None:
    assert {c for c in COUNTRIES if load_rules(c).proxy_allowed} == {"LT"}


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_rule_carries_its_country_code_a_legal_basis_and_a_reading(country: str) -> None:
    book = load_rules(country)
    codes = [rule.code for rule in book.rules()]
    assert len(codes) == len(set(codes))
    for rule in book.rules():
        assert rule.code.startswith(f"{country}-")
        assert len(rule.basis) > 40 and len(rule.reading) > 20
    assert f"{country}-proxy" in codes and f"{country}-extension" in codes


@pytest.mark.parametrize("country", COUNTRIES)
def test_the_version_is_the_last_update_date_of_the_source_page(country: str) -> None:
    assert re.match(r"^\d{4}-\d{2}-\d{2}$", load_rules(country).version)


@pytest.mark.parametrize(
    ("country", "zone"),
    [
        ("BG", "Europe/Sofia"),
        ("HR", "Europe/Zagreb"),
        ("LT", "Europe/Vilnius"),
        ("SI", "Europe/Ljubljana"),
        ("SE", "Europe/Stockholm"),
    ],
)
def test_each_country_uses_its_zone(country: str, zone: str) -> None:
    assert load_rules(country).zone.key == zone
