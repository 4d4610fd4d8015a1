"""Verifying dynaguard access tokens in a resource server that does not share the table.

    verifier = TokenVerifier(issuer="https://auth.example", audience="dynaguard",
                             introspection=IntrospectionClient("notes-api", secret))
    claims = await verifier.verify(token)        # or, in FastAPI:
    async def route(claims: Annotated[VerifiedToken, Depends(verifier.require("notes:read"))])

Security-sensitive (CWE-347, CWE-613). Signatures are checked locally against the issuer's
JWKS (EdDSA only, ``kid`` from that set only, ``iss``/``aud``/``exp``/``nbf`` required).
The JWKS is cached for ``jwks_max_age`` seconds and fetched again, at most once a second,
when a token names a ``kid`` it does not hold (a key rotation). Signature checks alone
cannot see a logout or a disabled account before the token expires; with ``introspection``
set, each token is also confirmed by the issuer (RFC 7662), and that answer is reused for
at most ``cache_ttl`` seconds (never past the token's expiry) from a cache holding at most
``cache_size`` tokens. The issuer unreachable means no decision: ``VerifierUnavailable``
(HTTP 503 through ``require``), never acceptance.

This module uses PyJWT, cryptography, httpx and FastAPI, never the guard or DynamoDB.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import HTTPException, Request

__all__ = [
    "IntrospectionClient",
    "TokenRejected",
    "TokenVerifier",
    "VerifiedToken",
    "VerifierUnavailable",
]

ALGORITHM = "EdDSA"
TOKEN_TYPE = "at+jwt"  # noqa: S105 -- RFC 9068 media type, not a secret
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "nbf", "jti", "sid"]
MAX_TOKEN_LENGTH = 4096
MAX_KEYS = 16
JWKS_REFETCH_INTERVAL_S = 1.0


class TokenRejected(Exception):
    """The token is not valid here (bad, expired, revoked, or lacking a scope)."""


class VerifierUnavailable(Exception):
    """The issuer could not be reached or answered nonsense; nothing was decided."""


@dataclass(frozen=True)
class VerifiedToken:
    sub: str
    sid: str
    scopes: frozenset[str]
    exp: int
    claims: dict[str, Any]


@dataclass(frozen=True)
class IntrospectionClient:
    """The resource-server credential for the issuer's ``POST /auth/introspect``."""

    client_id: str
    client_secret: str = field(repr=False)


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenVerifier:
    def __init__(
        self, *, issuer: str, audience: str, base_url: str | None = None,
        introspection: IntrospectionClient | None = None, jwks_max_age: float = 300.0,
        cache_ttl: float = 5.0, cache_size: int = 1024, leeway: int = 5,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        """``base_url`` is where the issuer serves (default: ``issuer``)."""
        self.issuer = issuer
        self.audience = audience
        self.base_url = (base_url or issuer).rstrip("/")
        self.introspection = introspection
        self.jwks_max_age = jwks_max_age
        self.cache_ttl = cache_ttl
        self.cache_size = cache_size
        self.leeway = leeway
        self._http = http or httpx.AsyncClient(timeout=5.0)
        self._owns_http = http is None
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._fetched_at = float("-inf")  # when the last completed fetch started
        self._fetch_lock = asyncio.Lock()
        self._answers: OrderedDict[str, tuple[float, bool]] = OrderedDict()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def verify(self, token: str, scopes: frozenset[str] = frozenset()) -> VerifiedToken:
        """The token's claims if it is valid (and active, with introspection) and holds
        ``scopes``; TokenRejected otherwise."""
        verified = await self._verify_signature(token)
        if self.introspection is not None and not await self._active(token, verified.exp):
            raise TokenRejected("token is not active")
        if not scopes <= verified.scopes:
            raise TokenRejected("token lacks a required scope")
        return verified

    def require(self, *scopes: str) -> Callable[..., Awaitable[VerifiedToken]]:
        """A FastAPI dependency: 401 without a valid token, 403 without ``scopes``,
        503 when the issuer cannot be asked."""
        needed = frozenset(scopes)

        async def dependency(request: Request) -> VerifiedToken:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            challenge = {"WWW-Authenticate": "Bearer"}
            if scheme.lower() != "bearer" or not token:
                raise HTTPException(401, "Authentication failed", headers=challenge)
            try:
                verified = await self.verify(token.strip())
            except TokenRejected:
                raise HTTPException(401, "Authentication failed", headers=challenge) from None
            except VerifierUnavailable:
                raise HTTPException(503, "Token issuer unavailable",
                                    headers={"Retry-After": "1"}) from None
            if not needed <= verified.scopes:
                raise HTTPException(403, "Forbidden")
            return verified

        return dependency

    async def _verify_signature(self, token: str) -> VerifiedToken:
        if len(token) > MAX_TOKEN_LENGTH:
            raise TokenRejected("token too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRejected("malformed token") from None
        kid = header.get("kid")
        if (header.get("alg") != ALGORITHM or header.get("typ") != TOKEN_TYPE
                or FORBIDDEN_HEADERS & header.keys() or not isinstance(kid, str)
                or not 0 < len(kid) <= 64):
            raise TokenRejected("unacceptable token header")
        key = await self._key(kid)
        try:
            claims = jwt.decode(
                token, key, algorithms=[ALGORITHM], audience=self.audience, issuer=self.issuer,
                leeway=self.leeway, options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError:
            raise TokenRejected("invalid token") from None
        sub, sid, exp, scope = (claims.get(k) for k in ("sub", "sid", "exp", "scope"))
        if not (isinstance(sub, str) and isinstance(sid, str) and isinstance(exp, int)
                and isinstance(scope, str | None)):
            raise TokenRejected("invalid claims")
        return VerifiedToken(sub, sid, frozenset((scope or "").split()), exp, claims)

    async def _key(self, kid: str) -> Ed25519PublicKey:
        asked_at = time.monotonic()
        if asked_at - self._fetched_at > self.jwks_max_age or kid not in self._keys:
            await self._fetch_jwks(asked_at)
        key = self._keys.get(kid)
        if key is None:
            raise TokenRejected("unknown signing key")
        return key

    async def _fetch_jwks(self, asked_at: float) -> None:
        """Fetch the JWKS unless a fetch started after ``asked_at`` has completed; at most
        once per JWKS_REFETCH_INTERVAL_S however many requests ask."""
        async with self._fetch_lock:
            if self._fetched_at >= asked_at:
                return
            wait = self._fetched_at + JWKS_REFETCH_INTERVAL_S - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            started = time.monotonic()
            body = await self._get_json(f"{self.base_url}/.well-known/jwks.json")
            keys: dict[str, Ed25519PublicKey] = {}
            for jwk in body.get("keys", [])[:MAX_KEYS] if isinstance(body, dict) else []:
                if (isinstance(jwk, dict) and jwk.get("kty") == "OKP"
                        and jwk.get("crv") == "Ed25519" and isinstance(jwk.get("kid"), str)
                        and isinstance(jwk.get("x"), str)):
                    try:
                        keys[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(
                            _b64decode(jwk["x"]))
                    except ValueError:
                        continue
            self._keys = keys
            self._fetched_at = started

    async def _get_json(self, url: str) -> Any:
        try:
            response = await self._http.get(url)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise VerifierUnavailable(f"{url}: {type(error).__name__}") from None

    async def _active(self, token: str, exp: int) -> bool:
        assert self.introspection is not None  # noqa: S101 -- checked by the caller
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        cached = self._answers.get(digest)
        if cached is not None and cached[0] > now:
            self._answers.move_to_end(digest)
            return cached[1]
        client = self.introspection
        try:
            response = await self._http.post(
                f"{self.base_url}/auth/introspect", data={"token": token},
                auth=(client.client_id, client.client_secret),
            )
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise VerifierUnavailable(f"introspection: {type(error).__name__}") from None
        active = isinstance(body, dict) and body.get("active") is True
        keep = min(self.cache_ttl, max(0.0, exp - time.time()))
        if keep > 0:
            self._answers[digest] = (now + keep, active)
            self._answers.move_to_end(digest)
            while len(self._answers) > self.cache_size:
                self._answers.popitem(last=False)
        return active
