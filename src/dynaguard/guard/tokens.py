"""Access tokens (JWT, EdDSA) and opaque refresh tokens.

Security-sensitive (CWE-347): one algorithm, ``EdDSA``; the key comes from our ring by
``kid`` and nowhere else; headers that point elsewhere (``jku``, ``jwk``, ``x5u``,
``x5c``) are refused outright; ``iss``, ``aud``, ``exp``, ``nbf``, ``iat``, ``sub``,
``sid`` and ``jti`` are all required. A token that passes here is still only a claim:
the session check against DynamoDB (``deps``) decides.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Sequence

import jwt
from pydantic import BaseModel, ConfigDict, ValidationError

from dynaguard.errors import AuthenticationFailed, StoreError
from dynaguard.guard.keyring import ALGORITHM, KeyRing
from dynaguard.settings import Settings

__all__ = ["AccessClaims", "TokenService", "hash_token", "new_opaque_token", "unverified_header"]

TOKEN_TYPE = "at+jwt"  # noqa: S105 -- RFC 9068 media type, not a secret
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "nbf", "jti", "sid"]
MAX_TOKEN_LENGTH = 4096


def unverified_header(token: str) -> dict[str, object]:
    """The JOSE header of a compact JWT, decoded only to pick the key and refuse early.

    Nothing here is trusted: ``jwt.decode`` parses the whole token again, strictly, and
    checks the signature with the key chosen. This is the cheap first look (PyJWT's
    ``get_unverified_header`` costs about ten times more on the per-request path)."""
    head, dot, _ = token.partition(".")
    if not dot or not head:
        raise AuthenticationFailed
    try:
        raw = base64.b64decode(head.encode("ascii") + b"=" * (-len(head) % 4),
                               altchars=b"-_", validate=True)
        header = json.loads(raw)
    # UnicodeError and JSONDecodeError are ValueErrors; a header nested past the
    # interpreter's limit raises RecursionError.
    except (binascii.Error, ValueError, RecursionError):
        raise AuthenticationFailed from None
    if not isinstance(header, dict):
        raise AuthenticationFailed
    return header


def new_opaque_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of an opaque token."""
    return hashlib.sha256(token.encode()).hexdigest()


class AccessClaims(BaseModel):
    """The claims of a verified access token."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    sub: str
    sid: str
    jti: str
    scope: str = ""
    amr: list[str] = []
    exp: int
    iat: int

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())


class TokenService:
    def __init__(self, settings: Settings, ring: KeyRing) -> None:
        self.settings = settings
        self.ring = ring

    def issue_access(
        self, user_id: str, sid: str, scopes: Sequence[str], amr: Sequence[str]
    ) -> str:
        now = int(time.time())
        key = self.ring.signing_key()
        if key.private is None:
            raise StoreError("no usable signing key")
        claims = {
            "iss": self.settings.issuer, "aud": self.settings.audience, "sub": user_id,
            "iat": now, "nbf": now, "exp": now + self.settings.access_ttl,
            "jti": uuid.uuid4().hex, "sid": sid, "scope": " ".join(sorted(scopes)),
            "amr": list(amr),
        }
        return jwt.encode(claims, key.private, algorithm=ALGORITHM,
                          headers={"kid": key.kid, "typ": TOKEN_TYPE})

    async def verify_access(self, token: str) -> AccessClaims:
        """Verify signature and claims; any doubt is AuthenticationFailed."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthenticationFailed
        header = unverified_header(token)
        kid = header.get("kid")
        if (
            header.get("alg") != ALGORITHM
            or header.get("typ") != TOKEN_TYPE
            or FORBIDDEN_HEADERS & header.keys()
            or not isinstance(kid, str)
        ):
            raise AuthenticationFailed
        public = await self.ring.verification_key(kid)
        if public is None:
            raise AuthenticationFailed
        try:
            payload = jwt.decode(
                token, public, algorithms=[ALGORITHM], audience=self.settings.audience,
                issuer=self.settings.issuer, leeway=5,
                options={"require": REQUIRED_CLAIMS, "verify_signature": True},
            )
            return AccessClaims.model_validate(payload)
        except (jwt.PyJWTError, ValidationError):
            raise AuthenticationFailed from None
