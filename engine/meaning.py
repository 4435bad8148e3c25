"""What each event type means, said once: to the auction's state, to watchers, to the report.

Every event type has one :class:`Meaning` below, and nothing else in the engine
or its read models knows what an event does:

- ``evolve``: the auction's state after the event (the decider decides on it;
  the catalogue, the live feed and the report show its status, price, leader,
  deadline and counts, so they cannot disagree with the decider);
- ``change`` and ``public``: the kind of the live message watchers receive and
  the event's own public fields in it (``None``: not news to a watcher, or not
  public, like a registration's identity or a proxy's maximum);
- ``report``: the line(s) the event adds to the auction report.

Adding an event type is one entry here; ``tests/domain/test_read_sides.py``
holds every read side to the decider's state, and fails for an event type
without a meaning. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from msgspec.structs import replace

from engine import details as lot
from engine.events import (
    EVENT_TYPES,
    AdmissionRefused,
    AuctionCancelled,
    AuctionEnded,
    AuctionResumed,
    AuctionScheduled,
    AuctionSuspended,
    BidAccepted,
    BidderAdmitted,
    BidderRegistered,
    BiddingClosed,
    BiddingFailed,
    BiddingOpened,
    BidRejected,
    DeadlineExtended,
    DepositCredited,
    DepositForfeited,
    DepositRecorded,
    DepositRefunded,
    DetailsAmended,
    DocumentPublished,
    DocumentWithdrawn,
    Event,
    GraceGranted,
    IncidentRecorded,
    NextRoundScheduled,
    PaymentRecorded,
    PhotoPublished,
    PhotosOrdered,
    PhotoWithdrawn,
    PreemptionDeclared,
    ProxyRejected,
    ProxySet,
    RefundDue,
    RoundsExhausted,
    SaleDefaulted,
    SaleOffered,
    SalePaid,
    TransferDecided,
)
from engine.model import (
    DOCUMENT,
    PHOTO,
    AcceptedBid,
    AssetKind,
    AuctionState,
    Bidder,
    Ledger,
    LotFile,
    Proxy,
    Sale,
    Status,
    Suspension,
    Terms,
    format_instant,
    format_money,
)

E = TypeVar("E", bound=Event)


def money(cents: int | None) -> str | None:
    return None if cents is None else format_money(cents)


def instant(value: datetime | None) -> str | None:
    return None if value is None else format_instant(value)


class BidderLine(Protocol):
    """A bidder's entry in the report, as a report meaning updates it."""

    deposits: list[dict[str, Any]]
    total: int
    admitted: bool
    admitted_at: datetime | None
    admission_rule: str | None
    refusals: list[dict[str, Any]]


class Report(Protocol):
    """What a report meaning writes to (``projections.report`` implements it)."""

    @property
    def position(self) -> int:
        """The stream version of the event being added."""

    def time(self, value: datetime | None) -> str | None:
        """An instant on the auction's wall clock."""

    def who(self, code: str | None) -> dict[str, Any]:
        """The bidder fields of a line: the code, and the identity in a full report."""

    def cite(self, rule: str | None) -> None:
        """The report lists the rule among those applied."""

    def line(self, section: str, fields: dict[str, Any]) -> None:
        """Add a line to a list section (``bids``, ``proxies``, ``extensions``, ``incidents``),
        headed by the event's position."""

    def enrol(self, code: str, subject: object, at: datetime) -> None:
        """A new bidder entry."""

    def bidder(self, code: str) -> BidderLine:
        """The entry of a registered bidder."""


@dataclass(frozen=True)
class Meaning(Generic[E]):
    evolve: Callable[[AuctionState, E], AuctionState]
    report: Callable[[E, Report], None]
    change: str | None = None  # the live message's type; None: watchers are not told
    public: Callable[[E], dict[str, Any]] | None = None  # the message's own fields (JSON-ready)


MEANINGS: dict[type[Event], Meaning[Any]] = {}


def means(
    event_type: type[E],
    evolve: Callable[[AuctionState, E], AuctionState],
    report: Callable[[E, Report], None],
    change: str | None = None,
    public: Callable[[E], dict[str, Any]] | None = None,
) -> None:
    if (change is None) != (public is None):
        raise TypeError(f"{event_type.__name__}: a live message needs both its type and its fields")
    MEANINGS[event_type] = Meaning(evolve, report, change, public)


