"""The pure heart of the engine: ``decide`` turns a command into events, ``evolve`` folds them.

No I/O, no clock reads: ``now`` is handed in. Before any command is decided,
time is brought up to ``now`` (:func:`advance`): bidding opens at its opening
instant and ends at the deadline in force, and those events carry the instant
the law fixes (the deadline), not the moment a scheduler happened to notice.
So the same commands at the same instants always give the same events, however
late a timer fires.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from msgspec.structs import replace

from engine import details as lot
from engine import sale
from engine.commands import (
    Advance,
    AmendDetails,
    Cancel,
    Command,
    DecideTransfer,
    DeclarePreemption,
    EndAuction,
    GrantGrace,
    OfferNextBest,
    OpenBidding,
    OrderPhotos,
    PlaceBid,
    PublishDocument,
    PublishPhoto,
    RecordDeposit,
    RecordIncident,
    RecordPayment,
    RecordRefund,
    RegisterBidder,
    Resume,
    ScheduleAuction,
    SetProxy,
    StartNextRound,
    Suspend,
    WithdrawFile,
)
from engine.errors import AlreadyRegistered, AuctionNotFound, CommandRejected
from engine.events import (
    AdmissionRefused,
    AuctionScheduled,
    BidAccepted,
    BidderAdmitted,
    BidderRegistered,
    BiddingClosed,
    BiddingFailed,
    BiddingOpened,
    BidRejected,
    DeadlineExtended,
    DepositRecorded,
    DetailsAmended,
    DocumentPublished,
    DocumentWithdrawn,
    Event,
    IncidentRecorded,
    PhotoPublished,
    PhotosOrdered,
    PhotoWithdrawn,
    ProxyRejected,
    ProxySet,
)
from engine.meaning import evolve
from engine.model import DOCUMENT, PHOTO, PREEMPTION_HOLDER, AuctionState, Status
from engine.policy import AuctionRules, Extension, RuleViolation, registration_refusal

# Reasons the engine itself gives (the rule books add their own, e.g. bid_too_low).
AUCTION_NOT_OPEN = "auction_not_open"
AUCTION_CLOSED = "auction_closed"
AUCTION_SUSPENDED = "auction_suspended"
AUCTION_CANCELLED = "auction_cancelled"
NOT_ADMITTED = "not_admitted"
PROXY_NOT_ALLOWED = "proxy_not_allowed"
INVALID_INCIDENT = "invalid_incident"
INCIDENT_TEXT_LIMIT = 2000  # characters
INVALID_DETAILS = "invalid_request"  # a lot's details that cannot be (422, like any invalid request)
DETAILS_LOCKED = "details_locked"  # after bidding opened, a change that is not an addition
# Photos and documents of the lot (engine.app.files checks and stores the bytes first).
LABEL_LIMIT = 500  # characters of a photo's alt text or a document's title
PHOTO_LIMIT = 40  # public photos of one lot
DOCUMENT_LIMIT = 20  # public documents of one lot
FILE_NOT_FOUND = "file_not_found"
ALREADY_PUBLISHED = "already_published"
TOO_MANY_FILES = "too_many_files"
_HEX = frozenset("0123456789abcdef")


def decide(state: AuctionState, command: Command, rules: AuctionRules, now: datetime) -> list[Event]:
    if isinstance(command, ScheduleAuction):
        return _schedule(state, command, rules, now)
    if state.status is Status.NEW:
        raise AuctionNotFound(state.auction_id)
    events = advance(state, rules, now)
    current = fold(state, events)
    if isinstance(command, Advance):
        return events
    if isinstance(command, RegisterBidder):
        events += _register(current, command, rules, now)
    elif isinstance(command, RecordDeposit):
        events += _deposit(current, command, rules, now)
    elif isinstance(command, OpenBidding):
        events += _open(current, command, now)
    elif isinstance(command, PlaceBid):
        events += _bid_and_answer(current, command.bidder_code, command.amount, rules, now)
    elif isinstance(command, SetProxy):
        events += _set_proxy(current, command, rules, now)
    elif isinstance(command, EndAuction):
        events += sale.declare(current, command, rules, now)
    elif isinstance(command, RecordIncident):
        events += _incident(current, command, now)
    elif isinstance(command, AmendDetails):
        events += _amend(current, command, now)
    elif isinstance(command, (PublishPhoto, PublishDocument, WithdrawFile, OrderPhotos)):
        events += _files(current, command, now)
    else:
        events += _after_bidding(current, command, rules, now)
    return events


def _after_bidding(state: AuctionState, command: Command, rules: AuctionRules, now: datetime) -> list[Event]:
    if isinstance(command, RecordPayment):
        return sale.pay(state, command, now)
    if isinstance(command, RecordRefund):
        return sale.refund(state, command, now)
    if isinstance(command, DecideTransfer):
        return sale.transfer(state, command, rules, now)
    if isinstance(command, OfferNextBest):
        return sale.offer_next(state, command, rules, now)
    if isinstance(command, GrantGrace):
        return sale.grant_grace(state, command, rules, now)
    if isinstance(command, DeclarePreemption):
        return sale.preempt(state, command, rules, now)
    if isinstance(command, Suspend):
        return sale.suspend(state, command, now)
    if isinstance(command, Resume):
        return sale.resume(state, command, now)
    if isinstance(command, Cancel):
        return sale.cancel(state, command, rules, now)
    if isinstance(command, StartNextRound):
        return sale.next_round(state, command, rules, now)
    # a new command type without a handler is a programming error
    raise TypeError(f"unknown command {type(command).__name__}")


def advance(state: AuctionState, rules: AuctionRules, now: datetime) -> list[Event]:
    """Events that the passing of time alone causes up to ``now`` (inclusive)."""
    events: list[Event] = []
    current = state
    while True:
        steps = _time_step(current, rules, now)
        if not steps:
            return events
        events += steps
        current = fold(current, steps)


def _time_step(state: AuctionState, rules: AuctionRules, now: datetime) -> list[Event]:
    terms = state.terms
    if terms is None:
        return []
    if state.status is Status.SCHEDULED and now >= terms.opens_at:
        return [BiddingOpened(at=terms.opens_at, by="schedule")]
    if state.status is Status.OPEN and state.deadline is not None and now >= state.deadline:
        # A bid at exactly the deadline is late: the deadline is reached first.
        extension = rules.extension_at_deadline(state)
        if extension is not None and extension.deadline > state.deadline:
            return [_extended(state.deadline, state.deadline, extension)]
        if state.best is None:
            return [BiddingFailed(at=state.deadline)]
        return [BiddingClosed(at=state.deadline, winner=state.best.bidder_code, price=state.best.amount)]
    return sale.default_step(state, rules, now)


def _extended(at: datetime, previous: datetime, extension: Extension) -> DeadlineExtended:
    return DeadlineExtended(
        at=at,
        previous=previous,
        deadline=extension.deadline,
        rule=extension.rule.code,
        basis=extension.rule.basis,
        reading=extension.rule.reading,
    )


def _schedule(state: AuctionState, command: ScheduleAuction, rules: AuctionRules, now: datetime) -> list[Event]:
    if state.status is not Status.NEW:
        raise CommandRejected("auction_exists", f"auction {state.auction_id!r} already exists")
    if command.sale_terms_required:
        rules.check_sale_terms(command.draft)
    terms = rules.schedule(command.draft)
    if terms.closes_at <= now:
        raise CommandRejected("closes_at_in_past", "the closing time has already passed")
    late = rules.admission(terms, terms.deposit_required, now) if terms.deposit_required > 0 else None
    if late is not None and late.reason == "deposit_late" and terms.deposit_due is not None:
        # Nobody could ever be admitted, and every bid would be refused (docs/rules.md, After bidding):
        # the rule book's own admission check says so, with the rule that sets the deadline.
        raise RuleViolation(
            "deposit_due_passed",
            f"deposits had to be in before {rules.local(terms.deposit_due).isoformat()}, which has passed",
            late.rule,
        )
    _check_details(command.details, terms.asset.value)
    official = sale.by(command.official)
    return [
        AuctionScheduled(
            at=now,
            auction_id=command.auction_id,
            country=terms.country,
            title=terms.title,
            asset=terms.asset.value,
            value=terms.value,
            currency=terms.currency,
            starting_price=terms.starting_price,
            increment=terms.increment,
            opens_at=terms.opens_at,
            closes_at=terms.closes_at,
            round=terms.round,
            deposit_required=terms.deposit_required,
            deposit_due=terms.deposit_due,
            rules_version=rules.version,
            extension_minutes=terms.extension_minutes,
            zone=terms.zone,
            payment_days=terms.payment_days,
            previous=terms.previous,
            **official,
            details=command.details if command.details != lot.EMPTY else None,
        )
    ]


def _check_details(details: lot.LotDetails | None, asset: str) -> None:
    if details is None:
        return
    found = lot.problems(details, asset)
    if found:
        raise CommandRejected(INVALID_DETAILS, "; ".join(found))


def _amend(state: AuctionState, command: AmendDetails, now: datetime) -> list[Event]:
    """Before bidding opens any field may change; while it is open or suspended only additions
    (:func:`engine.details.additions_only`), with a reason; after that, nothing. Amending to what
    is already there records nothing."""
    if state.status is Status.CANCELLED:
        raise CommandRejected(AUCTION_CANCELLED, "the auction was cancelled")
    if state.status not in (Status.SCHEDULED, Status.OPEN, Status.SUSPENDED):
        raise CommandRejected(AUCTION_CLOSED, "bidding has ended: the lot's details can no longer change")
    unknown = sorted(command.fields - set(lot.FIELDS))
    if unknown:
        raise CommandRejected(INVALID_DETAILS, f"no such detail: {', '.join(unknown)}")
    assert state.terms is not None
    before = state.details if state.details is not None else lot.EMPTY
    after = lot.with_fields(before, command.details, command.fields)
    _check_details(after, state.terms.asset.value)
    reason = command.reason.strip() if command.reason is not None else None
    if reason is not None and (not reason or len(reason) > lot.REASON_LIMIT):
        raise CommandRejected("invalid_reason", f"a reason of 1 to {lot.REASON_LIMIT} characters is needed")
    fields = lot.changed_fields(before, after)
    if not fields:
        return []
    if state.status is not Status.SCHEDULED:
        refused = lot.additions_only(before, after)
        if refused:
            raise CommandRejected(
                DETAILS_LOCKED,
                f"bidding has opened: {', '.join(refused)} can no longer change; only text added at the end "
                "of the description and viewings added after the listed ones",
            )
        if reason is None:
            raise CommandRejected("invalid_reason", "after bidding opened an amendment needs a reason")
    return [
        DetailsAmended(
            at=now,
            fields=fields,
            before=lot.only(before, fields),
            after=lot.only(after, fields),
            reason=reason,
            **sale.by(command.official),
        )
    ]


def _files(
    state: AuctionState, command: PublishPhoto | PublishDocument | WithdrawFile | OrderPhotos, now: datetime
) -> list[Event]:
    """The lot's photos and documents: published until the auction is cancelled, withdrawn at any
    time (the log keeps what was public when), photos reordered while published."""
    official = sale.by(command.official)
    if isinstance(command, WithdrawFile):
        found = state.file(command.kind, command.sha256)
        if found is None or not found.public:
            raise CommandRejected(FILE_NOT_FOUND, f"no published {command.kind} {command.sha256}")
        reason = command.reason.strip()
        if not reason or len(reason) > lot.REASON_LIMIT:
            raise CommandRejected("invalid_reason", f"a reason of 1 to {lot.REASON_LIMIT} characters is needed")
        withdrawn = PhotoWithdrawn if command.kind == PHOTO else DocumentWithdrawn
        return [withdrawn(at=now, sha256=command.sha256, reason=reason, **official)]
    if state.status is Status.CANCELLED:
        raise CommandRejected(AUCTION_CANCELLED, "the auction was cancelled")
    public = [f.sha256 for f in state.files if f.kind == PHOTO and f.public]
    if isinstance(command, OrderPhotos):
        if sorted(command.order) != sorted(public):
            raise CommandRejected(INVALID_DETAILS, "the order must name every public photo of the lot, each once")
        return [] if list(command.order) == public else [PhotosOrdered(at=now, order=command.order, **official)]
    kind = PHOTO if isinstance(command, PublishPhoto) else DOCUMENT
    label = (command.alt if isinstance(command, PublishPhoto) else command.title).strip()
    what = "alt text" if kind == PHOTO else "title"
    if not label or len(label) > LABEL_LIMIT:
        raise CommandRejected(INVALID_DETAILS, f"a {kind} needs its {what}, of 1 to {LABEL_LIMIT} characters")
    hashes = [command.sha256] + ([command.thumbnail, command.preview] if isinstance(command, PublishPhoto) else [])
    if any(len(h) != 64 or not _HEX.issuperset(h) for h in hashes) or command.size <= 0:
        raise CommandRejected(INVALID_DETAILS, "a file is named by the SHA-256 of its bytes, in lowercase hex")
    existing = state.file(kind, command.sha256)
    if existing is not None and existing.public:
        raise CommandRejected(ALREADY_PUBLISHED, f"this {kind} is already published")
    limit = PHOTO_LIMIT if kind == PHOTO else DOCUMENT_LIMIT
    if sum(1 for f in state.files if f.kind == kind and f.public) >= limit:
        raise CommandRejected(TOO_MANY_FILES, f"a lot has at most {limit} public {kind}s; withdraw one first")
    if isinstance(command, PublishPhoto):
        if command.width <= 0 or command.height <= 0:
            raise CommandRejected(INVALID_DETAILS, "a photo has a width and a height")
        return [
            PhotoPublished(
                at=now,
                sha256=command.sha256,
                size=command.size,
                media_type=command.media_type,
                width=command.width,
                height=command.height,
                alt=label,
                thumbnail=command.thumbnail,
                preview=command.preview,
                **official,
            )
        ]
    return [
        DocumentPublished(
            at=now, sha256=command.sha256, size=command.size, media_type=command.media_type, title=label, **official
        )
    ]


def _bidding_over(state: AuctionState) -> bool:
    return state.status in (Status.CLOSED, Status.FAILED, Status.CANCELLED)


def _register(state: AuctionState, command: RegisterBidder, rules: AuctionRules, now: datetime) -> list[Event]:
    if not command.subject:
        raise CommandRejected("invalid_subject", "a bidder needs an identity")
    existing = state.bidder_by_subject(command.subject)
    if existing is not None:
        raise AlreadyRegistered(existing.code)
    if _bidding_over(state):
        raise CommandRejected("registration_closed", "bidding has ended")
    assert state.terms is not None
    if command.role is not None and (command.role != PREEMPTION_HOLDER or rules.sale.preemption is None):
        raise CommandRejected(
            "role_not_used", f"{rules.country} rules know no registration role {command.role!r}"
        )
    refusal = registration_refusal(rules, state.terms, now)
    if refusal is not None:
        rule = f" ({refusal.rule.code})" if refusal.rule is not None else ""
        raise CommandRejected(refusal.reason, f"{refusal.message}{rule}")
    code = f"B-{len(state.bidders) + 1}"
    events: list[Event] = [BidderRegistered(at=now, bidder_code=code, subject=command.subject, role=command.role)]
    if rules.admission(state.terms, 0, now) is None:
        events.append(BidderAdmitted(at=now, bidder_code=code, rule=f"{rules.country}-deposit"))
    return events


def _deposit(state: AuctionState, command: RecordDeposit, rules: AuctionRules, now: datetime) -> list[Event]:
    bidder = state.bidder(command.bidder_code)
    if bidder is None:
        raise CommandRejected("unknown_bidder", f"no bidder {command.bidder_code!r} in this auction")
    if command.amount <= 0:
        raise CommandRejected("invalid_amount", "a deposit must be positive")
    if _bidding_over(state):
        raise CommandRejected("registration_closed", "bidding has ended")
    total = bidder.deposit + command.amount
    events: list[Event] = [DepositRecorded(at=now, bidder_code=bidder.code, amount=command.amount, total=total)]
    if not bidder.admitted:
        assert state.terms is not None
        refusal = rules.admission(state.terms, total, now)
        if refusal is None:
            events.append(BidderAdmitted(at=now, bidder_code=bidder.code, rule=f"{rules.country}-deposit"))
        else:
            events.append(
                AdmissionRefused(
                    at=now,
                    bidder_code=bidder.code,
                    reason=refusal.reason,
                    rule=refusal.rule.code if refusal.rule else None,
                )
            )
    return events


def _open(state: AuctionState, command: OpenBidding, now: datetime) -> list[Event]:
    if state.status in (Status.OPEN, Status.SUSPENDED):
        raise CommandRejected("already_open", "bidding is already open")
    if state.status is Status.CANCELLED:
        raise CommandRejected(AUCTION_CANCELLED, "the auction was cancelled")
    if state.status is not Status.SCHEDULED:
        raise CommandRejected(AUCTION_CLOSED, "bidding has ended")
    return [BiddingOpened(at=now, by="bailiff", **sale.by(command.official))]


def _incident(state: AuctionState, command: RecordIncident, now: datetime) -> list[Event]:
    # Until the auction ends: its end is the act the report belongs to.
    if state.ended or state.status is Status.CANCELLED:
        raise CommandRejected("already_ended", "the auction has already ended")
    description = command.description.strip()
    if not description or len(description) > INCIDENT_TEXT_LIMIT:
        raise CommandRejected(INVALID_INCIDENT, f"a description of 1 to {INCIDENT_TEXT_LIMIT} characters is needed")
    if command.started_at > now:
        raise CommandRejected(INVALID_INCIDENT, "an incident cannot start in the future")
    if command.ended_at is not None and not command.started_at <= command.ended_at <= now:
        raise CommandRejected(INVALID_INCIDENT, "an incident ends after it starts and not in the future")
    return [
        IncidentRecorded(
            at=now,
            description=description,
            started_at=command.started_at,
            ended_at=command.ended_at,
            **sale.by(command.official),
        )
    ]


def _refuse_bid(state: AuctionState, bidder_code: str | None, amount: int, now: datetime) -> BidRejected | None:
    """Checks the engine makes for every country before the rule book is asked."""
    if state.status is Status.SCHEDULED:
        return BidRejected(at=now, bidder_code=bidder_code, amount=amount, reason=AUCTION_NOT_OPEN)
    if state.status is Status.SUSPENDED:
        return BidRejected(at=now, bidder_code=bidder_code, amount=amount, reason=AUCTION_SUSPENDED)
    if state.status is Status.CANCELLED:
        return BidRejected(at=now, bidder_code=bidder_code, amount=amount, reason=AUCTION_CANCELLED)
    if state.status is not Status.OPEN:
        return BidRejected(at=now, bidder_code=bidder_code, amount=amount, reason=AUCTION_CLOSED)
    bidder = state.bidder(bidder_code) if bidder_code else None
    if bidder is None or not bidder.admitted:
        return BidRejected(at=now, bidder_code=bidder_code, amount=amount, reason=NOT_ADMITTED)
    return None


def _try_bid(
    state: AuctionState, bidder_code: str | None, amount: int, rules: AuctionRules, now: datetime, automatic: bool
) -> list[Event]:
    """One bid: either [BidRejected] or [BidAccepted, maybe DeadlineExtended]."""
    refused = _refuse_bid(state, bidder_code, amount, now)
    if refused is not None:
        return [replace(refused, automatic=automatic)]
    assert bidder_code is not None
    refusal = rules.check_bid(state, amount, now)
    if refusal is not None:
        return [
            BidRejected(
                at=now,
                bidder_code=bidder_code,
                amount=amount,
                reason=refusal.reason,
                rule=refusal.rule.code if refusal.rule else None,
                automatic=automatic,
            )
        ]
    events: list[Event] = [BidAccepted(at=now, bidder_code=bidder_code, amount=amount, automatic=automatic)]
    extension = rules.extension_on_bid(state, now)
    if extension is not None and state.deadline is not None and extension.deadline > state.deadline:
        events.append(_extended(now, state.deadline, extension))
    return events


def _bid_and_answer(
    state: AuctionState, bidder_code: str | None, amount: int, rules: AuctionRules, now: datetime
) -> list[Event]:
    events = _try_bid(state, bidder_code, amount, rules, now, automatic=False)
    if isinstance(events[0], BidAccepted):
        events += _proxies_answer(fold(state, events), rules, now)
    return events


def _proxies_answer(state: AuctionState, rules: AuctionRules, now: datetime) -> list[Event]:
    """Automatic bidding (docs/rules.md, Lithuania): after a bid takes the lead, each proxy
    whose owner is not leading answers at the same instant with
    min(max, best + own step) if that beats the best, in the order the proxies
    were set, until none can. Amounts strictly increase, so this terminates."""
    events: list[Event] = []
    current = state
    while current.status is Status.OPEN:
        fired = False
        for proxy in current.proxies:
            best = current.best
            if best is None or best.bidder_code == proxy.bidder_code:
                continue
            amount = min(proxy.max_amount, best.amount + proxy.step)
            if amount <= best.amount:
                continue
            attempt = _try_bid(current, proxy.bidder_code, amount, rules, now, automatic=True)
            if isinstance(attempt[0], BidAccepted):
                events += attempt
                current = fold(current, attempt)
                fired = True
                break
        if not fired:
            break
    return events


def _set_proxy(state: AuctionState, command: SetProxy, rules: AuctionRules, now: datetime) -> list[Event]:
    def rejected(reason: str, rule: str | None = None) -> list[Event]:
        return [
            ProxyRejected(
                at=now,
                bidder_code=command.bidder_code,
                max_amount=command.max_amount,
                step=command.step,
                reason=reason,
                rule=rule,
            )
        ]

    if command.step <= 0 or command.max_amount <= 0:
        raise CommandRejected("invalid_amount", "a proxy needs a positive maximum and step")
    if not rules.proxy_allowed:
        return rejected(PROXY_NOT_ALLOWED, f"{rules.country}-proxy")
    refused = _refuse_bid(state, command.bidder_code, command.max_amount, now)
    if refused is not None:
        return rejected(refused.reason)
    assert command.bidder_code is not None and state.terms is not None
    events: list[Event] = [
        ProxySet(at=now, bidder_code=command.bidder_code, max_amount=command.max_amount, step=command.step)
    ]
    current = fold(state, events)
    if current.leader != command.bidder_code:
        best = current.best
        amount = (
            state.terms.starting_price if best is None else min(command.max_amount, best.amount + command.step)
        )
        if amount <= command.max_amount and (best is None or amount > best.amount):
            attempt = _try_bid(current, command.bidder_code, amount, rules, now, automatic=True)
            events += attempt
            if isinstance(attempt[0], BidAccepted):
                events += _proxies_answer(fold(current, attempt), rules, now)
    return events


# ---------------------------------------------------------------- evolve


def fold(state: AuctionState, events: Iterable[Event]) -> AuctionState:
    for event in events:
        state = evolve(state, event)
    return state


def replay(auction_id: str, events: Iterable[Event]) -> AuctionState:
    return fold(AuctionState(auction_id=auction_id), events)
