"""The bid history pages: in order, pseudonymous, every accepted bid exactly once."""

from __future__ import annotations

from engine.commands import PlaceBid
from tests.api.support import Api, running_api, swedish_auction, utc_now


async def crowded_auction(api: Api, bids: int) -> tuple[str, list[int]]:
    """An auction with ``bids`` accepted bids (every fifth attempt too low, so refused)."""
    auction = await api.schedule(swedish_auction(utc_now()))
    codes = [await api.register(auction["id"], f"bidder-{n}") for n in range(3)]
    accepted: list[int] = []
    amount = 1000_00
    attempt = 0
    while len(accepted) < bids:
        attempt += 1
        code = codes[attempt % len(codes)]
        low = attempt % 5 == 0
        outcome = await api.runtime.service.execute(auction["id"], PlaceBid(code, amount - 100 if low else amount))
        if not low:
            accepted.append(outcome.stored[0].version)
            amount += 100
    api.runtime.projector.notify()
    await api.runtime.projector.wait_for(await api.runtime.store.head(), 5.0)
    return auction["id"], accepted


async def test_following_next_after_visits_every_accepted_bid_once_in_order() -> None:
    async with running_api() as api:
        auction_id, accepted = await crowded_auction(api, 1234)
        seen: list[int] = []
        after: int | None = 0
        sizes = []
        while after is not None:
            page = (await api.client.get(f"/auctions/{auction_id}/bids", params={"after": after})).json()
            sizes.append(len(page["bids"]))
            seen += [bid["position"] for bid in page["bids"]]
            after = page["next_after"]
        assert seen == accepted
        assert sizes == [500, 500, 234]


async def test_a_page_holds_up_to_limit_bids_and_at_most_1000() -> None:
    async with running_api() as api:
        auction_id, accepted = await crowded_auction(api, 1100)
        page = (await api.client.get(f"/auctions/{auction_id}/bids", params={"limit": 1000})).json()
        assert len(page["bids"]) == 1000
        assert page["next_after"] == accepted[999]
        small = (
            await api.client.get(f"/auctions/{auction_id}/bids", params={"limit": 7, "after": accepted[10]})
        ).json()
        assert [b["position"] for b in small["bids"]] == accepted[11:18]


async def test_the_last_page_says_there_is_no_next_page() -> None:
    async with running_api() as api:
        auction_id, accepted = await crowded_auction(api, 10)
        page = (await api.client.get(f"/auctions/{auction_id}/bids", params={"limit": 10})).json()
        assert len(page["bids"]) == 10
        assert page["next_after"] is None
        past = (await api.client.get(f"/auctions/{auction_id}/bids", params={"after": accepted[-1]})).json()
        assert past == {"auction": auction_id, "bids": [], "next_after": None}


async def test_bids_in_the_history_carry_codes_amounts_positions_and_times_only() -> None:
    async with running_api() as api:
        auction_id, _ = await crowded_auction(api, 3)
        page = (await api.client.get(f"/auctions/{auction_id}/bids")).json()
        amounts = [b["amount"] for b in page["bids"]]
        assert amounts == ["1000.00", "1001.00", "1002.00"]
        for bid in page["bids"]:
            assert set(bid) == {"bidder_code", "amount", "position", "received_at", "automatic"}
            assert bid["bidder_code"].startswith("B-")
