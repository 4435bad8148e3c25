"""The pure parts of the review's fixes: when a bid needs the bidder's confirmation, and how a
stored Idempotency-Key names its caller (never by identity, nor by a digest anyone can recompute)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from engine.app.handlers import caller_handle, confirmation_basis, needs_confirmation, scoped_key
from engine.model import AssetKind, Terms
from engine.vault import owner_of

cents = st.integers(min_value=1, max_value=10**17)
factors = st.integers(min_value=0, max_value=1000)
subjects = st.text(min_size=1, max_size=40)
secrets_ = st.binary(min_size=32, max_size=32)
START = datetime(2030, 5, 15, 8, 0, tzinfo=UTC)


@given(value=cents, amount=cents, factor=factors)
def test_a_bid_needs_confirming_exactly_above_factor_times_the_value(value: int, amount: int, factor: int) -> None:
    assert needs_confirmation(value, amount, factor) == (factor > 0 and amount > value * factor)


@given(amount=cents, factor=factors)
def test_without_a_basis_nothing_is_asked(amount: int, factor: int) -> None:
    assert not needs_confirmation(0, amount, factor)


@given(value=st.integers(min_value=0, max_value=10**12), starting=cents)
def test_the_basis_is_the_value_else_the_starting_price(value: int, starting: int) -> None:
    terms = Terms("SE", "Boat", AssetKind.MOVABLE, value, "SEK", starting, None, START, START, 1, 0)
    assert confirmation_basis(terms) == (value or starting)


@given(value=cents, amount=cents, more=cents, factor=st.integers(min_value=1, max_value=1000))
def test_confirmation_is_monotone_and_never_asked_up_to_the_value(
    value: int, amount: int, more: int, factor: int
) -> None:
    if needs_confirmation(value, amount, factor):
        assert needs_confirmation(value, amount + more, factor)
    assert not needs_confirmation(value, min(amount, value), factor)
    assert not needs_confirmation(value, amount, 0)


@given(subject=subjects, secret=secrets_, other=secrets_)
def test_a_callers_handle_is_keyed_stable_and_not_the_plain_digest(subject: str, secret: bytes, other: bytes) -> None:
    handle = caller_handle(secret, subject)
    assert handle == caller_handle(secret, subject)
    assert handle not in owner_of(subject)
    if other != secret:
        assert handle != caller_handle(other, subject)


@given(subject=subjects, secret=secrets_, key=st.text(alphabet="abc-_0123", min_size=1, max_size=20))
def test_a_stored_key_names_the_bidder_code_or_the_handle_never_the_subject(
    subject: str, secret: bytes, key: str
) -> None:
    assert scoped_key("bid", "B-7", subject, key, secret) == f"bid:B-7:{key}"
    official = scoped_key("payment", None, subject, key, secret)
    assert official == f"payment:caller-{caller_handle(secret, subject)}:{key}"
    assert scoped_key("bid", "B-7", subject, None, secret) is None
