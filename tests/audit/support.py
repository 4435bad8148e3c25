"""Helpers for the audit tests."""

from __future__ import annotations

from pathlib import Path

from api.settings import local_receipt_key
from engine.app.receipts import ReceiptSigner


def server_signer(directory: Path) -> ReceiptSigner:
    """The signer of a server started in ``directory`` without ``AUCTION_RECEIPT_KEY``
    (api.bootstrap: the key made once and kept in ``.auction-receipt-key``)."""
    return ReceiptSigner.from_text(local_receipt_key(directory))
