"""The read side: what the entry points show, as JSON-ready views.

Views come from this process's read models (``projections``), kept current by
the catch-up task and by this process's own writes; the report and the event
log are rebuilt from the store, since they must show every event (refused bids,
identities for those allowed to see them). Like cosmicpython's ``views.py``, a
query returns plain data for an answer, not domain objects.
"""

from __future__ import annotations

from typing import Any

from engine.app.receipts import ReceiptSigner
from engine.app.retention import retention_status
from engine.errors import AuctionNotFound
from engine.events import AuctionScheduled
from engine.policy import ScheduleWarning, schedule_warnings
from engine.service import AuctionService
from engine.store.base import EventStore
from engine.streams import stream_of
from projections.audit.log import encode_lines
from projections.audit.receipts import ALGORITHM
from projections.catalogue import AuctionSummary, fold_event, instant, money, summary_json
from projections.catchup import Projector
from projections.history import bid_json
from projections.readmodel import ReadModel
from projections.report import build_report
from projections.search import InvalidCursor, Search, SearchProjection, make_search

__all__ = ["InvalidCursor", "Queries", "Search", "deposits_json", "make_search"]


def deposits_json(summary: AuctionSummary) -> list[dict[str, Any]]:
    """Every bidder's deposit: amount, where it stands (the ledger) and a refund's due date."""
    return [
        {
            "bidder_code": bidder.code,
            "amount": money(bidder.deposit),
            "status": bidder.ledger.value,
            "due": instant(bidder.refund_due),
        }
        for bidder in summary.state.bidders
        if bidder.deposit > 0
    ]


# How long a read of an auction this process does not know waits for the catch-up
# (another process may have scheduled it a moment ago).
REFRESH_TIMEOUT = 1.0


