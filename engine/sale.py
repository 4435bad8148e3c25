"""The sale after bidding, decided purely: declaration, payment, default, deposits, rounds.

Part of the decider (``engine.decider.decide`` hands these commands here after
time has been brought up to ``now``). The figures come from the country's rule
book (``rules.sale``, an :class:`engine.policy.SaleTerms`); the readings are in
docs/rules.md, After bidding. Every refusal raises before any event is made,
so a refused act records nothing.
"""

from __future__ import annotations

from datetime import datetime

from engine.commands import (
    Cancel,
    DecideTransfer,
    DeclarePreemption,
    EndAuction,
    GrantGrace,
    OfferNextBest,
    Official,
    RecordPayment,
    RecordRefund,
    Resume,
    StartNextRound,
    Suspend,
)
from engine.errors import CommandRejected
from engine.events import (
    AuctionCancelled,
    AuctionEnded,
    AuctionResumed,
    AuctionSuspended,
    DepositCredited,
    DepositForfeited,
    DepositRefunded,
    Event,
    GraceGranted,
    NextRoundScheduled,
    PaymentRecorded,
    PreemptionDeclared,
    RefundDue,
    RoundsExhausted,
    SaleDefaulted,
    SaleOffered,
    SalePaid,
    TransferDecided,
)
from engine.model import PREEMPTION_HOLDER, AuctionState, Bidder, Ledger, Sale, Status, format_money
from engine.policy import AuctionRules, Draft, Refusal, RuleViolation

REASON_LIMIT = 2000  # characters of a suspension's or cancellation's reason
REFERENCE_LIMIT = 200


def by(official: Official | None) -> dict[str, str | None]:
    """The fields naming who performed an official act."""
    if official is None:
        return {"official": None, "office": None}
    return {"official": official.subject, "office": official.office}


def _refused(refusal: Refusal) -> CommandRejected:
    rule = f" ({refusal.rule.code})" if refusal.rule is not None else ""
    return CommandRejected(refusal.reason, f"{refusal.message}{rule}")


def _money(state: AuctionState, cents: int) -> str:
    currency = state.terms.currency if state.terms is not None else ""
    return f"{format_money(cents)} {currency}".rstrip()


def _last_round(state: AuctionState, rules: AuctionRules) -> bool:
    assert state.terms is not None
    return rules.max_round is not None and state.terms.round >= rules.max_round


def _exhausted(state: AuctionState, rules: AuctionRules, at: datetime) -> list[Event]:
    """The terminal outcome, when the last round the law allows has failed."""
    outcome = rules.sale.last_round
    if outcome is None or not _last_round(state, rules):
        return []
    return [RoundsExhausted(at=at, outcome=outcome[0], rule=outcome[1].code)]


def _refunds(state: AuctionState, rules: AuctionRules, at: datetime, ended: datetime, keep: str | None) -> list[Event]:
    """A ``RefundDue`` for every deposit still held, except ``keep``'s (the purchaser's)."""
    assert state.terms is not None
    due, rule = rules.refund_deadline(state.terms, ended)
    return [
        RefundDue(at=at, bidder_code=b.code, amount=b.deposit, due=due, rule=rule.code if rule else None)
        for b in state.bidders
        if b.deposit > 0 and b.code != keep and b.ledger is Ledger.HELD
    ]


def _credit(state: AuctionState, code: str, price: int, at: datetime) -> list[Event]:
    """The purchaser's deposit counted towards the price (and the sale paid if it covers it)."""
    bidder = state.bidder(code)
    if bidder is None or bidder.deposit <= 0 or bidder.ledger not in (Ledger.HELD, Ledger.REFUND_DUE):
        return []
    events: list[Event] = [DepositCredited(at=at, bidder_code=code, amount=bidder.deposit)]
    if bidder.deposit >= price:
        events.append(SalePaid(at=at, purchaser=code, paid=bidder.deposit))
    return events


# ---------------------------------------------------------------- time


def default_step(state: AuctionState, rules: AuctionRules, now: datetime) -> list[Event]:
    """At the payment deadline with the price not covered: the default, at the deadline instant."""
    if state.sale is not Sale.AWAITING_PAYMENT or state.payment_due is None or now < state.payment_due:
        return []
    at, purchaser = state.payment_due, state.purchaser
    assert purchaser is not None
    events: list[Event] = [SaleDefaulted(at=at, purchaser=purchaser, paid=state.paid, rule=rules.sale.payment.code)]
    if state.credited > 0:
        events.append(
            DepositForfeited(at=at, bidder_code=purchaser, amount=state.credited, rule=rules.sale.forfeit.code)
        )
    if rules.sale.next_best is None or not _next_best(state, also=purchaser):
        events += _exhausted(state, rules, at)  # nobody left to offer the last round's sale to
    return events


