"""Time is injected: the service reads a clock once per command and passes ``now`` down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; domain tests and ``auction simulate`` use it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        instant = instant.astimezone(UTC)
        if instant < self._now:
            raise ValueError("a clock never runs backwards")
        self._now = instant

    def advance(self, delta: timedelta) -> None:
        self.set(self._now + delta)


def not_before(now: datetime, last: datetime | None) -> datetime:
    """The instant to record a decision at: ``now``, unless the stream's last event is later.

    A wall clock can be stepped back (an NTP correction, an operator, a virtual machine
    restored), and two processes' clocks never agree exactly. An event is never recorded
    before the one it follows: the decision is taken at the stream's last instant instead,
    so that a deadline extended from it is never earlier than one extended before, and the
    log reads in time order (docs/operations.md, The clock)."""
    return now if last is None or now >= last else last
