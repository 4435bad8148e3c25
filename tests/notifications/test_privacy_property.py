"""One person never sees another's notices: for random registrations, watches and bids, each person's
notices name only their own bidder code, and each is told of exactly the times they were outbid."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.clock import ManualClock
from tests.api.support import bidder, running_api, swedish_auction

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PEOPLE = ("ana", "ben", "cleo", "dev")

steps = st.lists(
    st.tuples(st.sampled_from(("register", "bid", "bid", "watch")), st.sampled_from(PEOPLE), st.integers(1, 300)),
    max_size=14,
)


async def scenario(plan: list[tuple[str, str, int]]) -> None:
    async with running_api(clock=ManualClock(START)) as api:
        auction = (await api.schedule(swedish_auction(START)))["id"]
        codes: dict[str, str] = {}
        leader: str | None = None
        price = 0
        expected = dict.fromkeys(PEOPLE, 0)
        for action, person, step in plan:
            if action == "register":
                codes[person] = await api.register(auction, person)
            elif action == "watch":
                assert (await api.client.put(f"/auctions/{auction}/watch", headers=bidder(person))).status_code == 200
            else:
                amount = max(price, 100_000) + step * 100
                answer = await api.bid(auction, person, f"{amount // 100}.00")
                if answer.status_code == 201:
                    assert person in codes
                    if leader is not None and leader != person:
                        expected[leader] += 1
                    leader, price = person, amount
        assert api.runtime.notifications is not None
        await api.runtime.notifications.catch_up()
        everyone_codes = set(codes.values())
        for person in (*PEOPLE, "nobody"):
            page = await api.client.get("/me/notifications", params={"limit": 500}, headers=bidder(person))
            assert page.status_code == 200
            notices = page.json()["notifications"]
            for notice in notices:
                if "bidder_code" in notice:
                    assert notice["bidder_code"] == codes.get(person), (person, notice)
                for value in notice.values():
                    if value in everyone_codes and value != codes.get(person):
                        assert notice["kind"] in ("won", "lost", "closed", "preempted"), (person, notice)
            assert [n["kind"] for n in notices].count("outbid") == expected.get(person, 0), person
            if person not in codes:
                assert all("bidder_code" not in n for n in notices)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_nobody_sees_another_persons_notices(plan: list[tuple[str, str, int]]) -> None:
    asyncio.run(scenario(plan))