def _next_best(state: AuctionState, also: str | None = None) -> list[Bidder]:
    """The bidders the sale may still be offered to: an accepted bid, and no default (nor ``also``'s)."""
    return [b for b in state.bidders if b.best_bid is not None and b.code not in state.defaulters and b.code != also]


# ---------------------------------------------------------------- the declaration


def declare(state: AuctionState, command: EndAuction, rules: AuctionRules, now: datetime) -> list[Event]:
    if state.ended:
        raise CommandRejected("already_ended", "the auction has already ended")
    if state.status is Status.CANCELLED:
        raise CommandRejected("auction_cancelled", "the auction was cancelled")
    official = by(command.official)
    if state.status is Status.FAILED:
        assert state.closed_at is not None
        return [
            AuctionEnded(at=now, purchaser=None, price=None, payment_due=None, rule=None, **official),
            *_refunds(state, rules, now, state.closed_at, None),
            *_exhausted(state, rules, now),
        ]
    if state.status is not Status.CLOSED:
        raise CommandRejected("bidding_not_ended", "bidding has not ended yet")
    refusal = rules.declaration_refusal(state, now)
    if refusal is not None:
        raise _refused(refusal)
    assert state.best is not None and state.closed_at is not None
    purchaser, price = state.preemptor or state.best.bidder_code, state.best.amount
    due, rule = rules.payment_deadline(state, now)
    return [
        AuctionEnded(at=now, purchaser=purchaser, price=price, payment_due=due, rule=rule.code, **official),
        *_credit(state, purchaser, price, now),
        *_refunds(state, rules, now, state.closed_at, purchaser),
    ]


def preempt(state: AuctionState, command: DeclarePreemption, rules: AuctionRules, now: datetime) -> list[Event]:
    bidder = state.bidder(command.bidder_code) if command.bidder_code else None
    if bidder is None or bidder.role != PREEMPTION_HOLDER:
        raise CommandRejected("not_preemption_holder", "only a bidder registered as a pre-emption holder may declare")
    if not bidder.admitted:
        raise CommandRejected("not_admitted", "the pre-emption holder has not been admitted (deposit)")
    refusal = rules.preemption_refusal(state, now)
    if refusal is not None:
        raise _refused(refusal)
    if state.preemptor is not None:
        raise CommandRejected("preemption_taken", f"{state.preemptor} declared pre-emption first")
    assert state.best is not None and rules.sale.preemption is not None
    if state.best.bidder_code == bidder.code:
        raise CommandRejected("already_best", "the holder is already the best bidder: pre-emption changes nothing")
    rule = rules.sale.preemption.code
    return [PreemptionDeclared(at=now, bidder_code=bidder.code, price=state.best.amount, rule=rule)]


# ---------------------------------------------------------------- payment


def _awaiting(state: AuctionState) -> None:
    if state.sale is Sale.DEFAULTED:
        raise CommandRejected("sale_defaulted", "the purchaser defaulted: the payment deadline has passed")
    if state.sale in (Sale.PAID, Sale.COMPLETED):
        raise CommandRejected("already_paid", "the price has been paid")
    if state.sale is None:
        raise CommandRejected("no_sale", "no purchaser has been declared")


def pay(state: AuctionState, command: RecordPayment, now: datetime) -> list[Event]:
    if command.amount <= 0:
        raise CommandRejected("invalid_amount", "a payment must be a positive amount")
    _awaiting(state)
    assert state.purchase_price is not None and state.purchaser is not None
    remaining = state.purchase_price - state.paid
    if command.amount > remaining:
        raise CommandRejected("payment_exceeds_price", f"only {_money(state, remaining)} of the price is still due")
    paid = state.paid + command.amount
    events: list[Event] = [PaymentRecorded(at=now, amount=command.amount, paid=paid, **by(command.official))]
    if paid >= state.purchase_price:
        events.append(SalePaid(at=now, purchaser=state.purchaser, paid=paid))
    return events


