"""GET /metrics: Prometheus text that prometheus_client parses, whose series move with what happens."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.observability import ACCEPTED_REASON, bounded_reason
from engine.clock import ManualClock
from tests.api.support import running_api, swedish_auction
from tests.ops.support import scrape, value

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


async def test_a_refused_and_an_accepted_bid_move_their_own_labelled_series() -> None:
    async with running_api(clock=ManualClock(NOW)) as api:
        auction = (await api.schedule(swedish_auction(NOW)))["id"]
        await api.register(auction, "alice@example.test")
        before = await scrape(api.client)

        accepted = await api.bid(auction, "alice@example.test", "1500.00")
        assert accepted.status_code == 201, accepted.text
        middle = await scrape(api.client)
        refused = await api.bid(auction, "alice@example.test", "1.00")
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "bid_too_low"
        after = await scrape(api.client)

    bids = "auction_bids_total"
    accepted_series = {"outcome": "accepted", "reason": ACCEPTED_REASON}
    refused_series = {"outcome": "refused", "reason": "bid_too_low"}
    assert value(middle, bids, **accepted_series) == value(before, bids, **accepted_series) + 1
    assert value(middle, bids, **refused_series) == value(before, bids, **refused_series)
    assert value(after, bids, **accepted_series) == value(middle, bids, **accepted_series)
    assert value(after, bids, **refused_series) == value(middle, bids, **refused_series) + 1
    # Both were decided and written: the histograms counted them.
    assert value(after, "auction_bid_decision_seconds_count") == value(before, "auction_bid_decision_seconds_count") + 2
    assert value(after, "auction_store_commit_appends_count") >= value(before, "auction_store_commit_appends_count") + 2
    assert value(after, "auction_store_commit_seconds_count") == value(after, "auction_store_commit_appends_count")
    routed = {"method": "POST", "route": "/auctions/{auction_id}/bids"}
    assert value(after, "auction_http_requests_total", **routed, status="201") == 1
    assert value(after, "auction_http_requests_total", **routed, status="409") == 1


async def test_no_label_names_an_auction_or_a_bidder() -> None:
    async with running_api(clock=ManualClock(NOW)) as api:
        auction = (await api.schedule(swedish_auction(NOW)))["id"]
        code = await api.register(auction, "alice@example.test")
        await api.bid(auction, "alice@example.test", "1500.00")
        await api.client.get(f"/auctions/{auction}")
        await api.client.get(f"/no/such/{auction}")
        samples = await scrape(api.client)
    labels = {label for sample in samples for label in sample.labels.values()}
    assert not any(auction in label or code in label or "alice" in label for label in labels), labels
    assert {"/auctions/{auction_id}", "unmatched"} <= labels


async def test_the_figures_read_at_scrape_time() -> None:
    async with running_api(clock=ManualClock(NOW), ws_queue_size=1) as api:
        auction = (await api.schedule(swedish_auction(NOW)))["id"]
        hub = api.runtime.hub
        slow = hub.subscribe(auction)
        hub.subscribe(auction)
        samples = await scrape(api.client)
        assert value(samples, "auction_watchers_connected") == 2
        assert value(samples, "auction_watchers_dropped_total") == 0
        assert value(samples, "auction_scheduler_timers_pending") == api.runtime.scheduler.pending == 1
        assert value(samples, "auction_projection_lag_events") == 0
        head = await api.runtime.store.head()
        assert value(samples, "auction_store_head") == value(samples, "auction_projection_checkpoint") == head

        hub.publish(auction, 100, "first")  # each backlog holds one message
        hub.publish(auction, 101, "second")  # neither watcher read the first: both are dropped
        assert slow.ended.done()
        samples = await scrape(api.client)
        assert value(samples, "auction_watchers_connected") == 0
        assert value(samples, "auction_watchers_dropped_total") == 2


async def test_the_metrics_can_be_turned_off() -> None:
    async with running_api(metrics=False) as api:
        response = await api.client.get("/metrics")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert (await api.client.get("/ready")).status_code == 200


@pytest.mark.postgres
async def test_the_database_pool_is_shown_on_postgresql(postgres_url: str) -> None:
    async with running_api(postgres_url) as api:
        samples = await scrape(api.client)
    size = value(samples, "auction_db_pool_size")
    assert size >= 1
    assert 0 <= value(samples, "auction_db_pool_idle") <= size <= value(samples, "auction_db_pool_max")


async def test_sqlite_has_no_pool_series(tmp_path: object) -> None:
    async with running_api() as api:
        samples = await scrape(api.client)
    assert not [sample for sample in samples if sample.name.startswith("auction_db_pool")]


@given(st.text(max_size=80))
def test_a_reason_label_is_a_short_code_or_other(reason: str) -> None:
    label = bounded_reason(reason)
    assert label == reason or label == "other"
    assert re.fullmatch(r"[a-z][a-z0-9_]{0,47}", label)


async def test_notifications_waiting_in_the_outbox_are_counted() -> None:
    from tests.api.support import bidder

    async with running_api() as api:
        auction = (await api.schedule(swedish_auction(datetime.now(UTC))))["id"]
        await api.register(auction, "alice")
        await api.register(auction, "bob")
        opted = await api.client.put("/me/email", json={"address": "alice@example.test"}, headers=bidder("alice"))
        assert opted.status_code in (200, 204), opted.text
        assert value(await scrape(api.client), "auction_notifications_pending") == 0
        await api.bid(auction, "alice", "1500.00")
        await api.bid(auction, "bob", "1600.00")  # alice is outbid: a mail for her waits (no relay set)
        for _ in range(100):
            if await api.runtime.notifications.book.pending_mail():
                break
            await asyncio.sleep(0.05)

        assert value(await scrape(api.client), "auction_notifications_pending") >= 1