def meaning_of(event: Event) -> Meaning[Any]:
    try:
        return MEANINGS[type(event)]
    except KeyError:
        raise TypeError(f"no meaning for {type(event).__name__}") from None


def evolve(state: AuctionState, event: Event, version: int | None = None) -> AuctionState:
    """The auction's state after ``event``, the stream's ``version``-th event (by default
    the one after ``state``'s)."""
    after = meaning_of(event).evolve(state, event)
    return replace(after, version=state.version + 1 if version is None else version)


def public_change(event: Event) -> tuple[str, dict[str, Any]] | None:
    """The live message type and the event's public fields, or ``None`` if watchers are not told."""
    found = meaning_of(event)
    if found.change is None or found.public is None:
        return None
    return found.change, found.public(event)


def _unchanged(state: AuctionState, event: Event) -> AuctionState:
    return state


def _nothing(event: Event, report: Report) -> None:
    return None


def _update_bidder(state: AuctionState, code: str, change: Callable[[Bidder], Bidder]) -> AuctionState:
    return replace(state, bidders=tuple(change(b) if b.code == code else b for b in state.bidders))


# ---------------------------------------------------------------- scheduling


def scheduled_terms(event: AuctionScheduled) -> Terms:
    """The terms an auction was scheduled with."""
    return Terms(
        country=event.country,
        title=event.title,
        asset=AssetKind(event.asset),
        value=event.value,
        currency=event.currency,
        starting_price=event.starting_price,
        increment=event.increment,
        opens_at=event.opens_at,
        closes_at=event.closes_at,
        round=event.round,
        deposit_required=event.deposit_required,
        deposit_due=event.deposit_due,
        extension_minutes=event.extension_minutes,
        zone=event.zone,
        payment_days=event.payment_days,
        previous=event.previous,
    )


means(
    AuctionScheduled,
    evolve=lambda s, e: replace(
        s,
        status=Status.SCHEDULED,
        terms=scheduled_terms(e),
        rules_version=e.rules_version,
        scheduled_at=e.at,
        deadline=e.closes_at,
        details=e.details,
    ),
    report=_nothing,  # the report's terms and details are the state's
    change="scheduled",
    public=lambda e: {"opens_at": format_instant(e.opens_at)},
)

# ---------------------------------------------------------------- bidders


def _registered_report(e: BidderRegistered, report: Report) -> None:
    report.enrol(e.bidder_code, e.subject, e.at)


def _deposit_report(e: DepositRecorded, report: Report) -> None:
    bidder = report.bidder(e.bidder_code)
    bidder.deposits.append({"position": report.position, "amount": format_money(e.amount), "at": report.time(e.at)})
    bidder.total = e.total


def _admitted_report(e: BidderAdmitted, report: Report) -> None:
    bidder = report.bidder(e.bidder_code)
    bidder.admitted, bidder.admitted_at, bidder.admission_rule = True, e.at, e.rule
    report.cite(e.rule)


def _admission_refused_report(e: AdmissionRefused, report: Report) -> None:
    report.bidder(e.bidder_code).refusals.append(
        {"position": report.position, "reason": e.reason, "rule": e.rule, "at": report.time(e.at)}
    )
    report.cite(e.rule)


means(
    BidderRegistered,
    evolve=lambda s, e: replace(s, bidders=s.bidders + (Bidder(code=e.bidder_code, subject=e.subject, role=e.role),)),
    report=_registered_report,
)
means(
    DepositRecorded,
    evolve=lambda s, e: _update_bidder(s, e.bidder_code, lambda b: replace(b, deposit=e.total)),
    report=_deposit_report,
)
means(
    BidderAdmitted,
    evolve=lambda s, e: _update_bidder(s, e.bidder_code, lambda b: replace(b, admitted=True, refusal=None)),
    report=_admitted_report,
)
means(
    AdmissionRefused,
    evolve=lambda s, e: _update_bidder(s, e.bidder_code, lambda b: replace(b, refusal=e.reason)),
    report=_admission_refused_report,
)

