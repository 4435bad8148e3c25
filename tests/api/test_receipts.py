"""The answer to an accepted bid carries a receipt signed by the server's published key."""

from __future__ import annotations

import pytest

from projections.audit.receipts import ReceiptError, verify_receipt
from tests.api.support import running_api, swedish_auction, utc_now


async def test_an_accepted_bid_comes_with_a_receipt_that_verifies_against_the_published_key() -> None:
    async with running_api() as api:
        auction = await api.schedule(swedish_auction(utc_now()))
        await api.register(auction["id"], "alice")
        answer = (await api.bid(auction["id"], "alice", "1500.00")).json()
        key = (await api.client.get("/receipts/public-key")).json()
        receipt = answer["receipt"]
        assert {k: receipt[k] for k in ("auction", "bidder_code", "amount", "position", "received_at")} == {
            k: answer[k] for k in ("auction", "bidder_code", "amount", "position", "received_at")
        }
        assert "alice" not in str(receipt)
        verify_receipt(receipt, key["public_key"])
        with pytest.raises(ReceiptError):
            verify_receipt({**receipt, "received_at": "2000-01-01T00:00:00+00:00"}, key["public_key"])
