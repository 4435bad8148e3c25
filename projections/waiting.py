"""Waiting for an ``asyncio.Event`` with a timeout, without losing a cancellation.

Python 3.11's ``asyncio.wait_for`` swallows a cancellation that arrives just
as the awaited event fires (CPython gh-86296): a loop built on it may then
never stop. ``asyncio.timeout`` does not have that flaw.
"""

from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, timeout: float | None) -> bool:
    """Wait until ``event`` is set or ``timeout`` seconds pass; True if it is set."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        pass
    return event.is_set()
