"""Bearer tokens: JWTs carrying ``sub`` and ``role``, and optionally ``office``.

``office`` names the official's office (a bailiff's court or chamber); every official act
records it with the official's subject.

Three kinds of token are read. In production, the access tokens of the court's OpenID Connect
identity provider (``AUCTION_OIDC_ISSUER``), checked against its published keys (JWKS) and mapped
to a role and an office by configurable claims (``api.oidc``). For development and tests, HS256
tokens signed with the shared secret (``auction token`` issues these). And, where a PEM public key
is configured (``AUCTION_JWT_PUBLIC_KEY``), tokens an outside issuer signs with its private key.

A token signed with another secret is refused saying so, and how the secret is shared
(``auction token`` run elsewhere signs with that directory's ``.auction-secret``). A
verified token whose subject or office is not text (a lone UTF-16 surrogate, which JSON
can write but no store can hold) is :class:`UnusableToken`, which ``api.limits`` answers as
the request's content: 422 ``invalid_subject``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING

import jwt

if TYPE_CHECKING:
    from jwt.types import Options

    from api.oidc import OidcProvider


class Role(str, Enum):
    BIDDER = "bidder"
    BAILIFF = "bailiff"
    AUDITOR = "auditor"


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    office: str | None = None  # the official's office, where the token names one


class InvalidToken(Exception):
    pass


class UnusableToken(InvalidToken):
    """A token that verifies but names a subject (or office) that is not text: the request's
    content is wrong, not its credentials (api.limits answers 422 ``invalid_subject``)."""


WRONG_SECRET = (
    "the token's signature does not match this server's secret: make the token with the server's secret"
    " (the same AUCTION_SECRET, or run auction token in the directory holding the server's .auction-secret file)"
)


def is_text(value: str) -> bool:
    """False for a string holding a lone UTF-16 surrogate (JSON's "\\ud800"), which is no Unicode text."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


ASYMMETRIC = ["RS256", "ES256", "EdDSA"]


OFFICE_LIMIT = 200  # characters


def issue_token(
    secret: str, role: Role | str, subject: str, ttl: timedelta = timedelta(hours=12), office: str | None = None
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, object] = {"sub": subject, "role": Role(role).value, "iat": now, "exp": now + ttl}
    if office is not None:
        claims["office"] = office
    return jwt.encode(claims, secret, algorithm="HS256")


def read_token(
    token: str, secret: str, public_key: str | None = None, audience: str | None = None, now: float | None = None
) -> Principal:
    """The caller a token names, once its signature, claims and expiry check out.

    A bidder sends the same token with every bid, and verifying it is a good part of
    a bid's cost: a token that verified once is remembered (with its expiry, checked
    again on every use) for as long as it stays among the most recent ones."""
    principal, expires = _verified(token, secret, public_key, audience)
    if (time.time() if now is None else now) >= expires:
        raise InvalidToken("Signature has expired")
    return principal


@dataclass(frozen=True)
class TokenReader:
    """How this server reads tokens: its secret, an identity provider's key if configured, and
    the OpenID Connect provider's tokens (those naming its issuer) when one is configured."""

    secret: str
    public_key: str | None = None
    audience: str | None = None
    oidc: OidcProvider | None = None

    def read(self, token: str) -> Principal:
        if self.oidc is not None:
            issuer, alg = _unverified_issuer(token)
            if issuer == self.oidc.issuer:  # read only as the provider signs: never with a shared secret or none
                if not self.oidc.issued(token):
                    raise InvalidToken(
                        f"the token names the identity provider {issuer} as its issuer but is signed with {alg!r},"
                        " an algorithm the provider's tokens are not signed with"
                    )
                return read_provider_token(self.oidc, token)
            if issuer is not None and alg != "HS256" and not (self.public_key and alg in ASYMMETRIC):
                raise InvalidToken(
                    f"the token's issuer {issuer!r} is not this server's identity provider ({self.oidc.issuer})"
                )
        return read_token(token, self.secret, self.public_key, self.audience)


def _unverified_issuer(token: str) -> tuple[object, object]:
    """The ``iss`` claim and ``alg`` header a token says it has (not verified); Nones if unreadable."""
    try:
        alg = jwt.get_unverified_header(token).get("alg")
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return None, None
    return issuer, alg


_provider_tokens: dict[tuple[OidcProvider, str], tuple[Principal, float]] = {}


def read_provider_token(provider: OidcProvider, token: str, now: float | None = None) -> Principal:
    """An identity provider's token read through its JWKS (``api.oidc``); remembered as
    :func:`read_token` remembers, its expiry checked again on every use."""
    key = (provider, token)
    found = _provider_tokens.get(key)
    if found is None:
        found = provider.principal(token)
        if len(_provider_tokens) >= _CACHED_TOKENS:
            _provider_tokens.clear()
        _provider_tokens[key] = found
    principal, expires = found
    if (time.time() if now is None else now) >= expires:
        raise InvalidToken("Signature has expired")
    return principal


_CACHED_TOKENS = 10_000


@lru_cache(maxsize=_CACHED_TOKENS)
def _verified(token: str, secret: str, public_key: str | None, audience: str | None) -> tuple[Principal, float]:
    """Verify ``token`` (only successes are cached: an exception is never remembered)."""
    options: Options = {"require": ["sub", "role", "exp"]}
    try:
        header = jwt.get_unverified_header(token)
        if public_key and header.get("alg") in ASYMMETRIC:
            claims = jwt.decode(token, public_key, algorithms=ASYMMETRIC, audience=audience, options=options)
        else:
            claims = jwt.decode(token, secret, algorithms=["HS256"], audience=audience, options=options)
    except jwt.InvalidSignatureError:
        raise InvalidToken(WRONG_SECRET) from None
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    try:
        role = Role(claims["role"])
    except ValueError:
        raise InvalidToken(f"unknown role {claims['role']!r}") from None
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("empty subject")
    office = claims.get("office")
    if office is not None and (not isinstance(office, str) or not office.strip() or len(office) > OFFICE_LIMIT):
        raise InvalidToken(f"office must be a text of 1 to {OFFICE_LIMIT} characters")
    if not is_text(subject) or (office is not None and not is_text(office)):
        raise UnusableToken("the token's subject and office must be text (no lone UTF-16 surrogate)")
    return Principal(subject=subject, role=role, office=office), float(claims["exp"])