# ---------------------------------------------------------------- bidding


def _opened_report(e: BiddingOpened, report: Report) -> None:
    return None  # opened_at and opened_by are the state's


means(
    BiddingOpened,
    evolve=lambda s, e: replace(s, status=Status.OPEN, opened_at=e.at, opened_by=e.by),
    report=_opened_report,
    change="opened",
    public=lambda e: {"at": format_instant(e.at), "by": e.by},
)


def _bid_evolve(state: AuctionState, e: BidAccepted) -> AuctionState:
    count = state.bid_count + 1
    best = AcceptedBid(
        bidder_code=e.bidder_code, amount=e.amount, at=e.at, position_in_auction=count, automatic=e.automatic
    )
    # Each bidder's highest accepted bid (amounts only rise), for an offer to the next-best bidder.
    bidders = tuple(replace(b, best_bid=e.amount) if b.code == e.bidder_code else b for b in state.bidders)
    return replace(state, best=best, bid_count=count, bidders=bidders)


def _bid_line(report: Report, e: BidAccepted | BidRejected, reason: str | None, rule: str | None) -> None:
    report.line(
        "bids",
        {
            "at": report.time(e.at),
            **report.who(e.bidder_code),
            "amount": format_money(e.amount),
            "accepted": reason is None,
            "reason": reason,
            "rule": rule,
            "automatic": e.automatic,
        },
    )


def _rejected_report(e: BidRejected, report: Report) -> None:
    _bid_line(report, e, e.reason, e.rule)
    report.cite(e.rule)


means(
    BidAccepted,
    evolve=_bid_evolve,
    report=lambda e, r: _bid_line(r, e, None, None),
    change="bid",
    public=lambda e: {
        "bidder_code": e.bidder_code,
        "amount": format_money(e.amount),
        "received_at": format_instant(e.at),
        "automatic": e.automatic,
    },
)
means(BidRejected, evolve=_unchanged, report=_rejected_report)


def _proxy_line(report: Report, e: ProxySet | ProxyRejected, reason: str | None, rule: str | None) -> None:
    report.line(
        "proxies",
        {
            "at": report.time(e.at),
            **report.who(e.bidder_code),
            "max": format_money(e.max_amount),
            "step": format_money(e.step),
            "accepted": reason is None,
            "reason": reason,
            "rule": rule,
        },
    )


def _proxy_evolve(state: AuctionState, e: ProxySet) -> AuctionState:
    # Setting a new proxy replaces the owner's earlier one and takes its place at the end.
    kept = tuple(p for p in state.proxies if p.bidder_code != e.bidder_code)
    return replace(state, proxies=kept + (Proxy(e.bidder_code, e.max_amount, e.step),))


# A proxy's maximum is its owner's secret: no live message.
means(ProxySet, evolve=_proxy_evolve, report=lambda e, r: _proxy_line(r, e, None, None))
means(ProxyRejected, evolve=_unchanged, report=lambda e, r: _proxy_line(r, e, e.reason, e.rule))


def _extended_report(e: DeadlineExtended, report: Report) -> None:
    report.line(
        "extensions",
        {
            "at": report.time(e.at),
            "previous": report.time(e.previous),
            "deadline": report.time(e.deadline),
            "rule": e.rule,
            "basis": e.basis,
            "reading": e.reading,
        },
    )
    report.cite(e.rule)


means(
    DeadlineExtended,
    evolve=lambda s, e: replace(s, deadline=e.deadline, extensions=s.extensions + 1),
    report=_extended_report,
    change="extended",
    public=lambda e: {"previous": format_instant(e.previous), "deadline": format_instant(e.deadline), "rule": e.rule},
)

# ---------------------------------------------------------------- the end of bidding and of the auction

means(
    BiddingClosed,
    evolve=lambda s, e: replace(s, status=Status.CLOSED, closed_at=e.at),
    report=_nothing,  # the winner and price are the state's best bid
    change="closed",
    public=lambda e: {"at": format_instant(e.at), "winner": e.winner},
)
means(
    BiddingFailed,
    evolve=lambda s, e: replace(s, status=Status.FAILED, closed_at=e.at),
    report=_nothing,
    change="failed",
    public=lambda e: {"at": format_instant(e.at)},
)


