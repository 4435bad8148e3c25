"""The use cases: one handler per request, each returning a typed result.

========================  ======================  ==========================================
request                   handler                 result
========================  ======================  ==========================================
``Schedule``              ``schedule_auction``    ``AuctionResult`` (the new auction's view)
``Register``              ``register_bidder``     ``RegistrationResult``
``Deposit``               ``record_deposit``      ``DepositResult``
``Open``                  ``open_bidding``        ``AuctionResult``
``End``                   ``end_auction``         ``AuctionResult``
``Bid``                   ``place_bid``           ``BidResult`` (with the signed receipt)
``Proxy``                 ``set_proxy``           ``ProxyResult``
``Incident``              ``record_incident``     ``IncidentResult``
``AmendLot``              ``amend_details``       ``AuctionResult`` (the view after it)
``Preempt``               ``declare_preemption``  ``PreemptionResult``
``Payment``               ``record_payment``      ``PaymentResult``
``Refund``                ``record_refund``       ``RefundResult``
``Transfer``              ``decide_transfer``     ``AuctionResult``
``OfferNext``             ``offer_next_best``     ``AuctionResult``
``Grace``                 ``grant_grace``         ``AuctionResult``
``SuspendBidding``        ``suspend_bidding``     ``AuctionResult``
``ResumeBidding``         ``resume_bidding``      ``AuctionResult``
``CancelAuction``         ``cancel_auction``      ``AuctionResult``
``NextRound``             ``start_next_round``    ``AuctionResult`` (the new auction's view)
========================  ======================  ==========================================

Every official act passes the official (``engine.commands.Official``: the token's subject
and office) to its command, and the events it causes record them.

A handler turns the request into a domain command (``engine.commands``), runs
it through ``Context.execute`` (the service's decide-and-append, and whatever
the composition root adds so that this process's reads show the write), and
reads its answer out of the outcome the service returned: the events the
command caused, with their stored positions, and the state they left. Nothing
is read again from the store, nothing replayed. The engine's refusals
(``engine.errors``, ``engine.policy.RuleViolation``) are raised as they are, for
the entry point to translate; refused bids and proxies are results.

Two refusals of a bid are answered without being recorded (``position`` None): a caller
the auction does not know (``not_admitted``: an auction's log keeps every bid of the
bidders it admitted, not whatever a stranger sends it), and a bid far above the auction's
value sent without ``confirmed`` (``confirmation_required``, :func:`needs_confirmation`).

An Idempotency-Key is stored scoped to the kind of request and the caller
(:func:`scoped_key`); repeating it with a different request is refused
(``idempotency_key_reused``) instead of being answered with the first answer: the
request is compared with what its first answer's events record (the amount of a bid,
the reason of a suspension, ...), so that no digest is kept beside the key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from cryptography.hazmat.primitives import serialization

from engine.app.queries import Queries
from engine.app.receipts import ReceiptSigner
from engine.app.requests import (
    AmendLot,
    Bid,
    CancelAuction,
    Deposit,
    End,
    Grace,
    Incident,
    NextRound,
    OfferNext,
    Open,
    Payment,
    Preempt,
    Proxy,
    Refund,
    Register,
    Request,
    ResumeBidding,
    Schedule,
    SuspendBidding,
    Transfer,
)
from engine.app.results import (
    AuctionResult,
    BidResult,
    DepositResult,
    IncidentResult,
    PaymentResult,
    PlacedBid,
    PreemptionResult,
    ProxyResult,
    RefundResult,
    RegistrationResult,
)
from engine.app.transparency import Transparency
from engine.commands import (
    AmendDetails,
    Cancel,
    Command,
    DecideTransfer,
    DeclarePreemption,
    EndAuction,
    GrantGrace,
    OfferNextBest,
    Official,
    OpenBidding,
    PlaceBid,
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
)
from engine.decider import NOT_ADMITTED, advance, fold
from engine.errors import AlreadyRegistered, AuctionNotFound, CommandRejected
from engine.events import (
    AdmissionRefused,
    AuctionCancelled,
    AuctionResumed,
    AuctionScheduled,
    AuctionSuspended,
    BidAccepted,
    BidderAdmitted,
    BidderRegistered,
    BidRejected,
    DepositRecorded,
    DepositRefunded,
    DetailsAmended,
    Event,
    GraceGranted,
    IncidentRecorded,
    NextRoundScheduled,
    PaymentRecorded,
    PreemptionDeclared,
    ProxyRejected,
    ProxySet,
    SaleOffered,
    TransferDecided,
)
from engine.model import AuctionState, Status, Terms, format_money
from engine.policy import AuctionRules, RuleViolation
from engine.sale import next_round_draft, scheduled_round
from engine.service import AuctionService, Outcome
from engine.store.base import StoredEvent

# Run a command on an auction, with an optional (scoped) idempotency key.
Execute = Callable[[str, Command, "str | None"], Awaitable[Outcome]]

ID_ATTEMPTS = 5
CONFIRMATION_REQUIRED = "confirmation_required"
KEY_REUSED = "idempotency_key_reused"
E = TypeVar("E", bound=Event)
R = TypeVar("R")


def new_auction_id() -> str:
    return secrets.token_hex(6)


@dataclass(frozen=True)
class Context:
    """What the handlers work with, built by the composition root (``api.bootstrap``)."""

    service: AuctionService
    execute: Execute
    queries: Queries
    signer: ReceiptSigner
    transparency: Transparency  # signs the log's heads, and so the receipts of accepted bids
    new_auction_id: Callable[[], str] = field(default=new_auction_id)
    # The server key of the callers' handles in stored Idempotency-Keys (see scoped_key);
    # None: derived from the receipt key, which every process of a deployment shares.
    key_secret: bytes | None = None


# ------------------------------------------------------------------ helpers


def derived_secret(signer: ReceiptSigner) -> bytes:
    """A secret of this deployment for keyed digests, derived from the receipt signing key
    (shared by every process, never published): no new key to configure or lose."""
    seed = signer._key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return hmac.new(seed, b"auction idempotency-key scope v1", hashlib.sha256).digest()


def caller_handle(secret: bytes, subject: str) -> str:
    """Who a caller without a bidder code is, as a stored key names them: an HMAC of the
    subject with the server's key. Unlike a plain digest, nobody without that key can find
    whose key it is by hashing candidate identities, and nothing here opens a bidder's
    identity: a bidder's keys name their bidder code, which ``auction forget`` unlinks."""
    return hmac.new(secret, b"subject\x00" + subject.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def scoped_key(kind: str, bidder_code: str | None, subject: str, key: str | None, secret: bytes) -> str | None:
    """An Idempotency-Key scoped to the kind of request and the caller, without writing the
    caller's identity into the key table: the bidder code where there is one (a bidder's
    requests), else the caller's keyed handle (an official's acts, :func:`caller_handle`)."""
    if key is None:
        return None
    who = bidder_code or "caller-" + caller_handle(secret, subject)
    return f"{kind}:{who}:{key}"


def _secret(context: Context) -> bytes:
    assert context.key_secret is not None  # set by Handlers
    return context.key_secret


def _same_request(outcome: Outcome, asked: tuple[object, ...], recorded: tuple[object, ...]) -> None:
    """A repeated Idempotency-Key must come with the request it first came with (the IETF
    Idempotency-Key draft): ``recorded`` is what the first answer's events say was asked."""
    if outcome.duplicate and asked != recorded:
        raise CommandRejected(KEY_REUSED, "this Idempotency-Key was used for a different request; use a new key")


def confirmation_basis(terms: Terms) -> int:
    """What a bid is measured against: the auction's value, or its starting price where the
    notice gives no value (SE, EE and GR need none); 0 when neither is known."""
    return terms.value or terms.starting_price


def needs_confirmation(basis: int, amount: int, factor: int) -> bool:
    """A bid above ``factor`` times the auction's value (its :func:`confirmation_basis`) is most
    likely a typo (digits too many): it stands only when the bidder confirmed it. A factor of 0,
    or a basis of 0, never asks."""
    return factor > 0 and basis > 0 and amount > basis * factor


def official(subject: str | None, office: str | None) -> Official | None:
    """Who performs an official act (None where the entry point named nobody)."""
    return None if subject is None else Official(subject=subject, office=office)


def _first(outcome: Outcome, *types: type[Event], automatic: bool | None = None) -> tuple[Event, int] | None:
    """The first event of ``types`` the command caused, with its stream position."""
    for event, stored in zip(outcome.events, outcome.stored, strict=True):
        if isinstance(event, types) and (automatic is None or getattr(event, "automatic", False) == automatic):
            return event, stored.version
    return None


def _stored(outcome: Outcome, version: int) -> StoredEvent:
    return next(stored for stored in outcome.stored if stored.version == version)


def _caused(outcome: Outcome, kind: type[E]) -> tuple[E, int]:
    found = _first(outcome, kind)
    assert found is not None, f"the outcome holds no {kind.__name__}"
    return cast(E, found[0]), found[1]


async def _state(context: Context, auction_id: str) -> AuctionState:
    state = await context.service.load(auction_id)
    if state.status is Status.NEW or state.terms is None:
        raise AuctionNotFound(auction_id)
    return state


async def _caller(context: Context, auction_id: str, subject: str) -> tuple[AuctionState, str | None]:
    """The auction and the caller's bidder code (None: not registered) for a command about to be decided.

    A code, once given, never changes, so the cached state answers when it knows the
    caller; only a caller it does not know (perhaps registered through another process
    a moment ago) costs a read of the stream. The command itself is decided on the
    stream's latest version either way (the append checks it)."""
    cached = context.service.cached(auction_id)
    if cached is not None and (bidder := cached.bidder_by_subject(subject)) is not None:
        return cached, bidder.code
    state = await _state(context, auction_id)
    bidder = state.bidder_by_subject(subject)
    return state, bidder.code if bidder else None


async def _caller_code(context: Context, auction_id: str, subject: str) -> str | None:
    return (await _caller(context, auction_id, subject))[1]


# ------------------------------------------------------------------ handlers


async def schedule_auction(context: Context, request: Schedule) -> AuctionResult:
    draft = request.draft
    try:
        context.service.rules_for(draft.country)
    except LookupError as error:
        raise CommandRejected("unknown_country", str(error).strip("'\"")) from None
    draft = dataclasses.replace(draft, country=draft.country.upper(), currency=draft.currency.upper())
    for _ in range(ID_ATTEMPTS):
        auction_id = context.new_auction_id()
        try:
            by = official(request.subject, request.office)
            command = ScheduleAuction(auction_id, draft, by, details=request.details)
            outcome = await context.execute(auction_id, command, None)
        except RuleViolation:
            raise
        except CommandRejected as error:
            if error.code == "auction_exists":
                continue
            raise
        except (ValueError, OverflowError) as error:  # a date the rules cannot compute with
            raise CommandRejected("invalid_request", str(error)) from None
        scheduled, position = _caused(outcome, AuctionScheduled)
        return AuctionResult(auction_id, context.queries.scheduled_view(scheduled, position))
    raise CommandRejected("auction_exists", "could not find a free auction id; retry")


async def register_bidder(context: Context, request: Register) -> RegistrationResult:
    try:
        command = RegisterBidder(subject=request.subject, role=request.role)
        outcome = await context.execute(request.auction_id, command, None)
    except AlreadyRegistered as already:
        state, code, position = await _state(context, request.auction_id), already.bidder_code, None
    else:
        registered, registered_at = _caused(outcome, BidderRegistered)
        state, code, position = outcome.state, registered.bidder_code, registered_at
    bidder = state.bidder(code)
    assert bidder is not None and state.terms is not None
    return RegistrationResult(
        auction_id=request.auction_id,
        bidder_code=code,
        admitted=bidder.admitted,
        deposit=bidder.deposit,
        deposit_required=state.terms.deposit_required,
        position=position,
        role=bidder.role,
    )


async def record_deposit(context: Context, request: Deposit) -> DepositResult:
    command = RecordDeposit(bidder_code=request.bidder_code, amount=request.amount)
    outcome = await context.execute(request.auction_id, command, None)
    deposit, position = _caused(outcome, DepositRecorded)
    refused = _first(outcome, AdmissionRefused)
    bidder = outcome.state.bidder(request.bidder_code)
    assert bidder is not None
    return DepositResult(
        auction_id=request.auction_id,
        bidder_code=request.bidder_code,
        amount=deposit.amount,
        total=deposit.total,
        admitted=bidder.admitted or _first(outcome, BidderAdmitted) is not None,
        refusal=cast(AdmissionRefused, refused[0]).reason if refused is not None else None,
        position=position,
    )


async def open_bidding(context: Context, request: Open) -> AuctionResult:
    await context.execute(request.auction_id, OpenBidding(official(request.subject, request.office)), None)
    return AuctionResult(request.auction_id, await context.queries.auction(request.auction_id))


async def end_auction(context: Context, request: End) -> AuctionResult:
    await context.execute(request.auction_id, EndAuction(official(request.subject, request.office)), None)
    return AuctionResult(request.auction_id, await context.queries.auction(request.auction_id))


# Refusals for which a lower or other amount would have been accepted: the answer says the lowest.
AMOUNT_REFUSALS = frozenset({"bid_too_low", "bad_increment"})


def lowest_accepted(rules: AuctionRules, state: AuctionState, at: datetime) -> int | None:
    """The lowest amount ``rules`` would accept as the next bid on ``state`` at ``at``, or None.

    Every rule book's amount rules make the next valid bid one of a few amounts: the starting
    price (at least one cent), one cent above the best bid, or one increment above the best bid
    or the starting price (docs/rules.md). The smallest of these the rules accept is the answer:
    above it every amount is accepted where the rules set a minimum, and where they set an exact
    amount (BG) it is that amount. None when the rules accept none of them."""
    terms = state.terms
    if terms is None:
        return None
    best = state.price
    candidates = {max(terms.starting_price, 1)} if best is None else {best + 1}
    if terms.increment is not None:
        candidates.add((terms.starting_price if best is None else best) + terms.increment)
    for amount in sorted(candidates):
        if rules.check_bid(state, amount, at) is None:
            return amount
    return None


def _unrecorded_bid(
    context: Context, request: Bid, reason: str, code: str | None, confirm_above: int | None = None
) -> BidResult:
    """A bid refused without a word in the log (see the module's docstring)."""
    at = context.service.clock.now()
    return BidResult(
        request.auction_id,
        False,
        request.amount,
        None,
        at,
        bidder_code=code,
        reason=reason,
        confirm_above=confirm_above,
    )


def _minimum(context: Context, state: AuctionState, refused: BidRejected) -> int | None:
    if refused.reason not in AMOUNT_REFUSALS:
        return None
    return lowest_accepted(context.service.rules_of(state), state, refused.at)


async def place_bid(context: Context, request: Bid) -> BidResult:
    auction_id = request.auction_id
    state, code = await _caller(context, auction_id, request.subject)
    if code is None:
        return _unrecorded_bid(context, request, NOT_ADMITTED, None)
    assert state.terms is not None
    basis = confirmation_basis(state.terms)
    if not request.confirmed and needs_confirmation(basis, request.amount, request.confirmation_factor):
        return _unrecorded_bid(context, request, CONFIRMATION_REQUIRED, code, basis * request.confirmation_factor)
    key = scoped_key("bid", code, request.subject, request.idempotency_key, _secret(context))
    outcome = await context.execute(auction_id, PlaceBid(code, request.amount), key)
    own = _first(outcome, BidAccepted, BidRejected, automatic=False)
    assert own is not None
    event, position = own
    _same_request(outcome, (request.amount,), (cast(BidAccepted | BidRejected, event).amount,))
    if isinstance(event, BidRejected):
        return BidResult(
            auction_id=auction_id,
            accepted=False,
            amount=event.amount,
            position=position,
            received_at=event.at,
            replayed=outcome.duplicate,
            bidder_code=event.bidder_code,
            reason=event.reason,
            rule=event.rule,
            minimum=_minimum(context, outcome.state, event),
        )
    assert isinstance(event, BidAccepted)
    after = outcome.state  # as the bid left it (for a repeated key: as first answered)
    receipt = await context.transparency.receipt(outcome.tree, _stored(outcome, position), format_money(event.amount))
    return BidResult(
        auction_id=auction_id,
        accepted=True,
        amount=event.amount,
        position=position,
        received_at=event.at,
        replayed=outcome.duplicate,
        bidder_code=event.bidder_code,
        closes_at=after.deadline,
        price=after.price,
        leader=after.leader,
        receipt=receipt,
    )


async def set_proxy(context: Context, request: Proxy) -> ProxyResult:
    auction_id = request.auction_id
    code = await _caller_code(context, auction_id, request.subject)
    if code is None:  # a stranger's proxy is answered, not recorded, as a stranger's bid
        return ProxyResult(auction_id, False, request.max_amount, None, reason=NOT_ADMITTED)
    key = scoped_key("proxy", code, request.subject, request.idempotency_key, _secret(context))
    command = SetProxy(code, max_amount=request.max_amount, step=request.step)
    outcome = await context.execute(auction_id, command, key)
    own = _first(outcome, ProxySet, ProxyRejected)
    assert own is not None
    event, position = own
    recorded = cast(ProxySet | ProxyRejected, event)
    _same_request(outcome, (request.max_amount, request.step), (recorded.max_amount, recorded.step))
    if isinstance(event, ProxyRejected):
        return ProxyResult(
            auction_id=auction_id,
            accepted=False,
            max_amount=event.max_amount,
            position=position,
            replayed=outcome.duplicate,
            bidder_code=event.bidder_code,
            reason=event.reason,
            rule=event.rule,
        )
    assert isinstance(event, ProxySet)
    after = outcome.state
    caused = tuple(
        PlacedBid(stored.version, bid.bidder_code, bid.amount, bid.at, bid.automatic)
        for bid, stored in zip(outcome.events, outcome.stored, strict=True)
        if isinstance(bid, BidAccepted)
    )
    return ProxyResult(
        auction_id=auction_id,
        accepted=True,
        max_amount=event.max_amount,
        position=position,
        replayed=outcome.duplicate,
        bidder_code=event.bidder_code,
        step=event.step,
        price=after.price,
        leader=after.leader,
        closes_at=after.deadline,
        bids=caused,
    )


async def record_incident(context: Context, request: Incident) -> IncidentResult:
    key = scoped_key("incident", None, request.subject, request.idempotency_key, _secret(context))
    command = RecordIncident(
        request.description, request.started_at, request.ended_at, official(request.subject, request.office)
    )
    outcome = await context.execute(request.auction_id, command, key)
    event, position = _caused(outcome, IncidentRecorded)
    asked = (request.description.strip(), request.started_at, request.ended_at)
    _same_request(outcome, asked, (event.description, event.started_at, event.ended_at))
    return IncidentResult(
        auction_id=request.auction_id,
        position=position,
        at=event.at,
        description=event.description,
        started_at=event.started_at,
        ended_at=event.ended_at,
        replayed=outcome.duplicate,
    )


async def amend_details(context: Context, request: AmendLot) -> AuctionResult:
    """The lot's details amended (engine.details); answered with the view after it. Amending to
    what is there already records nothing (``position`` None)."""
    command = AmendDetails(request.details, request.fields, request.reason, official(request.subject, request.office))
    outcome = await context.execute(request.auction_id, command, None)
    amended = _first(outcome, DetailsAmended)
    view = await context.queries.auction(request.auction_id)
    return AuctionResult(request.auction_id, view, amended[1] if amended is not None else None)


# ------------------------------------------------------------------ after the hammer


async def declare_preemption(context: Context, request: Preempt) -> PreemptionResult:
    auction_id = request.auction_id
    code = await _caller_code(context, auction_id, request.subject)
    key = scoped_key("preemption", code, request.subject, request.idempotency_key, _secret(context))
    outcome = await context.execute(auction_id, DeclarePreemption(code), key)
    event, position = _caused(outcome, PreemptionDeclared)
    return PreemptionResult(auction_id, event.bidder_code, event.price, position, event.at, outcome.duplicate)


async def record_payment(context: Context, request: Payment) -> PaymentResult:
    key = scoped_key("payment", None, request.subject, request.idempotency_key, _secret(context))
    command = RecordPayment(request.amount, official(request.subject, request.office))
    outcome = await context.execute(request.auction_id, command, key)
    event, position = _caused(outcome, PaymentRecorded)
    _same_request(outcome, (request.amount,), (event.amount,))
    after = outcome.state
    assert after.sale is not None and after.purchase_price is not None
    return PaymentResult(
        auction_id=request.auction_id,
        amount=event.amount,
        paid=event.paid,
        price=after.purchase_price,
        sale=after.sale.value,
        position=position,
        at=event.at,
        replayed=outcome.duplicate,
    )


async def record_refund(context: Context, request: Refund) -> RefundResult:
    key = scoped_key("refund", None, request.subject, request.idempotency_key, _secret(context))
    command = RecordRefund(request.bidder_code, official(request.subject, request.office))
    outcome = await context.execute(request.auction_id, command, key)
    event, position = _caused(outcome, DepositRefunded)
    _same_request(outcome, (request.bidder_code,), (event.bidder_code,))  # the key is the official's, not per bidder
    return RefundResult(request.auction_id, event.bidder_code, event.amount, position, event.at, outcome.duplicate)


def _nothing_asked(event: Any) -> tuple[object, ...]:
    return ()


async def _act(
    context: Context,
    auction_id: str,
    kind: str,
    command: Command,
    caused: type[E],
    subject: str,
    key: str | None,
    asked: tuple[object, ...] = (),
    recorded: Callable[[E], tuple[object, ...]] = _nothing_asked,
) -> AuctionResult:
    """An official act after bidding, answered with the auction's view after it. ``asked`` is
    what the request asks, ``recorded`` reads the same from the act's event (a repeated key)."""
    outcome = await context.execute(auction_id, command, scoped_key(kind, None, subject, key, _secret(context)))
    event, position = _caused(outcome, caused)
    _same_request(outcome, asked, recorded(event))
    view = await context.queries.auction(auction_id)
    return AuctionResult(auction_id, view, position, outcome.duplicate)


async def decide_transfer(context: Context, request: Transfer) -> AuctionResult:
    by = official(request.subject, request.office)
    command = DecideTransfer(request.reference, request.decided_on, by)
    asked = (request.reference.strip(), request.decided_on.isoformat())
    return await _act(
        context,
        request.auction_id,
        "transfer",
        command,
        TransferDecided,
        request.subject,
        request.idempotency_key,
        asked,
        lambda event: (event.reference, event.decided_on),
    )


async def offer_next_best(context: Context, request: OfferNext) -> AuctionResult:
    command = OfferNextBest(official(request.subject, request.office))
    return await _act(
        context, request.auction_id, "offer-next", command, SaleOffered, request.subject, request.idempotency_key
    )


async def grant_grace(context: Context, request: Grace) -> AuctionResult:
    command = GrantGrace(request.until, official(request.subject, request.office))
    return await _act(
        context,
        request.auction_id,
        "grace",
        command,
        GraceGranted,
        request.subject,
        request.idempotency_key,
        (request.until,),
        lambda event: (event.until,),
    )


async def suspend_bidding(context: Context, request: SuspendBidding) -> AuctionResult:
    command = Suspend(request.reason, official(request.subject, request.office))
    return await _act(
        context,
        request.auction_id,
        "suspend",
        command,
        AuctionSuspended,
        request.subject,
        request.idempotency_key,
        (request.reason.strip(),),
        lambda event: (event.reason,),
    )


async def resume_bidding(context: Context, request: ResumeBidding) -> AuctionResult:
    command = Resume(official(request.subject, request.office))
    return await _act(
        context, request.auction_id, "resume", command, AuctionResumed, request.subject, request.idempotency_key
    )


async def cancel_auction(context: Context, request: CancelAuction) -> AuctionResult:
    command = Cancel(request.reason, official(request.subject, request.office))
    return await _act(
        context,
        request.auction_id,
        "cancel",
        command,
        AuctionCancelled,
        request.subject,
        request.idempotency_key,
        (request.reason.strip(),),
        lambda event: (event.reason,),
    )


async def start_next_round(context: Context, request: NextRound) -> AuctionResult:
    """``StartNextRound`` on the old auction (it checks the law and records the new id), then
    the new round scheduled under that id with the same official. A retry with the same
    Idempotency-Key after a failure in between schedules the round the first try recorded."""
    old = await _state(context, request.auction_id)
    rules = context.service.rules_of(old)
    by = official(request.subject, request.office)
    for _ in range(ID_ATTEMPTS):
        new_id = context.new_auction_id()
        if (await context.service.load(new_id)).status is Status.NEW:
            break
    else:
        raise CommandRejected("auction_exists", "could not find a free auction id; retry")
    command = StartNextRound(
        next_auction=new_id,
        opens_at=request.opens_at,
        closes_at=request.closes_at,
        starting_price=request.starting_price,
        official=by,
    )
    key = scoped_key("next-round", None, request.subject, request.idempotency_key, _secret(context))
    try:
        if old.next_round is None:
            # The new round's own terms are checked before anything is written (a retry's are not),
            # on the state time has brought up to now (a default at a deadline just passed).
            now = context.service.clock.now()
            current = fold(old, advance(old, rules, now))
            rules.check_sale_terms(next_round_draft(current, rules, command, now))
        outcome = await context.execute(request.auction_id, command, key)
    except RuleViolation:
        raise
    except (ValueError, OverflowError) as error:  # a date the rules cannot compute with
        raise CommandRejected("invalid_request", str(error)) from None
    recorded, _ = _caused(outcome, NextRoundScheduled)
    # A term the request left to the rules matches whatever they fixed.
    _same_request(
        outcome,
        (request.opens_at, request.closes_at, request.starting_price),
        (
            recorded.opens_at,
            recorded.closes_at if request.closes_at is not None else None,
            recorded.starting_price if request.starting_price is not None else None,
        ),
    )
    new_id = recorded.next_auction
    draft = scheduled_round(outcome.state, rules, recorded)
    try:
        # The lot is the same: its details as they stood go with it.
        again = ScheduleAuction(new_id, draft, by, details=outcome.state.details)
        scheduled = await context.execute(new_id, again, None)
    except CommandRejected as error:
        if error.code != "auction_exists":
            raise
        return AuctionResult(new_id, await context.queries.auction(new_id, refresh=True), None, True)
    event, position = _caused(scheduled, AuctionScheduled)
    return AuctionResult(new_id, context.queries.scheduled_view(event, position), position, outcome.duplicate)


Handler = Callable[[Context, Any], Awaitable[Any]]

HANDLERS: dict[type[Request[Any]], Handler] = {
    Schedule: schedule_auction,
    AmendLot: amend_details,
    Register: register_bidder,
    Deposit: record_deposit,
    Open: open_bidding,
    End: end_auction,
    Bid: place_bid,
    Proxy: set_proxy,
    Incident: record_incident,
    Preempt: declare_preemption,
    Payment: record_payment,
    Refund: record_refund,
    Transfer: decide_transfer,
    OfferNext: offer_next_best,
    Grace: grant_grace,
    SuspendBidding: suspend_bidding,
    ResumeBidding: resume_bidding,
    CancelAuction: cancel_auction,
    NextRound: start_next_round,
}


class Handlers:
    """The application as the entry points see it: ``await handlers.handle(request)``."""

    def __init__(self, context: Context) -> None:
        if context.key_secret is None:
            context = dataclasses.replace(context, key_secret=derived_secret(context.signer))
        self.context = context

    async def handle(self, request: Request[R]) -> R:
        handler = HANDLERS[type(request)]
        return cast(R, await handler(self.context, request))
