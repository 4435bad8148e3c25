"""Retention: identities erased by themselves AUCTION_RETENTION_DAYS after their auctions are over.

On a manual clock: a person's key goes only once every auction they registered for is past its
date; the report says when the period ends and how many identities are erased; an act after the
end restarts the period. The pure rule (:func:`engine.app.retention.erase_after`) is a property.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.app.retention import ENDING, erase_after
from engine.clock import ManualClock
from tests.api.support import AUDITOR, BAILIFF, running_api, swedish_auction

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
DAYS = 30


async def report(api: Any, auction_id: str) -> dict[str, Any]:
    response = await api.client.get(f"/auctions/{auction_id}/report", headers=AUDITOR)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def cancel(api: Any, auction_id: str) -> None:
    response = await api.client.post(
        f"/auctions/{auction_id}/cancel", json={"reason": "The debt was paid."}, headers=BAILIFF
    )
    assert response.status_code == 200, response.text


async def test_identities_go_once_every_auction_of_the_person_is_past_its_date() -> None:
    clock = ManualClock(NOW)
    async with running_api(clock=clock, retention_days=DAYS) as api:
        retention = api.runtime.retention
        assert retention is not None
        first = (await api.schedule(swedish_auction(NOW)))["id"]
        second = (await api.schedule(swedish_auction(NOW, closes_at=(NOW + timedelta(days=40)).isoformat())))["id"]
        await api.register(first, "alice@example.test")
        await api.register(first, "bob@example.test")
        await api.register(second, "bob@example.test")  # bob is in a second auction, still open
        assert (await api.bid(first, "alice@example.test", "1500.00")).status_code == 201

        assert (await report(api, first))["retention"] == {
            "days": DAYS,
            "erase_after": None,
            "due": False,
            "identities": 2,
            "erased": 0,
        }
        clock.advance(timedelta(minutes=10))
        await cancel(api, first)
        ended = clock.now()
        until = ended + timedelta(days=DAYS)
        status = (await report(api, first))["retention"]
        assert (status["erase_after"], status["due"], status["erased"]) == (until.isoformat(), False, 0)

        clock.set(until - timedelta(seconds=1))
        assert await retention.run_once() == 0  # not yet

        clock.set(until)
        assert await retention.run_once() == 1  # alice's key; bob's waits for his other auction
        status = (await report(api, first))["retention"]
        assert (status["due"], status["identities"], status["erased"]) == (True, 2, 1)
        assert (await report(api, second))["retention"]["erased"] == 0
        assert await retention.run_once() == 0  # nothing twice

        clock.advance(timedelta(days=1))
        await cancel(api, second)
        clock.advance(timedelta(days=DAYS))
        assert await retention.run_once() == 1  # bob's key, now that his last auction is past its date too
        assert (await report(api, first))["retention"]["erased"] == 2
        assert (await report(api, second))["retention"]["erased"] == 1
        # The log still verifies and the bidders still appear by their codes (the reports rebuild).
        assert (await api.client.get(f"/auctions/{first}/events", headers=AUDITOR)).status_code == 200


async def test_without_a_period_nothing_is_erased_and_the_report_says_so() -> None:
    clock = ManualClock(NOW)
    async with running_api(clock=clock) as api:
        assert api.runtime.retention is None
        auction = (await api.schedule(swedish_auction(NOW)))["id"]
        await api.register(auction, "carol@example.test")
        await cancel(api, auction)
        clock.advance(timedelta(days=3650))
        status = (await report(api, auction))["retention"]
        assert status == {"days": None, "erase_after": None, "due": False, "identities": 1, "erased": 0}


TYPES = sorted(ENDING | {"BidAccepted", "BidderRegistered", "DepositRefunded", "AuctionEnded", "SaleDefaulted"})
events = st.lists(
    st.tuples(
        st.sampled_from(TYPES),
        st.sampled_from([{}, {"purchaser": None}, {"purchaser": "B-1"}]),
        st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
    ),
    max_size=12,
)


@given(events, st.integers(min_value=0, max_value=4000))
def test_the_period_runs_from_the_latest_event_of_an_auction_that_is_over(
    log: list[tuple[str, dict[str, Any], datetime]], days: int
) -> None:
    over = any(t in ENDING or (t == "AuctionEnded" and d.get("purchaser", "x") is None) for t, d, _ in log)
    until = erase_after(log, days)
    if not over:
        assert until is None
        return
    assert until == max(at for _, _, at in log) + timedelta(days=days)
    # An act after the end never brings the date forward.
    later = max(at for _, _, at in log) + timedelta(hours=1)
    assert erase_after([*log, ("DepositRefunded", {}, later)], days) == later + timedelta(days=days)
