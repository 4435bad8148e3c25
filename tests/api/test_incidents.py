"""Technical incidents: recorded by a bailiff, listed in the report, announced on the live feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from websockets.asyncio.client import connect

from engine.clock import ManualClock
from projections.audit.render import render_html
from tests.api.deadline_support import move_clock, status_becomes
from tests.api.support import AUDITOR, BAILIFF, Api, bidder, running_api, swedish_auction, utc_now
from tests.api.test_live import live_api, receive, receive_until


def incident_body(**overrides: Any) -> dict[str, Any]:
    now = utc_now()
    body: dict[str, Any] = {
        "description": "The bidding page answered 502 for every request.",
        "started_at": (now - timedelta(minutes=9)).isoformat(),
        "ended_at": (now - timedelta(minutes=2)).isoformat(),
    }
    body.update(overrides)
    return body


async def post_incident(api: Api, auction_id: str, body: dict[str, Any], headers: dict[str, str] = BAILIFF) -> Any:
    return await api.client.post(f"/auctions/{auction_id}/incidents", json=body, headers=headers)


async def test_a_recorded_incident_is_answered_and_listed_in_every_copy_of_the_report() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice@example.test")
        body = incident_body(description="  Receipts were not sent.  ")
        response = await post_incident(api, auction["id"], body)
        assert response.status_code == 201, response.text
        answer = response.json()
        assert answer["description"] == "Receipts were not sent."
        assert answer["auction"] == auction["id"]
        assert answer["started_at"].endswith("Z") or answer["started_at"].endswith("+00:00")

        full = (await api.client.get(f"/auctions/{auction['id']}/report", headers=AUDITOR)).json()
        anonymised = (
            await api.client.get(f"/auctions/{auction['id']}/report", headers=bidder("alice@example.test"))
        ).json()
        summary = (await api.client.get(f"/auctions/{auction['id']}")).json()
    for report in (full, anonymised):
        (listed,) = report["incidents"]
        assert listed["description"] == "Receipts were not sent."
        assert listed["position"] == answer["position"]
        assert listed["started_at"].endswith("+01:00") or listed["started_at"].endswith("+02:00")  # Stockholm's clock
    assert "Receipts were not sent." in render_html([full]).decode()
    assert summary["position"] == answer["position"] and summary["status"] == "open"  # nothing else changed


@pytest.mark.parametrize(
    "change",
    [
        {"description": ""},
        {"description": "x" * 2001},
        {"description": "   "},
        {"description": "\x1f\n"},  # what str.strip takes away, as the engine strips it
        {"started_at": "2030-01-01T10:00:00"},  # no offset
        {"started_at": (utc_now() + timedelta(hours=1)).isoformat(), "ended_at": None},  # in the future
        {"ended_at": (utc_now() - timedelta(hours=1)).isoformat()},  # before it started
        {"started_at": None},
        {"severity": "high"},
    ],
)
async def test_a_bad_incident_is_refused_with_422_and_records_nothing(change: dict[str, Any]) -> None:
    async with running_api() as api:
        # Opening tomorrow: no event that time alone causes can come between the two counts.
        tomorrow = utc_now() + timedelta(days=1)
        auction = await api.schedule(swedish_auction(tomorrow))
        before = await api.all_events()
        response = await post_incident(api, auction["id"], incident_body(**change))
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] in ("invalid_request", "invalid_incident")
        assert await api.all_events() == before


async def test_only_a_bailiff_records_incidents_and_an_unknown_auction_is_404() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now() + timedelta(days=1)))
        before = await api.all_events()
        for headers, status in ((bidder("alice"), 403), (AUDITOR, 403), ({}, 401)):
            response = await post_incident(api, auction["id"], incident_body(), headers)
            assert response.status_code == status, response.text
        assert (await post_incident(api, "no-such-auction", incident_body())).status_code == 404
        assert await api.all_events() == before


async def test_a_repeated_idempotency_key_returns_the_first_answer_and_records_nothing() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now() + timedelta(days=1)))
        headers = {**BAILIFF, "Idempotency-Key": "outage-1"}
        body = incident_body()
        first = await post_incident(api, auction["id"], body, headers)
        after_first = await api.all_events()
        again = await post_incident(api, auction["id"], body, headers)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        retyped = await post_incident(api, auction["id"], {**body, "description": "retyped"}, headers)
        assert retyped.status_code == 422 and retyped.json()["error"]["code"] == "idempotency_key_reused"
        assert await api.all_events() == after_first


async def test_watchers_get_an_incident_message_with_the_state_after_it() -> None:
    async with live_api() as (api, address):
        auction = await api.schedule(swedish_auction(utc_now()))
        async with connect(f"ws://{address}/ws/auctions/{auction['id']}") as socket:
            snapshot = await receive(socket)
            response = await post_incident(api, auction["id"], incident_body(ended_at=None))
            assert response.status_code == 201, response.text
            (message,) = await receive_until(socket, response.json()["position"])
    assert message["type"] == "incident"
    assert message["description"] == "The bidding page answered 502 for every request."
    assert message["ended_at"] is None
    assert (message["status"], message["price"], message["closes_at"]) == (
        snapshot["status"],
        snapshot["price"],
        snapshot["closes_at"],
    )


async def test_a_retry_after_the_auction_ended_gets_the_first_answer_and_a_new_incident_is_refused() -> None:
    start = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
    clock = ManualClock(start)
    async with running_api(clock=clock) as api:
        auction = await api.schedule(swedish_auction(start))
        body = incident_body(
            started_at=(start - timedelta(minutes=5)).isoformat(), ended_at=start.isoformat()
        )
        headers = {**BAILIFF, "Idempotency-Key": "lost-answer"}
        first = await post_incident(api, auction["id"], body, headers)
        assert first.status_code == 201, first.text
        await move_clock(api, clock, start + timedelta(hours=2))
        await status_becomes(api, auction["id"], "failed")
        assert (await api.client.post(f"/auctions/{auction['id']}/close", headers=BAILIFF)).status_code == 200
        before = await api.all_events()

        again = await post_incident(api, auction["id"], body, headers)
        assert again.status_code == 201, again.text
        assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
        late = await post_incident(api, auction["id"], body, {**BAILIFF, "Idempotency-Key": "another"})
        assert late.status_code == 409 and late.json()["error"]["code"] == "already_ended"
        assert await api.all_events() == before


async def test_the_length_limit_counts_the_text_kept_not_its_padding() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now() + timedelta(days=1)))
        padded = await post_incident(api, auction["id"], incident_body(description="\n  " + "x" * 2000 + " \x1f\n"))
        assert padded.status_code == 201, padded.text
        assert padded.json()["description"] == "x" * 2000