def _ended_evolve(state: AuctionState, e: AuctionEnded) -> AuctionState:
    return replace(
        state,
        ended=True,
        ended_at=e.at,
        purchaser=e.purchaser,
        purchase_price=e.price,
        sale=Sale.AWAITING_PAYMENT if e.purchaser is not None else None,
        payment_due=e.payment_due,
        credited=0,
        payments=0,
    )


def _official(e: Any) -> dict[str, Any]:
    """Who performed an official act: the report names them."""
    return {"official": e.official, "office": e.office}


def _sale_line(report: Report, e: Event, what: str, fields: dict[str, Any]) -> None:
    """A line of the sale's course after bidding."""
    official = _official(e) if hasattr(e, "official") else {}
    report.line("sale", {"at": report.time(e.at), "act": what, **fields, **official})


def _ended_report(e: AuctionEnded, report: Report) -> None:
    fields: dict[str, Any] = {
        **report.who(e.purchaser),
        "price": money(e.price),
        "payment_due": report.time(e.payment_due),
    }
    _sale_line(report, e, "declared" if e.purchaser is not None else "declared_failed", fields)
    report.cite(e.rule)


means(
    AuctionEnded,
    evolve=_ended_evolve,
    report=_ended_report,
    change="declared",  # the bailiff's declaration: the purchaser (or the failure) and the payment deadline
    public=lambda e: {
        "at": format_instant(e.at),
        "purchaser": e.purchaser,
        "price": money(e.price),
        "payment_due": instant(e.payment_due),
        "sale": Sale.AWAITING_PAYMENT.value if e.purchaser is not None else None,
    },
)


def _incident_report(e: IncidentRecorded, report: Report) -> None:
    report.line(
        "incidents",
        {
            "at": report.time(e.at),
            "started_at": report.time(e.started_at),
            "ended_at": report.time(e.ended_at),
            "description": e.description,
            **_official(e),
        },
    )


means(
    IncidentRecorded,
    evolve=_unchanged,
    report=_incident_report,
    change="incident",
    public=lambda e: {
        "at": format_instant(e.at),
        "description": e.description,
        "started_at": format_instant(e.started_at),
        "ended_at": instant(e.ended_at),
    },
)

# ---------------------------------------------------------------- what is for sale (engine.details)


def _amended_evolve(state: AuctionState, e: DetailsAmended) -> AuctionState:
    details = lot.with_fields(state.details if state.details is not None else lot.EMPTY, e.after, e.fields)
    return replace(state, details=None if details == lot.EMPTY else details, amendments=state.amendments + 1)


def _amended_report(e: DetailsAmended, report: Report) -> None:
    report.line(
        "amendments",
        {
            "at": report.time(e.at),
            "fields": list(e.fields),
            "changes": lot.changes_json(e.before, e.after, e.fields),
            "reason": e.reason,
            **_official(e),
        },
    )


means(
    DetailsAmended,
    evolve=_amended_evolve,
    report=_amended_report,
    change="amended",
    public=lambda e: {
        "at": format_instant(e.at),
        "fields": list(e.fields),
        "changes": lot.changes_json(e.before, e.after, e.fields),
        "reason": e.reason,
    },
)

# ---------------------------------------------------------------- photos and documents of the lot


def _published(state: AuctionState, file: LotFile) -> AuctionState:
    # A file published again after its withdrawal takes its new place at the end.
    kept = tuple(f for f in state.files if not (f.kind == file.kind and f.sha256 == file.sha256))
    return replace(state, files=kept + (file,))


def _photo_file(e: PhotoPublished) -> LotFile:
    return LotFile(
        kind=PHOTO,
        sha256=e.sha256,
        size=e.size,
        media_type=e.media_type,
        label=e.alt,
        published_at=e.at,
        width=e.width,
        height=e.height,
        thumbnail=e.thumbnail,
        preview=e.preview,
    )


def _document_file(e: DocumentPublished) -> LotFile:
    return LotFile(
        kind=DOCUMENT, sha256=e.sha256, size=e.size, media_type=e.media_type, label=e.title, published_at=e.at
    )


