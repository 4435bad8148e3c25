"""Settings from the environment (``AUCTION_*``) and the command line; read at start-up only."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE = "sqlite:///auction.sqlite3"
SECRET_FILE = ".auction-secret"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUCTION_", extra="ignore")

    database_url: str = DEFAULT_DATABASE
    redis_url: str | None = None
    secret: str | None = None
    # PEM public key of an outside identity provider (RS256/ES256/EdDSA tokens).
    jwt_public_key: str | None = None
    jwt_audience: str | None = None
    # Ed25519 key signing bid receipts: PEM or base64url seed; default ./.auction-receipt-key.
    receipt_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    ws_queue_size: int = 1000

    def jwt_secret(self) -> str:
        return self.secret or local_secret()


def local_secret(directory: Path | None = None) -> str:
    """Without ``AUCTION_SECRET``, a random secret kept in ``.auction-secret`` in the
    working directory, so that ``auction serve`` and ``auction token`` run from the
    same directory agree without any set-up, and no fixed default secret exists."""
    from api.receipts import write_once

    path = (directory or Path.cwd()) / SECRET_FILE
    return write_once(path, secrets.token_urlsafe(32) + "\n").strip()
