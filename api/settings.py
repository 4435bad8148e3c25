"""Settings from the environment (``AUCTION_*``) and the command line; read at start-up only.

Two secrets have a local default so that ``auction serve`` runs with no set-up:
the token secret (``.auction-secret``) and the receipt key
(``.auction-receipt-key``), each made once in the working directory by the
first process that needs it and read by every other one.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PositiveFloat, PositiveInt, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE = "sqlite:///auction.sqlite3"
SECRET_FILE = ".auction-secret"
RECEIPT_KEY_FILE = ".auction-receipt-key"
PREFIX = "AUCTION_"
# The test suite's own variables (AUCTION_TEST_POSTGRES_URL, ...: tests/, scripts/, benchmarks/),
# never read by the server, and so exempt from the check of unknown settings.
TEST_PREFIX = "AUCTION_TEST_"
# An HS256 secret shorter than the hash (32 bytes) can be guessed from a single token offline.
MIN_SECRET_BYTES = 32


class WeakSecret(ValueError):
    """The token secret is too short to sign with."""


def checked_secret(secret: str, source: str = "AUCTION_SECRET") -> str:
    """``secret`` if it has at least :data:`MIN_SECRET_BYTES` bytes, else :class:`WeakSecret` naming ``source``."""
    size = len(secret.encode("utf-8", "surrogatepass"))
    if size < MIN_SECRET_BYTES:
        raise WeakSecret(
            f"{source} must be at least {MIN_SECRET_BYTES} bytes, it has {size}"
            " (make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return secret


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="forbid")

    database_url: str = DEFAULT_DATABASE
    keys_database_url: str | None = None  # identity keys: SQLite file (default <db>.keys) or PostgreSQL role's URL
    redis_url: str | None = None
    secret: str | None = None
    # PEM public key of an outside identity provider (RS256/ES256/EdDSA tokens).
    jwt_public_key: str | None = None
    jwt_audience: str | None = None
    # OpenID Connect identity provider (api.oidc): its issuer, this engine as its client, and the claims mapped.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None  # a confidential client's secret; none: a public client (PKCE only)
    oidc_audience: str | None = None  # the audience (aud) of access tokens for this API; default: the client id
    oidc_scopes: str = "openid profile"
    oidc_redirect_uri: str | None = None  # default: /auth/callback on the address the browser used
    oidc_role_claim: str = "role"
    oidc_role_map: str | None = None  # "provider-value=role,...": the provider's role values read as ours
    oidc_default_role: Literal["bidder", "bailiff", "auditor"] | None = None  # for tokens naming no role
    oidc_office_claim: str = "office"
    oidc_subject_claim: str = "sub"
    # Days after a sale is completed or fails when the bidders' identities are erased (engine.app.retention).
    retention_days: int | None = Field(default=None, ge=0)
    # Ed25519 key signing bid receipts: PEM or base64url seed; default ./.auction-receipt-key.
    receipt_key: str | None = None
    # Where the last signed tree head is kept between runs ("off": nowhere); see head_path.
    head_file: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    ws_queue_size: int = 1000
    # One log line per HTTP request (api.observability.RequestLog: method, route, status, duration,
    # request id). Off by default: every bid, refused or not, is in the event log, and a reverse proxy
    # in front logs the requests; on a busy auction the line costs a share of a bid's time (benchmark a).
    access_log: bool = False
    default_language: Literal["en", "bg", "hr", "lt", "sl", "sv", "et", "lv", "cs", "pt", "el"] = "en"  # api.i18n
    accessibility_contact: str = "accessibility@example.org"  # feedback address on the accessibility statement
    bid_confirmation_factor: int = 10  # a bid above this many times the value needs "confirm": true; 0: never
    # Writes a second, sustained and at once, per caller and per client address (api.ratelimit); rate 0: no limit.
    write_rate_per_subject: float = Field(default=10.0, ge=0)
    write_burst_per_subject: int = Field(default=50, ge=1)
    write_rate_per_address: float = Field(default=100.0, ge=0)
    write_burst_per_address: int = Field(default=1000, ge=1)
    max_json_body: PositiveInt = 64 * 1024  # bytes; a larger body is refused (413) before it is read (api.limits)
    max_upload_bytes: PositiveInt = 20 * 1024 * 1024  # bytes of a photo or document upload (api.limits), else 413
    max_image_pixels: PositiveInt = 40_000_000  # pixels of an uploaded photo, else 422 image_too_large (image bombs)
    limit_concurrency: PositiveInt = 20_000  # connections (live watchers included) past which requests get 503
    timeout_keep_alive: PositiveInt = 5  # seconds an idle keep-alive connection stays open
    header_timeout: PositiveFloat = 10.0  # seconds a request's head may take to arrive before the connection is closed
    max_header_bytes: PositiveInt = 16 * 1024  # a request head larger than this is refused (431)

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, secret: str | None) -> str | None:
        return secret and checked_secret(secret)  # empty: none given, the local secret is used

    @field_validator("oidc_role_map")
    @classmethod
    def _role_map(cls, text: str | None) -> str | None:
        from api.oidc import parse_role_map  # ValueError naming the bad entry

        parse_role_map(text)
        return text

    @field_validator("oidc_client_id")
    @classmethod
    def _client_with_issuer(cls, client_id: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("oidc_issuer") and not client_id:
            raise ValueError("AUCTION_OIDC_ISSUER needs AUCTION_OIDC_CLIENT_ID (this engine's client id there)")
        return client_id

    # Logs (api.observability): from this level up, one line a record, as "json" or "text".
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "text"] = "json"
    metrics: bool = True  # GET /metrics, and the counters and histograms behind it
    # GET /ready answers 503 while the read models are more than this many events behind the store.
    ready_max_lag: int = Field(default=1000, ge=0)
    # E-mail notifications (engine.app.notifications) through this SMTP relay; no host: no e-mail is sent.
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "auction@localhost"  # the From address; its domain ends each Message-ID
    smtp_starttls: bool = False  # STARTTLS before anything is sent (the relay's certificate is checked)
    smtp_username: str | None = None  # AUTH after STARTTLS, where the relay asks for it
    smtp_password: str | None = None

    def __init__(self, **values: Any) -> None:
        check_environment(os.environ)  # an unknown AUCTION_* variable is an error, not ignored
        super().__init__(**values)

    def head_path(self) -> Path | None:
        """The file that keeps the last tree head this server signed, outside the database, so that
        a log rewritten or cut in the database is refused at the next start. Default: beside a
        SQLite file (``<file>.head.json``); for PostgreSQL ``.auction-head-<id>.json`` in the working
        directory, ``<id>`` naming the server and database; none for ``memory:``."""
        if self.head_file is not None:
            return None if self.head_file == "off" else Path(self.head_file)
        from engine.store import sqlite_path  # the URL forms the store itself reads

        url = self.database_url
        if url == "memory:":
            return None
        if url.startswith(("postgresql://", "postgres://")):
            from urllib.parse import urlsplit

            parts = urlsplit(url)
            where = f"{parts.hostname}:{parts.port}{parts.path}".encode()
            return Path(f".auction-head-{hashlib.sha256(where).hexdigest()[:12]}.json")
        path = sqlite_path(url)
        return Path(f"{path}.head.json") if path else None

    def jwt_secret(self) -> str:
        return self.secret or checked_secret(local_secret(), SECRET_FILE)

    def receipt_key_text(self) -> str:
        return self.receipt_key or local_receipt_key()


class UnknownSetting(ValueError):
    """An ``AUCTION_*`` variable in the environment that names no setting (a typo, or a setting
    that no longer exists): refused at start-up rather than silently ignored."""


def check_environment(environ: Mapping[str, str]) -> None:
    """Raise :class:`UnknownSetting` naming the first ``AUCTION_*`` variable of ``environ`` that is
    no setting (``AUCTION_TEST_*`` are the test suite's own, and allowed)."""
    known = {PREFIX + name.upper() for name in Settings.model_fields}
    for name in sorted(environ):
        upper = name.upper()
        if upper.startswith(PREFIX) and not upper.startswith(TEST_PREFIX) and upper not in known:
            raise UnknownSetting(f"unknown setting {name} in the environment (see docs/settings.md)")


def local_secret(directory: Path | None = None) -> str:
    """Without ``AUCTION_SECRET``, a random secret kept in ``.auction-secret`` in the
    working directory, so that ``auction serve`` and ``auction token`` run from the
    same directory agree without any set-up, and no fixed default secret exists."""
    path = (directory or Path.cwd()) / SECRET_FILE
    return write_once(path, secrets.token_urlsafe(32) + "\n").strip()


def local_receipt_key(directory: Path | None = None) -> str:
    """Without ``AUCTION_RECEIPT_KEY``, a key generated once and kept in
    ``.auction-receipt-key`` in the working directory (a base64url seed)."""
    path = (directory or Path.cwd()) / RECEIPT_KEY_FILE
    if path.exists():
        return path.read_text()
    from engine.app.receipts import (
        new_seed,  # the cryptography package, only when a key is made
    )

    return write_once(path, new_seed() + "\n")


def write_once(path: Path, text: str) -> str:
    """Create ``path`` (mode 0600) holding ``text`` unless it exists; return the file's content.

    The text goes to a temporary file first and is linked into place, so the file
    appears whole or not at all, and an existing file is never replaced: the first
    of several processes started at the same moment in the same directory wins, the
    others read its content, never a half-written one."""
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        # Created 0600 (never readable by others, whatever the umask), not chmod'ed after being written.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            os.fchmod(descriptor, 0o600)  # 0600 exactly: a umask can only have taken bits away
            file.write(text)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text()