def _withdrawn(kind: str) -> Callable[[AuctionState, Any], AuctionState]:
    def evolve_withdrawn(state: AuctionState, e: PhotoWithdrawn | DocumentWithdrawn) -> AuctionState:
        return replace(
            state,
            files=tuple(
                replace(f, withdrawn_at=e.at, withdrawal_reason=e.reason)
                if f.kind == kind and f.sha256 == e.sha256
                else f
                for f in state.files
            ),
        )

    return evolve_withdrawn


def _ordered(state: AuctionState, e: PhotosOrdered) -> AuctionState:
    rank = {sha: index for index, sha in enumerate(e.order)}
    photos = sorted(
        (f for f in state.files if f.kind == PHOTO), key=lambda f: (not f.public, rank.get(f.sha256, len(rank)))
    )
    return replace(state, files=tuple(photos) + tuple(f for f in state.files if f.kind != PHOTO))


def file_json(file: LotFile) -> dict[str, Any]:
    """A file of the lot as the public reads show it (a withdrawn one: when and why)."""
    out: dict[str, Any] = {
        "sha256": file.sha256,
        "size": file.size,
        "media_type": file.media_type,
        ("alt" if file.kind == PHOTO else "title"): file.label,
        "published_at": format_instant(file.published_at),
    }
    if file.kind == PHOTO:
        out.update(width=file.width, height=file.height, thumbnail=file.thumbnail, preview=file.preview)
    if not file.public:
        out.update(withdrawn_at=instant(file.withdrawn_at), withdrawal_reason=file.withdrawal_reason)
    return out


def _file_line(report: Report, e: Any, kind: str, act: str, fields: dict[str, Any]) -> None:
    report.line(
        "files", {"at": report.time(e.at), "act": act, "kind": kind, "sha256": e.sha256, **fields, **_official(e)}
    )


means(
    PhotoPublished,
    evolve=lambda s, e: _published(s, _photo_file(e)),
    report=lambda e, r: _file_line(
        r, e, PHOTO, "published", {"size": e.size, "media_type": e.media_type, "alt": e.alt}
    ),
    change="photo",
    public=lambda e: {"at": format_instant(e.at), **file_json(_photo_file(e))},
)
means(
    DocumentPublished,
    evolve=lambda s, e: _published(s, _document_file(e)),
    report=lambda e, r: _file_line(
        r, e, DOCUMENT, "published", {"size": e.size, "media_type": e.media_type, "title": e.title}
    ),
    change="document",
    public=lambda e: {"at": format_instant(e.at), **file_json(_document_file(e))},
)
means(
    PhotoWithdrawn,
    evolve=_withdrawn(PHOTO),
    report=lambda e, r: _file_line(r, e, PHOTO, "withdrawn", {"reason": e.reason}),
    change="withdrawn",
    public=lambda e: {"at": format_instant(e.at), "kind": PHOTO, "sha256": e.sha256, "reason": e.reason},
)
means(
    DocumentWithdrawn,
    evolve=_withdrawn(DOCUMENT),
    report=lambda e, r: _file_line(r, e, DOCUMENT, "withdrawn", {"reason": e.reason}),
    change="withdrawn",
    public=lambda e: {"at": format_instant(e.at), "kind": DOCUMENT, "sha256": e.sha256, "reason": e.reason},
)
means(
    PhotosOrdered,
    evolve=_ordered,
    report=lambda e, r: r.line(
        "files", {"at": r.time(e.at), "act": "ordered", "kind": PHOTO, "order": list(e.order), **_official(e)}
    ),
    change="photos_ordered",
    public=lambda e: {"at": format_instant(e.at), "order": list(e.order)},
)

# ---------------------------------------------------------------- after the hammer (docs/rules.md, After bidding)


def _ledger(state: AuctionState, code: str, ledger: Ledger, due: datetime | None = None) -> AuctionState:
    return _update_bidder(state, code, lambda b: replace(b, ledger=ledger, refund_due=due))


def _ledger_line(report: Report, e: Any, status: Ledger, **fields: Any) -> None:
    official = _official(e) if hasattr(e, "official") else {}
    report.line(
        "ledger",
        {
            "at": report.time(e.at),
            **report.who(e.bidder_code),
            "amount": format_money(e.amount),
            "status": status.value,
            **fields,
            **official,
        },
    )


