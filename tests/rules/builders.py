"""Value builders for the rule-book tests: local times, Terms, AuctionState."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from engine.model import UTC, AcceptedBid, AssetKind, AuctionState, Status, Terms
from engine.policy import AuctionRules, Draft


def at(zone: str, text: str) -> datetime:
    """A wall-clock time such as ``"2026-03-13 16:55"`` in ``zone``, as a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def wall(rules: AuctionRules, instant: datetime) -> str:
    """The instant on the country's wall clock, ``YYYY-MM-DD HH:MM:SS[.ffffff]+HH:MM``."""
    return rules.local(instant).isoformat(sep=" ")


def eur(amount: int | str) -> int:
    """Whole euros, or a decimal string such as "1000.01", to cents (never through a float)."""
    whole, _, frac = str(amount).partition(".")
    return int(whole) * 100 + int(frac.ljust(2, "0") or 0)


def draft(
    rules: AuctionRules,
    opens_at: datetime,
    *,
    value: int = eur(100_000),
    asset: AssetKind = AssetKind.IMMOVABLE,
    starting_price: int | None = None,
    increment: int | None = None,
    closes_at: datetime | None = None,
    round: int = 1,
    currency: str = "EUR",
    extension_minutes: int | None = None,
    deposit: int | None = None,
    zone: str | None = None,
) -> Draft:
    return Draft(
        country=rules.country,
        title="flat",
        asset=asset,
        value=value,
        currency=currency,
        opens_at=opens_at,
        starting_price=starting_price,
        increment=increment,
        closes_at=closes_at,
        round=round,
        extension_minutes=extension_minutes,
        deposit=deposit,
        zone=zone,
    )


def terms(
    rules: AuctionRules,
    closes_at: datetime,
    *,
    opens_at: datetime | None = None,
    value: int = eur(100_000),
    asset: AssetKind = AssetKind.IMMOVABLE,
    starting_price: int = eur(80_000),
    increment: int | None = None,
    round: int = 1,
    deposit_required: int = 0,
    deposit_due: datetime | None = None,
    extension_minutes: int | None = None,
    zone: str | None = None,
) -> Terms:
    return Terms(
        country=rules.country,
        title="flat",
        asset=asset,
        value=value,
        currency="EUR",
        starting_price=starting_price,
        increment=increment,
        opens_at=opens_at if opens_at is not None else closes_at - timedelta(days=7),
        closes_at=closes_at,
        round=round,
        deposit_required=deposit_required,
        deposit_due=deposit_due,
        extension_minutes=extension_minutes,
        zone=zone,
    )


def state(
    t: Terms,
    *,
    deadline: datetime | None = None,
    bids: Iterable[tuple[int, datetime]] = (),
) -> AuctionState:
    """An open auction whose accepted bids are ``(amount, at)`` pairs, by alternating bidders."""
    accepted = tuple(
        AcceptedBid(bidder_code=f"B-{n % 2 + 1}", amount=amount, at=when, position_in_auction=n)
        for n, (amount, when) in enumerate(bids, start=1)
    )
    return AuctionState(
        auction_id="a",
        status=Status.OPEN,
        terms=t,
        deadline=deadline if deadline is not None else t.closes_at,
        best=accepted[-1] if accepted else None,
        bid_count=len(accepted),
    )


def one_bid(t: Terms, *, deadline: datetime | None = None, amount: int | None = None) -> AuctionState:
    """An open auction with a single accepted bid at the starting price, placed at opening."""
    return state(t, deadline=deadline, bids=[(amount if amount is not None else max(t.starting_price, 1), t.opens_at)])


def deadlines_after_bids(rules: AuctionRules, t: Terms, times: Iterable[datetime]) -> list[datetime]:
    """The deadline in force after each accepted bid at ``times`` in turn, as the engine
    applies ``extension_on_bid`` (each bid above the one before)."""
    deadline = t.closes_at
    bids: list[tuple[int, datetime]] = []
    found = []
    for when in times:
        before = state(t, deadline=deadline, bids=bids)
        extension = rules.extension_on_bid(before, when)
        if extension is not None:
            deadline = extension.deadline
        bids.append((t.starting_price + (len(bids) + 1) * 100, when))
        found.append(deadline)
    return found