def grant_grace(state: AuctionState, command: GrantGrace, rules: AuctionRules, now: datetime) -> list[Event]:
    _awaiting(state)
    refusal = rules.grace_refusal(state, command.until, now)
    if refusal is not None:
        raise _refused(refusal)
    assert state.payment_due is not None and rules.sale.grace is not None
    return [
        GraceGranted(
            at=now,
            until=command.until,
            previous=state.payment_due,
            rule=rules.sale.grace.code,
            **by(command.official),
        )
    ]


def transfer(state: AuctionState, command: DecideTransfer, rules: AuctionRules, now: datetime) -> list[Event]:
    if state.sale is Sale.COMPLETED:
        raise CommandRejected("already_completed", "the transfer decision is already recorded")
    if state.sale is not Sale.PAID:
        raise CommandRejected("sale_not_paid", "ownership passes only once the price is paid")
    reference = command.reference.strip()
    if not reference or len(reference) > REFERENCE_LIMIT:
        raise CommandRejected(
            "invalid_reference", f"a decision reference of 1 to {REFERENCE_LIMIT} characters is needed"
        )
    assert state.ended_at is not None
    if command.decided_on > rules.local(now).date():
        raise CommandRejected("invalid_date", "the decision cannot be dated in the future")
    if command.decided_on < rules.local(state.ended_at).date():
        raise CommandRejected("invalid_date", "the decision cannot be dated before the purchaser's declaration")
    return [
        TransferDecided(at=now, reference=reference, decided_on=command.decided_on.isoformat(), **by(command.official))
    ]


def offer_next(state: AuctionState, command: OfferNextBest, rules: AuctionRules, now: datetime) -> list[Event]:
    rule = rules.sale.next_best
    if rule is None:
        raise CommandRejected(
            "next_best_not_provided", f"{rules.country} rules do not offer a defaulted sale to the next-best bidder"
        )
    if state.sale is not Sale.DEFAULTED:
        raise CommandRejected("sale_not_defaulted", "the sale is offered to the next-best bidder only after a default")
    if state.next_round is not None:
        raise CommandRejected("next_round_exists", "the next round has already been scheduled")
    candidates = _next_best(state)
    if not candidates:
        raise CommandRejected("no_next_best", "no other bidder made an accepted bid")
    chosen = max(candidates, key=lambda b: b.best_bid or 0)
    assert chosen.best_bid is not None
    due, _ = rules.payment_deadline(state, now)
    offered = SaleOffered(
        at=now, bidder_code=chosen.code, price=chosen.best_bid, payment_due=due, rule=rule.code, **by(command.official)
    )
    return [offered, *_credit(state, chosen.code, chosen.best_bid, now)]


def refund(state: AuctionState, command: RecordRefund, now: datetime) -> list[Event]:
    bidder = state.bidder(command.bidder_code)
    if bidder is None:
        raise CommandRejected("unknown_bidder", f"no bidder {command.bidder_code!r} in this auction")
    if bidder.deposit <= 0:
        raise CommandRejected("no_deposit", f"{bidder.code} paid no deposit")
    if bidder.ledger is Ledger.REFUNDED:
        raise CommandRejected("already_refunded", f"{bidder.code}'s deposit has already been refunded")
    if bidder.ledger is Ledger.CREDITED:
        raise CommandRejected("deposit_credited", "the purchaser's deposit is credited to the price, not refunded")
    if bidder.ledger is Ledger.FORFEITED:
        raise CommandRejected("deposit_forfeited", "a defaulting purchaser's deposit is forfeited")
    if bidder.ledger is not Ledger.REFUND_DUE:
        raise CommandRejected("refund_not_due", "deposits are refunded once the purchaser is declared")
    return [DepositRefunded(at=now, bidder_code=bidder.code, amount=bidder.deposit, **by(command.official))]


# ---------------------------------------------------------------- suspension and cancellation


def _reason(text: str) -> str:
    reason = text.strip()
    if not reason or len(reason) > REASON_LIMIT:
        raise CommandRejected("invalid_reason", f"a reason of 1 to {REASON_LIMIT} characters is needed")
    return reason


def suspend(state: AuctionState, command: Suspend, now: datetime) -> list[Event]:
    if state.status is not Status.OPEN:
        raise CommandRejected("auction_not_open", f"only an open auction can be suspended (it is {state.status.value})")
    reason = _reason(command.reason)
    assert state.deadline is not None
    return [AuctionSuspended(at=now, reason=reason, deadline=state.deadline, **by(command.official))]