class Queries:
    def __init__(
        self,
        service: AuctionService,
        store: EventStore,
        model: ReadModel,
        projector: Projector,
        signer: ReceiptSigner,
    ) -> None:
        self._service = service
        self._store = store
        self._model = model
        self._projector = projector
        self._signer = signer
        # auction id -> the rules' warnings about its schedule: terms never change once scheduled,
        # so the catalogue need not count working days on every read
        self._warnings: dict[str, tuple[ScheduleWarning, ...]] = {}
        # auction id -> the office it belongs to (None: the default office); fixed when scheduled
        self._offices: dict[str, str | None] = {}
        # Days after an auction is over when its identities are erased (engine.app.retention); None: never.
        self.retention_days: int | None = None
        # The catalogue's search (projections.search), started by the composition root.
        self.search_index: SearchProjection | None = None

    # ------------------------------------------------------------ auctions

    def warnings(self, summary: AuctionSummary) -> tuple[ScheduleWarning, ...]:
        found = self._warnings.get(summary.auction_id)
        if found is None:
            rules = self._service.rules_for(summary.country)
            found = schedule_warnings(rules, summary.terms, summary.state.scheduled_at)
            self._warnings[summary.auction_id] = found
        return found

    def view(self, summary: AuctionSummary) -> dict[str, Any]:
        """The public view plus the rules' warnings about the schedule (computed, never stored)."""
        return {**summary_json(summary), "warnings": [warning.to_json() for warning in self.warnings(summary)]}

    def scheduled_view(self, event: AuctionScheduled, position: int) -> dict[str, Any]:
        """The view of an auction just scheduled, from its first event (the read model may not have it yet)."""
        summary = fold_event(None, event, position)
        assert summary is not None
        return self.view(summary)

    async def summary(self, auction_id: str, refresh: bool = False) -> AuctionSummary:
        summary = self._model.summary(auction_id)
        if summary is None and refresh:
            await self._projector.refresh(timeout=REFRESH_TIMEOUT)
            summary = self._model.summary(auction_id)
        if summary is None:
            raise AuctionNotFound(auction_id)
        return summary

    async def auction(self, auction_id: str, refresh: bool = False, deposits: bool = False) -> dict[str, Any]:
        """The auction's view; with ``deposits`` (for bailiffs and auditors) every deposit and where it stands."""
        summary = await self.summary(auction_id, refresh)
        view = self.view(summary)
        if deposits:
            view["deposits"] = deposits_json(summary)
        return view

    def catalogue(self, country: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """Every auction in the order scheduled, filtered by country and status."""
        code = country.upper() if country is not None else None
        return [
            self.view(s)
            for s in self._model.summaries()
            if (code is None or s.country == code) and (status is None or s.status.value == status)
        ]

    async def search(self, search: Search, cursor: str | None, limit: int) -> dict[str, Any]:
        """A page of the catalogue's search: the lots' views, how many match in all, the next page's
        ``cursor`` (None on the last page). :class:`InvalidCursor` for a cursor not given for ``search``."""
        if self.search_index is None:
            raise RuntimeError("the search is not started")
        summaries, total, following = await self.search_index.search(search, cursor, limit)
        return {"auctions": [self.view(s) for s in summaries], "total": total, "limit": limit, "cursor": following}

    async def bids(self, auction_id: str, after: int, limit: int) -> dict[str, Any]:
        await self.summary(auction_id, refresh=True)
        page = self._model.bids(auction_id, after, limit)
        return {"auction": auction_id, "bids": [bid_json(row) for row in page.rows], "next_after": page.next_after}

    async def bidder_state(self, auction_id: str, subject: str) -> dict[str, Any] | None:
        """The caller's own part of the auction: their code, admission, deposit and accepted bids
        (each with its position and whether it leads); None when ``subject`` never registered.
        The state is the service's, identities opened, to find the caller; the answer names only
        their bidder code, never the subject, and no other bidder's data."""
        summary = await self.summary(auction_id, refresh=True)
        state = await self._service.load(auction_id)
        bidder = state.bidder_by_subject(subject)
        if bidder is None:
            return None
        best = state.best
        rows = self._model.bids(auction_id, 0, state.bid_count + 1).rows
        own = [row for row in rows if bid_json(row)["bidder_code"] == bidder.code]
        bids = []
        for row in own:
            bid = bid_json(row)
            leads = best is not None and best.bidder_code == bidder.code and bid["amount"] == money(best.amount)
            bids.append({**bid, "leading": leads})
        return {
            "auction": auction_id,
            "bidder_code": bidder.code,
            "role": bidder.role,
            "admitted": bidder.admitted,
            "refusal": bidder.refusal,
            "deposit": money(bidder.deposit),
            "deposit_required": money(summary.terms.deposit_required),
            "deposit_status": bidder.ledger.value if bidder.deposit > 0 else None,
            "refund_due": instant(bidder.refund_due),
            "leading": best is not None and best.bidder_code == bidder.code,
            "bids": bids,
        }

    # ------------------------------------------------------------ from the store

    async def office(self, auction_id: str) -> str | None:
        """The office the auction belongs to: the one that scheduled it, as its ``AuctionScheduled``
        records it (None: scheduled by an official whose token names no office, the default office).
        Read from the store once (another process may have scheduled it), then remembered."""
        if auction_id in self._offices:
            return self._offices[auction_id]
        stored = await self._store.read_stream(stream_of(auction_id))
        if not stored or stored[0].type != AuctionScheduled.__name__:
            raise AuctionNotFound(auction_id)
        office = stored[0].data.get("office")
        self._offices[auction_id] = found = office if isinstance(office, str) else None
        return found

    async def report(self, auction_id: str, anonymise: bool) -> dict[str, Any]:
        """The report rebuilt from the events; identities are opened (vault) only when not ``anonymise``."""
        events = await self._store.read_stream(stream_of(auction_id))
        if not events:
            raise AuctionNotFound(auction_id)
        country = str(events[0].data.get("country", ""))
        decoded = None if anonymise else await self._service.decode(events)
        now = self._service.clock.now()
        report = build_report(auction_id, events, self._service.rules_for(country), anonymise, decoded, as_of=now)
        report["retention"] = retention_status(events, self.retention_days, decoded, now)
        return report

    async def event_log(self, auction_id: str) -> bytes:
        """The auction's events as JSON Lines, in order (the format of ``auction export``)."""
        stored = await self._store.read_stream(stream_of(auction_id))
        if not stored:
            raise AuctionNotFound(auction_id)
        return encode_lines(stored)

    # ------------------------------------------------------------ the service

    def receipt_key(self) -> dict[str, str]:
        return {"algorithm": ALGORITHM, "public_key": self._signer.public_key_b64}

    def checkpoint(self) -> int:
        """The global event position the read models reached."""
        return self._model.checkpoint