def _preemption_report(e: PreemptionDeclared, report: Report) -> None:
    _sale_line(report, e, "preemption", {**report.who(e.bidder_code), "price": format_money(e.price), "rule": e.rule})
    report.cite(e.rule)


means(
    PreemptionDeclared,
    evolve=lambda s, e: replace(s, preemptor=e.bidder_code),
    report=_preemption_report,
    change="preemption",
    public=lambda e: {"at": format_instant(e.at), "bidder_code": e.bidder_code, "price": format_money(e.price)},
)
means(
    DepositCredited,
    evolve=lambda s, e: replace(_ledger(s, e.bidder_code, Ledger.CREDITED), credited=e.amount),
    report=lambda e, r: _ledger_line(r, e, Ledger.CREDITED),
)


def _refund_due_report(e: RefundDue, report: Report) -> None:
    _ledger_line(report, e, Ledger.REFUND_DUE, due=report.time(e.due), rule=e.rule)
    report.cite(e.rule)


means(
    RefundDue,
    evolve=lambda s, e: _ledger(s, e.bidder_code, Ledger.REFUND_DUE, e.due),
    report=_refund_due_report,
)
means(
    DepositRefunded,
    evolve=lambda s, e: _ledger(s, e.bidder_code, Ledger.REFUNDED),
    report=lambda e, r: _ledger_line(r, e, Ledger.REFUNDED),
    change="refunded",
    public=lambda e: {"at": format_instant(e.at), "bidder_code": e.bidder_code, "amount": format_money(e.amount)},
)


def _forfeit_report(e: DepositForfeited, report: Report) -> None:
    _ledger_line(report, e, Ledger.FORFEITED, rule=e.rule)
    report.cite(e.rule)


means(
    DepositForfeited,
    evolve=lambda s, e: _ledger(s, e.bidder_code, Ledger.FORFEITED),
    report=_forfeit_report,
)
means(
    PaymentRecorded,
    evolve=lambda s, e: replace(s, payments=s.payments + e.amount),
    report=lambda e, r: _sale_line(r, e, "payment", {"amount": format_money(e.amount), "paid": format_money(e.paid)}),
    change="payment",
    public=lambda e: {"at": format_instant(e.at), "amount": format_money(e.amount), "paid": format_money(e.paid)},
)
means(
    SalePaid,
    evolve=lambda s, e: replace(s, sale=Sale.PAID),
    report=lambda e, r: _sale_line(r, e, "paid", {**r.who(e.purchaser), "paid": format_money(e.paid)}),
    change="paid",
    public=lambda e: {"at": format_instant(e.at), "purchaser": e.purchaser, "paid": format_money(e.paid)},
)
means(
    TransferDecided,
    evolve=lambda s, e: replace(s, sale=Sale.COMPLETED),
    report=lambda e, r: _sale_line(r, e, "transfer", {"reference": e.reference, "decided_on": e.decided_on}),
    change="completed",
    public=lambda e: {"at": format_instant(e.at), "reference": e.reference, "decided_on": e.decided_on},
)


def _defaulted_report(e: SaleDefaulted, report: Report) -> None:
    _sale_line(report, e, "defaulted", {**report.who(e.purchaser), "paid": format_money(e.paid), "rule": e.rule})
    report.cite(e.rule)


means(
    SaleDefaulted,
    evolve=lambda s, e: replace(s, sale=Sale.DEFAULTED, defaulters=s.defaulters + (e.purchaser,), defaulted_at=e.at),
    report=_defaulted_report,
    change="defaulted",
    public=lambda e: {"at": format_instant(e.at), "purchaser": e.purchaser},
)


def _grace_report(e: GraceGranted, report: Report) -> None:
    _sale_line(report, e, "grace", {"until": report.time(e.until), "previous": report.time(e.previous), "rule": e.rule})
    report.cite(e.rule)


means(
    GraceGranted,
    evolve=lambda s, e: replace(s, payment_due=e.until, graced=True),
    report=_grace_report,
    change="grace",
    public=lambda e: {"at": format_instant(e.at), "payment_due": format_instant(e.until)},
)


