"""The pages' own modules, run in the browser: amounts, the next valid bid, wall-clock
times on the country's clock, and the rule hints the bailiff sees."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.support import Server, expect


@pytest.fixture(scope="module")
def page(browser: Any, web_server: Server) -> Iterator[Any]:
    """One page for the whole module: these checks only import modules and call functions."""
    context = browser.new_context(base_url=web_server.url)
    opened = context.new_page()
    opened.goto("/app/sign-in")
    expect(opened.locator("#token")).to_be_visible()
    yield opened
    context.close()


def _call(page: Any, module: str, expression: str, *args: Any) -> Any:
    """Evaluate ``expression`` with the module bound to ``m`` and the arguments to ``a``."""
    return page.evaluate(
        f"async (a) => {{ const m = await import('/app/static/js/{module}'); return ({expression}); }}",
        list(args),
    )


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("81500", "8150000"),
        ("81 500", "8150000"),
        ("81,500.50", "8150050"),
        ("81.500,50", "8150050"),
        ("81500,5", "8150050"),
        ("1,000", "100000"),
        ("0.01", "1"),
        ("abc", None),
        ("-5", None),
        ("1.2.3", None),
        ("", None),
    ],
)
def test_amounts_typed_with_either_decimal_separator_become_exact_cents(
    page: Any, typed: str, cents: str | None
) -> None:
    result = _call(
        page, "money.js", "(() => { const c = m.parseAmount(a[0]); return c === null ? null : String(c); })()", typed
    )
    assert result == cents


def test_money_is_formatted_from_exact_cents_without_floating_point(page: Any) -> None:
    assert _call(page, "money.js", "m.formatMoney('123456789012345.67', 'EUR')") == "123,456,789,012,345.67 EUR"
    assert _call(page, "money.js", "m.fromCents(m.toCents('0.10') + m.toCents('0.20'))") == "0.30"


@pytest.mark.parametrize(
    ("auction", "price", "proposed", "least"),
    [
        ({"country": "SE", "starting_price": "1000.00", "increment": None}, None, "1000.00", "1000.00"),
        ({"country": "SE", "starting_price": "0.00", "increment": None}, None, "1.00", "0.01"),
        ({"country": "SE", "starting_price": "1000.00", "increment": None}, "80000.00", "81000.00", "80000.01"),
        ({"country": "BG", "starting_price": "80000.00", "increment": "500.00"}, None, "80000.00", "80000.00"),
        ({"country": "BG", "starting_price": "80000.00", "increment": "500.00"}, "81000.00", "81500.00", "81500.00"),
        ({"country": "SI", "starting_price": "70000.00", "increment": "1000.00"}, None, "71000.00", "71000.00"),
        ({"country": "HR", "starting_price": "80000.00", "increment": None}, "83000.00", "84000.00", "83000.01"),
    ],
)
def test_the_bid_form_proposes_the_next_valid_amount_for_each_country(
    page: Any, auction: dict[str, Any], price: str | None, proposed: str, least: str
) -> None:
    result = _call(
        page,
        "bidding.js",
        "(() => { const n = m.nextBid(a[0], a[1]); return [n.proposed, n.least].map(String); })()",
        auction,
        price,
    )
    as_text = [f"{int(value) // 100}.{int(value) % 100:02d}" for value in result]
    assert as_text == [proposed, least]


def test_the_typo_guard_asks_only_above_one_and_a_half_times_the_proposed_amount(page: Any) -> None:
    asks = _call(
        page,
        "bidding.js",
        "a[0].map(([x, y]) => m.isLargeJump(BigInt(x), BigInt(y)))",
        [[150000, 100000], [150001, 100000], [1000000, 100000]],
    )
    assert asks == [False, True, True]


def test_every_refusal_code_of_the_contract_reads_as_a_sentence(page: Any) -> None:
    codes = ["bid_too_low", "bad_increment", "auction_closed", "auction_not_open", "not_admitted"]
    sentences = _call(page, "bidding.js", "a[0].map(code => m.refusalSentence(code, 'server text'))", codes)
    assert all(sentence != "server text" and sentence.endswith(".") for sentence in sentences)
    assert _call(page, "bidding.js", "m.refusalSentence('something_new', 'the server says so')") == "the server says so"


def test_wall_clock_input_is_read_on_the_auction_country_clock(page: Any) -> None:
    assert _call(page, "time.js", "m.fromLocalInput('2026-07-01T17:00', 'BG').iso") == "2026-07-01T17:00:00+03:00"
    assert _call(page, "time.js", "m.fromLocalInput('2026-12-01T10:00', 'SE').iso") == "2026-12-01T10:00:00+01:00"
    # Summer time starts at 03:00 in Sofia on 29 March 2026: 03:30 never happens there.
    gap = _call(page, "time.js", "m.fromLocalInput('2026-03-29T03:30', 'BG')")
    assert "does not exist in Europe/Sofia" in gap["error"]
    # 25 October 2026, 03:30 happens twice in Vilnius: the first (summer time) reading is taken.
    twice = _call(page, "time.js", "m.fromLocalInput('2026-10-25T03:30', 'LT')")
    assert twice["iso"] == "2026-10-25T03:30:00+03:00" and twice["ambiguous"] is True


def test_the_rule_hints_cover_the_newer_countries_and_the_notice_terms(page: Any) -> None:
    def hints(draft: dict[str, Any]) -> list[dict[str, Any]]:
        base = {"currency": "EUR", "starting": None, "increment": None, "round": 1, "opensAt": "", "closesAt": ""}
        as_cents = "Object.fromEntries(Object.entries(a[0]).map(([k, v]) => [k, k === 'value' ? BigInt(v) : v]))"
        return list(_call(page, "rules.js", f"m.scheduleHints({as_cents})", {**base, **draft}))

    def warned(found: list[dict[str, Any]], rule: str | None = None, text: str = "") -> bool:
        return any(h["level"] == "warn" and (rule is None or h["rule"] == rule) and text in h["text"] for h in found)

    cz = hints({"country": "CZ", "asset": "immovable", "value": 300_000_000, "currency": "CZK"})
    assert "two thirds of the value = 2,000,000.00 CZK" in str(cz)
    assert warned(cz, "CZ-deposit")
    assert warned(hints({"country": "EE", "asset": "immovable", "value": 100, "extensionMinutes": 61}), "EE-extension")
    tuesday = hints({"country": "GR", "asset": "immovable", "value": 100, "opensAt": "2026-05-12T10:00"})
    assert warned(tuesday, "GR-auction-day")
    azores = hints({"country": "PT", "asset": "immovable", "value": 100, "zone": "Atlantic/Azores"})
    assert "Atlantic/Azores clock" in azores[0]["text"]
    swedish = hints({"country": "SE", "asset": "movable", "value": 100, "increment": 100, "deposit": 100})
    assert warned(swedish, "SE-increment", "term_not_used") and warned(swedish, None, "Leave the deposit empty")


def test_the_rule_hints_follow_the_rule_book(page: Any) -> None:
    def hints(draft: dict[str, Any]) -> list[dict[str, Any]]:
        base = {
            "currency": "EUR",
            "value": None,
            "starting": None,
            "increment": None,
            "round": 1,
            "opensAt": "",
            "closesAt": "",
        }
        # Amounts are BigInt cents in the page, as parseAmount gives them.
        as_cents = (
            "Object.fromEntries(Object.entries(a[0]).map(([k, v]) =>"
            " [k, ['value', 'starting', 'increment'].includes(k) && v !== null ? BigInt(v) : v]))"
        )
        return list(_call(page, "rules.js", f"m.scheduleHints({as_cents})", {**base, **draft}))

    def texts(found: list[dict[str, Any]]) -> str:
        return " | ".join(hint["text"] for hint in found)

    hr = texts(hints({"country": "HR", "asset": "movable", "value": 10_000_000, "round": 2}))
    assert "at least 50% of the value = 50,000.00 EUR" in hr and "10% of the value = 10,000.00 EUR" in hr
    bg2 = texts(hints({"country": "BG", "asset": "immovable", "value": 10_000_000, "round": 2}))
    assert "72,000.00 EUR" in bg2
    lt = hints({"country": "LT", "asset": "movable", "value": 3_000_000, "opensAt": "2026-05-04T10:00"})
    assert "20 days after opening" in texts(lt) and "24 May 2026, 10:00:00" in texts(lt)
    si = hints({"country": "SI", "asset": "immovable", "value": 10_000_000})
    assert "at least 70% of the value = 70,000.00 EUR" in texts(si)
    assert any(hint["level"] == "warn" and hint["rule"] == "SI-duration" for hint in si)
    bg_close = hints(
        {"country": "BG", "asset": "immovable", "value": 10_000_000, "increment": 50000, "closesAt": "2026-06-10T16:00"}
    )
    assert any(hint["level"] == "warn" and hint["rule"] == "BG-close-time" for hint in bg_close)
    hr_close = hints({"country": "HR", "asset": "immovable", "value": 10_000_000, "closesAt": "2026-06-13T10:00"})
    assert any(hint["rule"] == "HR-close-window" and "working day" in hint["text"] for hint in hr_close)


def test_the_payment_period_hint_asks_for_it_except_in_sweden(page: Any) -> None:
    def hints(country: str, days: int | None) -> list[dict[str, Any]]:
        draft = {"country": country, "asset": "movable", "value": None, "starting": None, "increment": None}
        draft.update({"currency": "EUR", "round": 1, "opensAt": "", "closesAt": "", "paymentDays": days})
        return [hint for hint in _call(page, "rules.js", "m.scheduleHints(a[0])", draft) if "ayment" in hint["text"]]

    assert [(h["level"], h["rule"]) for h in hints("HR", None)] == [("warn", "HR-payment")]
    assert "declaration's day + 14 days" in hints("HR", 14)[0]["text"] and hints("HR", 14)[0]["level"] == "info"
    assert hints("HR", 184)[0]["level"] == "warn"
    assert "48 hours" in hints("SE", None)[0]["text"] and len(hints("SE", None)) == 1
    assert any(h["level"] == "warn" and "term_not_used" in h["text"] for h in hints("SE", 10))


def test_the_next_round_hints_give_the_earliest_opening_and_the_floor(page: Any) -> None:
    def terms(auction: dict[str, Any]) -> dict[str, Any]:
        base = {"asset": "immovable", "value": "100000.00", "currency": "EUR", "round": 1, "zone": None}
        expression = (
            "(() => { const t = m.nextRoundTerms(a[0]);"
            " return {...t, floorCents: t.floorCents === null ? null : String(t.floorCents)}; })()"
        )
        return dict(_call(page, "rules.js", expression, {**base, **auction}))

    # Bulgaria: one calendar month after the failed round ended, at 90% of its starting price, asked for within a week.
    bg = terms({"country": "BG", "status": "failed", "closed_at": "2026-01-31T15:00:00Z", "starting_price": "80000.00"})
    assert bg["allowed"] and bg["floorCents"] == "7200000"
    assert bg["earliestMs"] == _call(page, "time.js", "Date.parse('2026-02-28T17:00:00+02:00')")
    texts = " | ".join(hint["text"] for hint in bg["hints"])
    assert "72,000.00 EUR" in texts and "Ask for it within 7 days" in texts and "8 Feb 2026, 00:00:00" in texts
    # Croatia: 60 days after the day after it ended (the default's instant for a defaulted sale), at 00:00 Zagreb.
    hr = terms({"country": "HR", "status": "closed", "sale": "defaulted", "payment_due": "2026-03-09T23:00:00Z"})
    assert hr["earliestMs"] == _call(page, "time.js", "Date.parse('2026-05-10T00:00:00+02:00')")
    assert hr["floorCents"] == "6000000"
    # Slovenia: 30 days after the day bidding ended; round 2 is the last.
    si = terms({"country": "SI", "status": "failed", "closed_at": "2026-06-01T08:00:00Z"})
    assert si["earliestMs"] == _call(page, "time.js", "Date.parse('2026-07-01T00:00:00+02:00')")
    assert si["floorCents"] == "5000000"
    last = terms({"country": "SI", "status": "failed", "closed_at": "2026-06-01T08:00:00Z", "round": 2})
    assert not last["allowed"] and "last the SI rules allow" in last["hints"][0]["text"]
    assert not terms({"country": "LT", "status": "failed", "closed_at": "2026-06-01T08:00:00Z"})["known"]
