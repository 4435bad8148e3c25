"""Bad input: a 4xx in the contract's error shape, never a 5xx, and nothing recorded."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.support import BAILIFF, Api, bidder, running_api, swedish_auction, utc_now


def error_of(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return str(body["error"]["message"])


async def snapshot(api: Api) -> tuple[int, Any]:
    return await api.all_events(), (await api.client.get("/auctions")).json()


NOW = utc_now()
BAD_AUCTIONS: list[tuple[str, dict[str, Any]]] = [
    ("value-as-number", {"value": 50000}),
    ("value-as-float", {"value": 50000.5}),
    ("three-decimals", {"starting_price": "1000.001"}),
    ("negative-money", {"value": "-1.00"}),
    ("money-with-junk", {"value": "12,50"}),
    ("money-with-exponent", {"value": "1e5"}),
    ("time-without-offset", {"opens_at": "2026-05-15T15:00:00"}),
    ("time-not-a-time", {"closes_at": "tomorrow"}),
    ("time-as-number", {"opens_at": 1760000000}),
    ("time-far-past", {"opens_at": "0001-01-01T00:00:00+01:00"}),
    ("time-far-future", {"closes_at": "9999-12-31T23:59:59-12:00"}),
    ("unknown-asset", {"asset": "spaceship"}),
    ("unknown-field", {"colour": "red"}),
    ("round-as-string", {"round": "1"}),
    ("round-as-bool", {"round": True}),
    ("round-zero", {"round": 0}),
    ("country-not-a-code", {"country": "Sweden"}),
    ("currency-not-a-code", {"currency": "kronor"}),
    ("empty-title", {"title": ""}),
    ("missing-value", {"value": None}),
]


@pytest.mark.parametrize(("name", "change"), BAD_AUCTIONS, ids=[n for n, _ in BAD_AUCTIONS])
async def test_a_malformed_auction_is_refused_with_422_invalid_request_and_records_nothing(
    name: str, change: dict[str, Any]
) -> None:
    async with running_api() as api:
        before = await snapshot(api)
        body = swedish_auction(utc_now())
        body.update(change)
        if change.get("value", 0) is None:
            del body["value"]
        response = await api.client.post("/auctions", json=body, headers=BAILIFF)
        error_of(response, 422, "invalid_request")
        assert await snapshot(api) == before


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"[]", b'"text"', b"null", b"\xff\xfe", b'{"country": "SE"'],
    ids=["empty", "truncated", "array", "string", "null", "not-utf8", "unterminated"],
)
async def test_a_body_that_is_not_a_json_object_is_refused_with_422(raw: bytes) -> None:
    async with running_api() as api:
        before = await snapshot(api)
        headers = {**BAILIFF, "Content-Type": "application/json"}
        error_of(await api.client.post("/auctions", content=raw, headers=headers), 422, "invalid_request")
        assert await snapshot(api) == before


async def test_an_unknown_country_is_refused_with_422_unknown_country() -> None:
    async with running_api() as api:
        message = error_of(
            await api.client.post("/auctions", json=swedish_auction(utc_now(), country="XX"), headers=BAILIFF),
            422,
            "unknown_country",
        )
        assert "XX" in message
        assert await api.all_events() == 0


async def test_a_schedule_the_law_forbids_is_refused_with_the_rules_code() -> None:
    async with running_api() as api:
        body = {
            "country": "BG",
            "payment_days": 14,
            "title": "Flat in Sofia",
            "asset": "immovable",
            "value": "100000.00",
            "currency": "EUR",
            "increment": "500.00",
            "opens_at": "2030-04-02T10:00:00+03:00",
            "closes_at": "2030-04-08T16:00:00+03:00",
        }
        response = await api.client.post("/auctions", json=body, headers=BAILIFF)
        error_of(response, 422, "closes_at_not_allowed")
        assert response.json()["error"]["rule"] == "BG-close-time"
        assert await api.all_events() == 0


@pytest.mark.parametrize(
    ("term", "value", "rule"),
    [
        ("increment", "100.00", "SE-increment"),
        ("extension_minutes", 5, "SE-extension"),
        ("deposit", "500.00", "SE-deposit"),
    ],
)
async def test_a_notice_term_the_country_does_not_use_is_refused_naming_the_rule(
    term: str, value: Any, rule: str
) -> None:
    async with running_api() as api:
        body = swedish_auction(utc_now() + timedelta(hours=1), **{term: value})
        response = await api.client.post("/auctions", json=body, headers=BAILIFF)
        assert term in error_of(response, 422, "term_not_used")
        assert response.json()["error"]["rule"] == rule
        assert await api.all_events() == 0


async def test_a_closing_time_in_the_past_is_refused_and_records_nothing() -> None:
    async with running_api() as api:
        now = utc_now()
        body = swedish_auction(now - timedelta(hours=2), closes_at=(now - timedelta(hours=1)).isoformat())
        error_of(await api.client.post("/auctions", json=body, headers=BAILIFF), 422, "closes_at_in_past")
        assert await api.all_events() == 0


BAD_BIDS: list[tuple[str, Any]] = [
    ("number", {"amount": 1500}),
    ("float", {"amount": 1500.5}),
    ("negative", {"amount": "-1500.00"}),
    ("junk", {"amount": "lots"}),
    ("missing", {}),
    ("extra-field", {"amount": "1500.00", "bidder": "B-2"}),
    ("null", {"amount": None}),
    ("list", [{"amount": "1500.00"}]),
]


@pytest.mark.parametrize(("name", "body"), BAD_BIDS, ids=[n for n, _ in BAD_BIDS])
async def test_a_malformed_bid_is_refused_with_422_and_records_nothing(name: str, body: Any) -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        before = await snapshot(api)
        response = await api.client.post(f"/auctions/{auction['id']}/bids", json=body, headers=bidder("alice"))
        error_of(response, 422, "invalid_request")
        assert await snapshot(api) == before


async def test_an_idempotency_key_that_is_too_long_or_not_printable_is_refused_with_422() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        before = await snapshot(api)
        for key in ("k" * 201, "has space", "tab\there"):
            response = await api.bid(auction["id"], "alice", "1500.00", key=key)
            error_of(response, 422, "invalid_request")
        assert await snapshot(api) == before


@pytest.mark.parametrize(
    "query",
    ["after=-1", "after=x", "limit=0", "limit=1001", "limit=ten"],
)
async def test_bad_paging_parameters_are_refused_with_422(query: str) -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        error_of(await api.client.get(f"/auctions/{auction['id']}/bids?{query}"), 422, "invalid_request")


@pytest.mark.parametrize("query", ["status=sold", "country=Sweden", "country=S"])
async def test_bad_catalogue_filters_are_refused_with_422(query: str) -> None:
    async with running_api() as api:
        error_of(await api.client.get(f"/auctions?{query}"), 422, "invalid_request")


async def test_unknown_auctions_answer_404_auction_not_found_everywhere() -> None:
    async with running_api() as api:
        for method, path, headers, body in [
            ("GET", "/auctions/nope", {}, None),
            ("GET", "/auctions/nope/bids", {}, None),
            ("GET", "/auctions/nope/report", BAILIFF, None),
            ("GET", "/auctions/nope/events", BAILIFF, None),
            ("POST", "/auctions/nope/open", BAILIFF, None),
            ("POST", "/auctions/nope/close", BAILIFF, None),
            ("POST", "/auctions/nope/registrations", bidder("alice"), None),
            ("POST", "/auctions/nope/registrations/B-1/deposit", BAILIFF, {"amount": "1.00"}),
            ("POST", "/auctions/nope/bids", bidder("alice"), {"amount": "1.00"}),
            ("POST", "/auctions/nope/proxy", bidder("alice"), {"max": "9.00", "step": "1.00"}),
        ]:
            response = await api.client.request(method, path, headers=headers, json=body)
            error_of(response, 404, "auction_not_found")
        assert await api.all_events() == 0


async def test_an_id_no_auction_could_have_is_not_found_before_any_database_sees_it() -> None:
    async with running_api() as api:
        for path in ("/auctions/a%00b", "/auctions/%00/report", "/auctions/%20x/events", "/auctions/" + "a" * 200):
            response = await api.client.get(path, headers=BAILIFF)
            error_of(response, 404, "auction_not_found")
        response = await api.client.post("/auctions/%00/bids", json={"amount": "1.00"}, headers=bidder("alice"))
        error_of(response, 404, "auction_not_found")
        assert await api.all_events() == 0


async def test_unknown_routes_and_methods_answer_in_the_error_shape() -> None:
    async with running_api() as api:
        error_of(await api.client.get("/nothing-here"), 404, "not_found")
        error_of(await api.client.delete("/auctions"), 405, "method_not_allowed")


async def test_engine_refusals_answer_with_their_own_codes_and_record_nothing() -> None:
    async with running_api() as api:
        now = utc_now()
        later = await api.schedule(
            swedish_auction(now + timedelta(hours=1), closes_at=(now + timedelta(hours=2)).isoformat())
        )
        code = await api.register(later["id"], "alice")
        before = await snapshot(api)
        deposit = f"/auctions/{later['id']}/registrations"
        error_of(
            await api.client.post(f"{deposit}/B-9/deposit", json={"amount": "1.00"}, headers=BAILIFF),
            404,
            "unknown_bidder",
        )
        error_of(
            await api.client.post(f"{deposit}/{code}/deposit", json={"amount": "0.00"}, headers=BAILIFF),
            422,
            "invalid_amount",
        )
        error_of(await api.client.post(f"/auctions/{later['id']}/close", headers=BAILIFF), 409, "bidding_not_ended")
        assert await snapshot(api) == before
        assert (await api.client.post(f"/auctions/{later['id']}/open", headers=BAILIFF)).status_code == 200
        error_of(await api.client.post(f"/auctions/{later['id']}/open", headers=BAILIFF), 409, "already_open")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=12,
)
auction_like = st.fixed_dictionaries(
    {},
    optional={
        "country": st.sampled_from(["SE", "BG", "HR", "LT", "SI", "XX", "se", 1]),
        "title": st.text(max_size=20) | st.integers(),
        "asset": st.sampled_from(["movable", "immovable", "rights", "registered_movable", "car", None]),
        "value": st.sampled_from(["100.00", "0.00", "-1", "1e3", "100.001", 100, None]),
        "currency": st.sampled_from(["EUR", "SEK", "eu", 3]),
        "starting_price": st.sampled_from(["10.00", "0", "abc", 5.5, None]),
        "increment": st.sampled_from(["1.00", "0.00", "x", None]),
        "opens_at": st.sampled_from(["2030-01-01T10:00:00+01:00", "2030-01-01T10:00:00", "junk", 0, None]),
        "closes_at": st.sampled_from(
            ["2030-01-02T17:00:00+02:00", "2020-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00", None]
        ),
        "round": st.sampled_from([1, 2, 0, -1, 3, "1", 1.0, True, 10**30]),
    },
)


def test_no_request_body_ever_yields_a_5xx_and_a_refused_one_records_nothing() -> None:
    async def check(api: Api, auction_id: str, body: Any) -> None:
        before = await api.all_events()
        response = await api.client.post("/auctions", json=body, headers=BAILIFF)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert set(response.json()) == {"error"}
            assert await api.all_events() == before
        before = await api.all_events()
        response = await api.client.post(f"/auctions/{auction_id}/bids", json=body, headers=bidder("alice"))
        assert response.status_code < 500, response.text
        if response.status_code == 422:
            assert await api.all_events() == before

    # One application for every example: the runner keeps its loop (and tasks) between them.
    with asyncio.Runner() as runner:
        context = running_api()
        api = runner.run(context.__aenter__())
        try:
            auction_id = runner.run(api.schedule(swedish_auction(utc_now())))["id"]
            runner.run(api.register(auction_id, "alice"))

            @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
            @given(body=auction_like | json_values)
            def fuzz(body: Any) -> None:
                runner.run(check(api, auction_id, body))

            fuzz()
        finally:
            runner.run(context.__aexit__(None, None, None))


async def test_the_bid_route_checks_a_request_in_the_order_the_other_routes_do() -> None:
    """A body without a token that verifies is refused before it is read (api.limits); then a
    malformed JSON document first, then the auction id, then the role, then the
    Idempotency-Key and the body's schema together, then the auction itself."""
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        bids = f"/auctions/{auction['id']}/bids"
        json_type = {"Content-Type": "application/json"}
        before = await snapshot(api)

        error_of(await api.client.post(bids, content=b"{", headers=json_type), 401, "unauthenticated")
        error_of(await api.client.post("/auctions/%00/bids", json={"amount": 1}), 401, "unauthenticated")
        error_of(await api.client.post(bids, json={"amount": 1}), 401, "unauthenticated")
        malformed = await api.client.post(bids, content=b"{", headers={**json_type, **BAILIFF})
        assert error_of(malformed, 422, "invalid_request") == "1: JSON decode error"
        unknown_id = await api.client.post("/auctions/%00/bids", json={"amount": 1}, headers=BAILIFF)
        error_of(unknown_id, 404, "auction_not_found")
        error_of(await api.client.post(bids, json={"amount": 1}, headers=BAILIFF), 403, "forbidden")
        both = {**bidder("alice"), "Idempotency-Key": "a b"}
        message = error_of(await api.client.post(bids, json={"amount": 1}, headers=both), 422, "invalid_request")
        assert message.startswith("header.Idempotency-Key: ") and "; amount: " in message
        for raw, headers in [
            (b"", json_type),  # no body
            (b"null", json_type),
            (b'{"amount": "1500.00"}', {}),  # not declared JSON: FastAPI does not read it as JSON
            (b'{"amount": "1500.00"}', {"Content-Type": "text/plain"}),
        ]:
            answer = await api.client.post(bids, content=raw, headers={**bidder("alice"), **headers})
            error_of(answer, 422, "invalid_request")
        assert await snapshot(api) == before
        unknown = await api.client.post("/auctions/nope/bids", json={"amount": 1}, headers=bidder("alice"))
        error_of(unknown, 422, "invalid_request")  # the body is checked before the auction is looked up
        charset = {**bidder("alice"), "Content-Type": "application/json; charset=utf-8"}
        assert (await api.client.post(bids, content=b'{"amount": "1500.00"}', headers=charset)).status_code == 201
