"""The engine's exception tree.

``DomainError``
    ``CommandRejected``: a command the current state does not allow (HTTP 409 / 404 / 422).
    ``engine.policy.RuleViolation``: a schedule the country's law does not allow (422).
``engine.store.base.StoreError``: persistence failures (``ConcurrencyConflict`` is retried).

A refused *bid* is not an exception: it is a ``BidRejected`` event, recorded.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class CommandRejected(DomainError):
    """The command cannot be carried out in the auction's current state; nothing is recorded."""


class AuctionNotFound(CommandRejected):
    def __init__(self, auction_id: str) -> None:
        super().__init__("auction_not_found", f"no auction {auction_id!r}")


class AlreadyRegistered(CommandRejected):
    def __init__(self, bidder_code: str) -> None:
        super().__init__("already_registered", f"already registered as {bidder_code}")
        self.bidder_code = bidder_code
