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
