"""Per-country rule books, found through the ``auction.rules`` entry points.

Each country module exposes ``RULES``, an object satisfying
:class:`engine.policy.AuctionRules`; pyproject.toml registers them
(``BG = "rules.bg:RULES"`` ...). The engine never imports this package: the
composition root calls :func:`load_rules` and hands the object to the core.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from engine.policy import AuctionRules

GROUP = "auction.rules"

# The same table as pyproject.toml's [project.entry-points."auction.rules"].
# It is used only when no distribution registers the group at all, i.e. when
# the code runs from a source checkout that was never pip-installed.
_IN_TREE = {
    "BG": "rules.bg:RULES",
    "HR": "rules.hr:RULES",
    "LT": "rules.lt:RULES",
    "SI": "rules.si:RULES",
    "SE": "rules.se:RULES",
    "EE": "rules.ee:RULES",
    "LV": "rules.lv:RULES",
    "CZ": "rules.cz:RULES",
    "PT": "rules.pt:RULES",
    "GR": "rules.gr:RULES",
}


class UnknownCountry(LookupError, ValueError):
    """No rule book is registered for the country code."""

    def __init__(self, country: object, available: tuple[str, ...]) -> None:
        self.country = country
        self.available = available
        super().__init__(f"no auction rules for country {country!r}; available: {', '.join(available) or 'none'}")


@cache  # scanning installed distributions is slow; the set does not change while running
def _registered() -> dict[str, EntryPoint]:
    found = {point.name.upper(): point for point in entry_points(group=GROUP)}
    if not found:
        found = {code: EntryPoint(name=code, value=value, group=GROUP) for code, value in _IN_TREE.items()}
    return found


def available_countries() -> tuple[str, ...]:
    """The ISO 3166-1 alpha-2 codes that have a rule book, sorted."""
    return tuple(sorted(_registered()))


def load_rules(country: str) -> AuctionRules:
    """The rule book for ``country`` (case-insensitive); :class:`UnknownCountry` if there is none."""
    code = country.strip().upper() if isinstance(country, str) else ""
    return _load(code) if code in _registered() else _load_or_fail(country)


def _load_or_fail(country: object) -> AuctionRules:
    raise UnknownCountry(country, available_countries())


@cache
def _load(code: str) -> AuctionRules:
    point = _registered()[code]
    rules = point.load()
    if not isinstance(rules, AuctionRules) or rules.country != code:
        raise TypeError(f"entry point {point.value!r} for {code} is not an AuctionRules object for {code}")
    return rules


__all__ = ["GROUP", "UnknownCountry", "available_countries", "load_rules"]