def resume(state: AuctionState, command: Resume, now: datetime) -> list[Event]:
    if state.status is not Status.SUSPENDED or state.suspension is None:
        raise CommandRejected("auction_not_suspended", "only a suspended auction can be resumed")
    left = state.suspension.deadline - state.suspension.at
    return [AuctionResumed(at=now, deadline=now + left, suspended_at=state.suspension.at, **by(command.official))]


def cancel(state: AuctionState, command: Cancel, rules: AuctionRules, now: datetime) -> list[Event]:
    if state.status not in (Status.SCHEDULED, Status.OPEN, Status.SUSPENDED):
        raise CommandRejected(
            "auction_not_cancellable",
            f"only a scheduled, open or suspended auction can be cancelled (it is {state.status.value})",
        )
    reason = _reason(command.reason)
    return [AuctionCancelled(at=now, reason=reason, **by(command.official)), *_refunds(state, rules, now, now, None)]


# ---------------------------------------------------------------- the next round


def next_round_draft(state: AuctionState, rules: AuctionRules, command: StartNextRound, now: datetime) -> Draft:
    """The notice of the next round, checked against the law; raises when it cannot be held."""
    terms = state.terms
    assert terms is not None
    rule = rules.sale.next_round
    if rule is None:
        raise CommandRejected(
            "next_round_not_provided", f"{rules.country} rules know no next round: a new sale is a new auction"
        )
    if state.status is not Status.FAILED and state.sale is not Sale.DEFAULTED:
        raise CommandRejected("next_round_not_allowed", "a next round follows only a failed or defaulted sale")
    if state.next_round is not None:
        raise CommandRejected("next_round_exists", f"the next round is auction {state.next_round}")
    if _last_round(state, rules):
        raise CommandRejected(
            "last_round", f"round {terms.round} is the last the {rules.country} rules allow ({rule.code})"
        )
    request_by = rules.next_round_request_by(state)
    if request_by is not None and now >= request_by:
        raise CommandRejected(
            "next_round_request_late",
            f"the next round had to be asked for before {rules.local(request_by).isoformat()} ({rule.code})",
        )
    earliest = rules.next_round_earliest(state)
    if command.opens_at < earliest:
        raise RuleViolation(
            "next_round_too_early",
            f"the next round opens no earlier than {rules.local(earliest).isoformat()}",
            rule,
        )
    floor = rules.next_round_floor(state)
    starting_price = command.starting_price
    if floor is not None:
        if starting_price is None:
            starting_price = floor[0]
        elif starting_price < floor[0]:
            raise RuleViolation(
                "starting_price_too_low",
                f"the next round starts at no less than {_money(state, floor[0])}",
                floor[1],
            )
    return _notice(state, rules, command.opens_at, command.closes_at, starting_price)


def _notice(
    state: AuctionState, rules: AuctionRules, opens_at: datetime, closes_at: datetime | None, starting_price: int | None
) -> Draft:
    """The next round's notice: this round's terms, the round after it, the new dates and price."""
    terms = state.terms
    assert terms is not None
    return Draft(
        country=terms.country,
        title=terms.title,
        asset=terms.asset,
        value=terms.value,
        currency=terms.currency,
        opens_at=opens_at,
        starting_price=starting_price,
        increment=terms.increment,
        closes_at=closes_at,
        round=terms.round + 1,
        extension_minutes=terms.extension_minutes,
        deposit=terms.deposit_required if "deposit" in rules.notice_terms else None,
        zone=terms.zone,
        payment_days=terms.payment_days,
        previous=state.auction_id,
    )


def scheduled_round(state: AuctionState, rules: AuctionRules, recorded: NextRoundScheduled) -> Draft:
    """The notice of the round ``recorded`` scheduled (``state``: the old round's), with the
    dates and starting price the rules fixed when it was decided, to schedule it as its own auction."""
    return _notice(state, rules, recorded.opens_at, recorded.closes_at, recorded.starting_price)


def next_round(state: AuctionState, command: StartNextRound, rules: AuctionRules, now: datetime) -> list[Event]:
    draft = next_round_draft(state, rules, command, now)
    terms = rules.schedule(draft)
    if terms.closes_at <= now:
        raise CommandRejected("closes_at_in_past", "the closing time has already passed")
    return [
        NextRoundScheduled(
            at=now,
            next_auction=command.next_auction,
            round=terms.round,
            opens_at=terms.opens_at,
            closes_at=terms.closes_at,
            starting_price=terms.starting_price,
            **by(command.official),
        )
    ]
