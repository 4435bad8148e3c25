"""Write limits: a token bucket per caller and one per client address, in bounded memory.

Every write (``POST``, ``PUT``, ``PATCH``, ``DELETE``) takes a token from the bucket of the
token's subject (``role:sub``, when the bearer token verifies) and from the bucket of the
client's address; when either is empty the request is answered 429 ``rate_limited`` with
``Retry-After`` (whole seconds), before its body is read, and nothing is decided or written.
Reads, the live feed and the web pages are not limited here.

A bucket holds up to ``burst`` tokens and gains ``rate`` a second. The defaults
(``AUCTION_WRITE_RATE_PER_SUBJECT`` 10/s with ``AUCTION_WRITE_BURST_PER_SUBJECT`` 50,
``AUCTION_WRITE_RATE_PER_ADDRESS`` 100/s with ``AUCTION_WRITE_BURST_PER_ADDRESS`` 1000) are
far above what a person bids in an auction's closing minutes (a bid a second, several at the
very end) and what an office's bidders behind one address send together; a rate of 0 turns
that limit off (a load test from a few addresses, an engine behind a proxy that limits).

Each limit keeps at most :data:`KEYS` buckets, the least recently used dropped first: a
dropped bucket comes back full, so the memory bound can only ever let a caller through, never
refuse one. The address is the connection's peer (the engine does not read
``X-Forwarded-For``): behind a reverse proxy every request shares its address, so limit per
address at the proxy and set the rate here to 0, or raise it (docs/access.md).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import Scope

from api.auth import InvalidToken, TokenReader
from api.errors import error_response
from api.settings import Settings

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEYS = 100_000  # buckets kept per limit

# The environment of a load test (the test suite, benchmarks/): every limit far above what it
# sends, still checked on every write (so that a benchmark measures what the check costs).
LOAD_TEST_ENVIRONMENT = {
    f"AUCTION_WRITE_{what}_PER_{whom}": "1000000000" for what in ("RATE", "BURST") for whom in ("SUBJECT", "ADDRESS")
}


class TokenBuckets:
    """One token bucket per key, the ``capacity`` most recently used kept."""

    def __init__(self, rate: float, burst: int, capacity: int = KEYS) -> None:
        if rate < 0 or burst < 1 or capacity < 1:
            raise ValueError("a rate of at least 0, a burst and a capacity of at least 1 are needed")
        self.rate = rate
        self.burst = float(burst)
        self.capacity = capacity
        self._buckets: OrderedDict[str, list[float]] = OrderedDict()  # key -> [tokens, at]

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str, now: float) -> float:
        """Take a token for ``key`` at ``now`` (seconds, any monotonic origin): 0.0 if one was
        there, else how many seconds until one will be (nothing is taken then)."""
        if self.rate == 0:
            return 0.0
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = [self.burst, now]
            if len(self._buckets) > self.capacity:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            # A clock that went back adds nothing (and takes nothing away).
            bucket[0] = min(self.burst, bucket[0] + max(0.0, now - bucket[1]) * self.rate)
            bucket[1] = max(bucket[1], now)
        if bucket[0] >= 1.0:
            bucket[0] -= 1.0
            return 0.0
        return (1.0 - bucket[0]) / self.rate


class WriteLimits:
    """The two limits of a server, from its settings; ``tokens`` reads the caller's bearer token."""

    def __init__(self, settings: Settings, tokens: TokenReader, clock: Callable[[], float] = time.monotonic) -> None:
        self.subjects = TokenBuckets(settings.write_rate_per_subject, settings.write_burst_per_subject)
        self.addresses = TokenBuckets(settings.write_rate_per_address, settings.write_burst_per_address)
        self.tokens = tokens
        self.clock = clock

    def refusal(self, scope: Scope) -> Response | None:
        """429 for a write (an HTTP ``scope``) over a limit, else None, a token taken from each bucket."""
        if scope["method"] not in WRITES:
            return None
        now = self.clock()
        client = scope.get("client")
        address = client[0] if client else "unknown"
        wait = self.addresses.take(address, now)
        if wait:
            return _too_many("from this address", wait)
        subject = _subject(scope, self.tokens)
        if subject is not None and (wait := self.subjects.take(subject, now)):
            return _too_many("by this caller", wait)
        return None


def _subject(scope: Scope, tokens: TokenReader) -> str | None:
    """``role:sub`` of the request's bearer token, if it has one that verifies (a token that does
    not is the route's to refuse, 401; the address limit still counts the request)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer" or not credentials.strip():
                return None
            try:
                principal = tokens.read(credentials.strip())
            except InvalidToken:
                return None
            return f"{principal.role.value}:{principal.subject}"
    return None


def _too_many(whom: str, wait: float) -> Response:
    seconds = max(1, math.ceil(wait))
    message = f"too many writes {whom}; retry in {seconds} s"
    return error_response(429, "rate_limited", message, {"Retry-After": str(seconds)})
