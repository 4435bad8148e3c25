"""Signing in through an OpenID Connect identity provider, and reading the tokens it issues.

A court runs its own identity provider (Keycloak, an e-ID broker, Entra ID, ...): people sign in
there, and the provider says who they are and, through claims the court configures, which role
they have here and for which office they act. This module holds what the engine needs of it:

* the provider's metadata, read from its discovery document
  (``{issuer}/.well-known/openid-configuration``) at start-up, before the server serves
  (``api.bootstrap``: a document that cannot be read refuses the start, in one line);
* its signing keys, read from its JWKS through PyJWT's :class:`jwt.PyJWKClient`: a token signed
  with a key the cached set does not hold makes the set be read again (key rotation), at most once
  every :data:`REFRESH_AT_MOST_EVERY` seconds, so that made-up key ids cannot flood the provider;
* :meth:`OidcProvider.principal`, the role and office mapped from configurable claims, the same for
  the pages' sign-in and for API clients sending the provider's access tokens as bearer tokens;
* the authorization code flow with PKCE (``api.routes.signin``): :func:`pkce_pair`,
  :meth:`OidcProvider.authorization_url`, :meth:`OidcProvider.exchange` and
  :meth:`OidcProvider.logout_url`.

Everything here is synchronous and small: a token is read on the request path, and the provider is
only asked when a key is unknown (or at the first token), with a short timeout.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from api.auth import OFFICE_LIMIT, InvalidToken, Principal, Role, UnusableToken, is_text

log = logging.getLogger(__name__)

# The asymmetric algorithms a provider's token may use (never HS*: the key is public).
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
REFRESH_AT_MOST_EVERY = 10.0  # seconds between two reads of the JWKS for an unknown key id
JWKS_LIFESPAN = 300  # seconds the key set is kept before it is read again anyway
LEEWAY = 30  # seconds of clock difference allowed on exp, nbf and iat
REQUIRED_METADATA = ("authorization_endpoint", "token_endpoint", "jwks_uri")
PROVIDER_TIMEOUT = 3.0  # seconds for any request to the provider (on the request path: kept short)


class ProviderUnavailable(InvalidToken):
    """The identity provider could not be asked (its discovery document or keys)."""


@dataclass(frozen=True)
class ClaimMapping:
    """Which claims name the role, the office and the subject, and how the provider's role values
    read as this engine's roles.

    ``role_claim`` and ``office_claim`` are claim names; a name the token does not hold as such is
    read as a dotted path (``realm_access.roles``). The role claim may hold a text or a list; each
    value is looked up in ``role_map`` (the provider's value -> ``bidder``, ``bailiff`` or
    ``auditor``; the engine's role names always stand for themselves), and exactly one role must
    come out. ``default_role`` is given to a token that names none (citizens signing in with a
    national e-ID carry no role: they are bidders)."""

    role_claim: str = "role"
    office_claim: str = "office"
    subject_claim: str = "sub"
    role_map: Mapping[str, Role] = field(default_factory=dict)
    default_role: Role | None = None


def claim(claims: Mapping[str, Any], name: str) -> Any:
    """The claim ``name``, or the value at its dotted path; None when absent."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def parse_role_map(text: str | None) -> dict[str, Role]:
    """``"court-bailiff=bailiff,court-audit=auditor"`` as a mapping; ValueError naming a bad entry."""
    mapping: dict[str, Role] = {}
    for entry in (text or "").split(","):
        if not entry.strip():
            continue
        value, sep, role = entry.rpartition("=")
        if not sep or not value.strip():
            raise ValueError(f"role map entry {entry.strip()!r} is not provider-value=role")
        try:
            mapping[value.strip()] = Role(role.strip())
        except ValueError:
            raise ValueError(f"role map entry {entry.strip()!r}: {role.strip()!r} is no role") from None
    return mapping


def mapped_role(value: Any, mapping: ClaimMapping) -> Role:
    """The one engine role the role claim's value names (a text or a list of texts)."""
    values = value if isinstance(value, list) else [] if value is None else [value]
    roles = set()
    for item in values:
        if not isinstance(item, str):
            continue
        if item in mapping.role_map:
            roles.add(mapping.role_map[item])
        elif item in Role._value2member_map_:
            roles.add(Role(item))
    if not roles:
        if mapping.default_role is not None:
            return mapping.default_role
        raise InvalidToken(f"the token's {mapping.role_claim} claim names no role of this engine")
    if len(roles) > 1:
        names = ", ".join(sorted(role.value for role in roles))
        raise InvalidToken(f"the token's {mapping.role_claim} claim names several roles ({names}): it must name one")
    return roles.pop()


def principal_from_claims(claims: Mapping[str, Any], mapping: ClaimMapping) -> Principal:
    """The caller verified ``claims`` name, through ``mapping``."""
    subject = claim(claims, mapping.subject_claim)
    if not isinstance(subject, str) or not subject:
        raise InvalidToken(f"the token has no {mapping.subject_claim} claim")
    role = mapped_role(claim(claims, mapping.role_claim), mapping)
    office = claim(claims, mapping.office_claim)
    if isinstance(office, list) and len(office) == 1:
        office = office[0]
    if office is not None and (not isinstance(office, str) or not office.strip() or len(office) > OFFICE_LIMIT):
        raise InvalidToken(f"the token's {mapping.office_claim} claim must be a text of 1 to {OFFICE_LIMIT} characters")
    if not is_text(subject) or (office is not None and not is_text(office)):
        raise UnusableToken("the token's subject and office must be text (no lone UTF-16 surrogate)")
    return Principal(subject=subject, role=role, office=office)


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass(frozen=True)
class Tokens:
    """What the provider's token endpoint answered, the ID token verified."""

    access_token: str
    id_claims: dict[str, Any]
    principal: Principal
    expires_at: float


class OidcProvider:
    """One identity provider: its metadata and keys (read lazily, cached) and the client this engine is."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        audience: str | None = None,
        mapping: ClaimMapping | None = None,
        client_secret: str | None = None,
        scopes: str = "openid",
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.audience = audience or client_id
        self.mapping = mapping or ClaimMapping()
        self.client_secret = client_secret
        self.scopes = scopes if "openid" in scopes.split() else f"openid {scopes}"
        self._metadata: dict[str, Any] | None = None
        self._keys: jwt.PyJWKClient | None = None
        self._lock = threading.Lock()
        self._last_refresh = 0.0
        self._last_discovery_failure = float("-inf")

    # ------------------------------------------------------------ metadata and keys

    def metadata(self) -> dict[str, Any]:
        """The discovery document, read once (a failure is retried, at most every few seconds)."""
        if self._metadata is not None:
            return self._metadata
        with self._lock:
            if self._metadata is not None:
                return self._metadata
            if time.monotonic() - self._last_discovery_failure < REFRESH_AT_MOST_EVERY:
                raise ProviderUnavailable(f"the identity provider {self.issuer} could not be reached")
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            try:
                response = httpx.get(url, timeout=PROVIDER_TIMEOUT)
                if response.status_code != 200:  # said in one line (httpx's own message spans two)
                    raise ValueError(f"answered {response.status_code} {response.reason_phrase}")
                document = response.json()
            except (httpx.HTTPError, ValueError) as error:
                self._last_discovery_failure = time.monotonic()
                reason = str(error) or type(error).__name__
                raise ProviderUnavailable(f"the identity provider's discovery document {url}: {reason}") from None
            if not isinstance(document, dict) or document.get("issuer") != self.issuer:
                self._last_discovery_failure = time.monotonic()
                raise ProviderUnavailable(f"{url} names another issuer than {self.issuer}")
            lacking = [name for name in REQUIRED_METADATA if not isinstance(document.get(name), str)]
            if lacking:
                self._last_discovery_failure = time.monotonic()
                raise ProviderUnavailable(f"{url} names no {', '.join(lacking)}")
            self._keys = jwt.PyJWKClient(
                document["jwks_uri"], cache_keys=False, lifespan=JWKS_LIFESPAN, timeout=int(PROVIDER_TIMEOUT)
            )
            self._metadata = document
            return document

    def warm_up(self) -> None:
        """Read the discovery document and the keys ahead of the first token (at start-up, in a
        thread), so that no request waits for them; a provider out of reach is only logged."""
        try:
            self.metadata()
            assert self._keys is not None
            self._keys.get_signing_keys()
        except (InvalidToken, jwt.PyJWKClientError) as error:
            log.warning("the identity provider %s is not reachable yet: %s", self.issuer, error)
            self._last_discovery_failure = float("-inf")  # the first token asks again at once

    def signing_key(self, token: str) -> jwt.PyJWK:
        """The provider's key that signed ``token``, by its ``kid``: from the cached key set, else
        from the set read again (a rotated key), at most every :data:`REFRESH_AT_MOST_EVERY` seconds."""
        self.metadata()
        assert self._keys is not None
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None
        try:
            key = _find(self._keys.get_signing_keys(), kid)
            if key is None and time.monotonic() - self._last_refresh >= REFRESH_AT_MOST_EVERY:
                self._last_refresh = time.monotonic()
                key = _find(self._keys.get_signing_keys(refresh=True), kid)
        except jwt.PyJWKClientConnectionError as error:
            raise ProviderUnavailable(f"the identity provider's keys could not be read: {error}") from None
        except jwt.PyJWKClientError as error:
            raise InvalidToken(f"the identity provider's keys: {error}") from None
        if key is None:
            raise InvalidToken(f"the token is signed with a key the identity provider does not publish ({kid!r})")
        return key

    def claims(self, token: str, audience: str) -> dict[str, Any]:
        """``token``'s claims once its signature (through the JWKS), issuer, audience and times check out."""
        key = self.signing_key(token)
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=audience,
                issuer=self.issuer,
                leeway=LEEWAY,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None

    def principal(self, token: str) -> tuple[Principal, float]:
        """The caller an access token (a bearer token of an API client or of the pages) names, and its expiry."""
        claims = self.claims(token, self.audience)
        return principal_from_claims(claims, self.mapping), float(claims["exp"])

    def issued(self, token: str) -> bool:
        """Whether ``token`` (unverified) says it comes from this provider: such tokens are read here."""
        try:
            header = jwt.get_unverified_header(token)
            payload = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return False
        return header.get("alg") in ALGORITHMS and payload.get("iss") == self.issuer

    # ------------------------------------------------------------ the code flow

    def authorization_url(self, redirect_uri: str, state: str, nonce: str, challenge: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.metadata()['authorization_endpoint']}?{urlencode(query)}"

    def exchange(self, code: str, redirect_uri: str, verifier: str, nonce: str) -> Tokens:
        """The code exchanged at the token endpoint (server to server, with the PKCE verifier and,
        for a confidential client, its secret); the ID token checked (signature, audience, nonce)
        and the access token read as every bearer token is."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        form["code_verifier"] = verifier
        auth: tuple[str, str] | None = None
        if self.client_secret:
            auth = (self.client_id, self.client_secret)
        else:
            form["client_id"] = self.client_id
        try:
            response = httpx.post(self.metadata()["token_endpoint"], data=form, auth=auth, timeout=PROVIDER_TIMEOUT)
        except httpx.HTTPError as error:
            raise ProviderUnavailable(f"the identity provider's token endpoint: {error}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code != 200 or not isinstance(answer, dict):
            reason = answer.get("error_description") or answer.get("error") if isinstance(answer, dict) else None
            raise InvalidToken(f"the identity provider refused the code: {reason or response.status_code}")
        access, id_token = answer.get("access_token"), answer.get("id_token")
        if not isinstance(access, str) or not isinstance(id_token, str):
            raise InvalidToken("the identity provider's answer has no access token and ID token")
        id_claims = self.claims(id_token, self.client_id)
        if id_claims.get("nonce") != nonce:
            raise InvalidToken("the ID token's nonce is not the one this sign-in sent")
        principal, expires = self.principal(access)
        return Tokens(access_token=access, id_claims=id_claims, principal=principal, expires_at=expires)

    def logout_url(self, post_logout_redirect_uri: str) -> str | None:
        """RP-initiated logout at the provider (its ``end_session_endpoint``), naming the client rather
        than sending the ID token (a token never goes into a URL); None if the provider has none."""
        endpoint = self.metadata().get("end_session_endpoint")
        if not endpoint:
            return None
        query = {"client_id": self.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        return f"{endpoint}?{urlencode(query)}"


def _find(keys: list[jwt.PyJWK], kid: object) -> jwt.PyJWK | None:
    for key in keys:
        if key.key_id == kid or (kid is None and len(keys) == 1):
            return key
    return None


def provider_from_settings(settings: Any) -> OidcProvider | None:
    """The provider the settings name (``AUCTION_OIDC_*``), or None when no issuer is set."""
    if not settings.oidc_issuer:
        return None
    mapping = ClaimMapping(
        role_claim=settings.oidc_role_claim,
        office_claim=settings.oidc_office_claim,
        subject_claim=settings.oidc_subject_claim,
        role_map=parse_role_map(settings.oidc_role_map),
        default_role=Role(settings.oidc_default_role) if settings.oidc_default_role else None,
    )
    return OidcProvider(
        settings.oidc_issuer,
        settings.oidc_client_id,
        audience=settings.oidc_audience,
        mapping=mapping,
        client_secret=settings.oidc_client_secret,
        scopes=settings.oidc_scopes,
    )
