"""Public reads, the live feed and a bidder's report never show who a bidder is."""

from __future__ import annotations

import asyncio

import orjson
from websockets.asyncio.client import connect

from tests.api.support import AUDITOR, BAILIFF, bidder, swedish_auction, utc_now
from tests.api.test_live import live_api

SUBJECTS = ["alice.andersson@example.test", "bjorn.berg@example.test", "cecilia.carlsson@example.test"]


async def test_no_identity_appears_in_any_public_read_stream_or_bidders_report() -> None:
    async with live_api() as (api, address):
        auction = await api.schedule(swedish_auction(utc_now()))
        auction_id = auction["id"]
        async with connect(f"ws://{address}/ws/auctions/{auction_id}?after=0") as socket:
            for subject in SUBJECTS:
                await api.register(auction_id, subject)
            for n, subject in enumerate(SUBJECTS * 2):
                await api.bid(auction_id, subject, f"{2000 + 100 * n}.00")
            await api.bid(auction_id, SUBJECTS[0], "1.00")  # refused, recorded
            await api.client.post(
                f"/auctions/{auction_id}/proxy", json={"max": "9000.00", "step": "1.00"}, headers=bidder(SUBJECTS[1])
            )
            bids = (await api.client.get(f"/auctions/{auction_id}/bids")).json()["bids"]
            frames: list[str] = []
            async with asyncio.timeout(5):
                while not frames or orjson.loads(frames[-1])["position"] < bids[-1]["position"]:
                    frames.append(str(await socket.recv()))

        public = [
            (await api.client.get("/auctions")).text,
            (await api.client.get(f"/auctions/{auction_id}")).text,
            (await api.client.get(f"/auctions/{auction_id}/bids")).text,
            (await api.client.get(f"/auctions/{auction_id}/report", headers=bidder(SUBJECTS[2]))).text,
            *frames,
        ]
        for text in public:
            for subject in SUBJECTS:
                assert subject not in text
        assert any('"leader":"B-' in text for text in public)

        # The stored log keeps identities sealed; only the full report opens them.
        events = (await api.client.get(f"/auctions/{auction_id}/events", headers=AUDITOR)).text
        assert all(subject not in events for subject in SUBJECTS)
        full = (await api.client.get(f"/auctions/{auction_id}/report", headers=BAILIFF)).text
        assert all(subject in full for subject in SUBJECTS)


async def test_a_registration_answer_names_the_code_not_the_identity() -> None:
    async with live_api() as (api, _):
        auction = await api.schedule(swedish_auction(utc_now()))
        response = await api.client.post(f"/auctions/{auction['id']}/registrations", headers=bidder(SUBJECTS[0]))
        assert response.status_code == 201
        assert SUBJECTS[0] not in response.text
        assert response.json()["bidder_code"] == "B-1"
        again = await api.client.post(f"/auctions/{auction['id']}/registrations", headers=bidder(SUBJECTS[0]))
        assert again.status_code == 200 and again.json()["bidder_code"] == "B-1"