def _offered_evolve(state: AuctionState, e: SaleOffered) -> AuctionState:
    return replace(
        state,
        purchaser=e.bidder_code,
        purchase_price=e.price,
        sale=Sale.AWAITING_PAYMENT,
        payment_due=e.payment_due,
        credited=0,
        payments=0,
        offers=state.offers + 1,
    )


def _offered_report(e: SaleOffered, report: Report) -> None:
    _sale_line(
        report,
        e,
        "offered",
        {
            **report.who(e.bidder_code),
            "price": format_money(e.price),
            "payment_due": report.time(e.payment_due),
            "rule": e.rule,
        },
    )
    report.cite(e.rule)


means(
    SaleOffered,
    evolve=_offered_evolve,
    report=_offered_report,
    change="offered",
    public=lambda e: {
        "at": format_instant(e.at),
        "purchaser": e.bidder_code,
        "price": format_money(e.price),
        "payment_due": format_instant(e.payment_due),
    },
)


def _suspension_line(report: Report, e: Any, what: str, fields: dict[str, Any]) -> None:
    report.line("suspensions", {"at": report.time(e.at), "act": what, **fields, **_official(e)})


means(
    AuctionSuspended,
    evolve=lambda s, e: replace(s, status=Status.SUSPENDED, suspension=Suspension(e.at, e.deadline, e.reason)),
    report=lambda e, r: _suspension_line(
        r,
        e,
        "suspended",
        {"reason": e.reason, "deadline": r.time(e.deadline), "left_seconds": (e.deadline - e.at).total_seconds()},
    ),
    change="suspended",
    public=lambda e: {
        "at": format_instant(e.at),
        "reason": e.reason,
        "left_seconds": (e.deadline - e.at).total_seconds(),
    },
)
means(
    AuctionResumed,
    evolve=lambda s, e: replace(
        s,
        status=Status.OPEN,
        deadline=e.deadline,
        suspension=None,
        suspended_for=s.suspended_for + (e.at - e.suspended_at),
    ),
    report=lambda e, r: _suspension_line(
        r, e, "resumed", {"deadline": r.time(e.deadline), "suspended_at": r.time(e.suspended_at)}
    ),
    change="resumed",
    public=lambda e: {"at": format_instant(e.at), "deadline": format_instant(e.deadline)},
)
means(
    AuctionCancelled,
    evolve=lambda s, e: replace(s, status=Status.CANCELLED, cancelled_at=e.at, suspension=None),
    report=lambda e, r: _sale_line(r, e, "cancelled", {"reason": e.reason}),
    change="cancelled",
    public=lambda e: {"at": format_instant(e.at), "reason": e.reason},
)
means(
    NextRoundScheduled,
    evolve=lambda s, e: replace(s, next_round=e.next_auction),
    report=lambda e, r: _sale_line(
        r,
        e,
        "next_round",
        {
            "auction": e.next_auction,
            "round": e.round,
            "opens_at": r.time(e.opens_at),
            "closes_at": r.time(e.closes_at),
            "starting_price": format_money(e.starting_price),
        },
    ),
    change="next_round",
    public=lambda e: {
        "at": format_instant(e.at),
        "auction": e.next_auction,
        "round": e.round,
        "opens_at": format_instant(e.opens_at),
        "closes_at": format_instant(e.closes_at),
        "starting_price": format_money(e.starting_price),
    },
)


def _exhausted_report(e: RoundsExhausted, report: Report) -> None:
    _sale_line(report, e, "rounds_exhausted", {"outcome": e.outcome, "rule": e.rule})
    report.cite(e.rule)


means(
    RoundsExhausted,
    evolve=lambda s, e: replace(s, outcome=e.outcome),
    report=_exhausted_report,
    change="outcome",
    public=lambda e: {"at": format_instant(e.at), "outcome": e.outcome},
)

_missing = sorted(name for name, cls in EVENT_TYPES.items() if cls not in MEANINGS)
if _missing:  # pragma: no cover - caught by the first import in any test run
    raise TypeError(f"event types without a meaning: {', '.join(_missing)}")
