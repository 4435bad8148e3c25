"""Running an engine command for a request, and reading the caller's answer out of its events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from api.errors import ApiError, from_engine
from api.runtime import Runtime
from engine.commands import Command
from engine.decider import replay
from engine.errors import AlreadyRegistered, DomainError
from engine.events import Event
from engine.model import AuctionState
from engine.policy import RuleViolation
from engine.service import Outcome, decode_stored, stream_of
from engine.store.base import ConcurrencyConflict, StoredEvent

E = TypeVar("E", bound=Event)


async def run(runtime: Runtime, auction_id: str, command: Command, idempotency_key: str | None = None) -> Outcome:
    """Execute ``command``; the engine's refusals become :class:`ApiError`s (nothing was recorded)."""
    try:
        return await runtime.execute(auction_id, command, idempotency_key)
    except AlreadyRegistered:
        raise  # not a refusal: the registration route answers 200 with the same code
    except (DomainError, RuleViolation, ConcurrencyConflict) as error:
        raise from_engine(error) from None


@dataclass(frozen=True)
class Recorded:
    """One event of a command's outcome with its stream position."""

    event: Event
    stored: StoredEvent

    @property
    def position(self) -> int:
        return self.stored.version


def recorded(outcome: Outcome) -> list[Recorded]:
    return [Recorded(event, stored) for event, stored in zip(outcome.events, outcome.stored, strict=True)]


def first(items: Sequence[Recorded], *types: type[Event], automatic: bool | None = None) -> Recorded | None:
    for item in items:
        if isinstance(item.event, types) and (
            automatic is None or getattr(item.event, "automatic", False) == automatic
        ):
            return item
    return None


async def state_after(runtime: Runtime, auction_id: str, outcome: Outcome) -> AuctionState:
    """The auction as the command left it. A repeated idempotency key answers with the
    events first recorded, so its state is rebuilt up to them, not taken from now."""
    if not outcome.duplicate:
        return outcome.state
    last = outcome.stored[-1].version if outcome.stored else 0
    history = await runtime.store.read_stream(stream_of(auction_id))
    return replay(auction_id, decode_stored(history[:last]))


def not_found(auction_id: str) -> ApiError:
    return ApiError(404, "auction_not_found", f"no auction {auction_id!r}")
