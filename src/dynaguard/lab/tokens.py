"""Access tokens of the lab: HS256 JWTs, verified carefully or in one of five flawed ways.

    jwt_no_verify      jwt.decode(..., options={"verify_signature": False})
    jwt_alg_none       a header saying alg=none skips the signature ("internal tokens")
    jwt_weak_secret    the HMAC secret is the dictionary word ``secret``
    jwt_no_exp         tokens are issued without exp, and exp is not required
    jwt_no_aud         aud is not checked, so tokens for the sibling reports API work here
    long_lived_tokens  30-day access tokens

Keys picked by the token's header (jwt_alg_confusion, jwt_kid_injection, jwt_jku_trust)
live in ``header_keys.py``; ``verify`` sends a token there only when one of them applies.

Safe: a 256-bit random secret, one algorithm (HS256), and iss, aud, exp, iat, sub and sid
all required and checked. A token is still only a claim: the session check decides.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence

import jwt
from pydantic import BaseModel, ConfigDict, ValidationError

from dynaguard.lab.header_keys import HeaderKeys, KeyRefused
from dynaguard.settings import Settings

__all__ = ["REPORTS_AUDIENCE", "WEAK_SECRET", "AccessClaims", "InvalidToken", "LabTokens"]

ALGORITHM = "HS256"
WEAK_SECRET = "secret"  # noqa: S105 -- the jwt_weak_secret flaw, on purpose
REPORTS_AUDIENCE = "dynaguard-lab-reports"
LONG_ACCESS_TTL = 30 * 86_400
MFA_TTL = 300
MAX_TOKEN_LENGTH = 4096


class InvalidToken(Exception):
    """A token the lab does not accept."""


class AccessClaims(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    sub: str
    sid: str
    scope: str = ""
    amr: list[str] = []

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())


class LabTokens:
    def __init__(self, settings: Settings, flaws: frozenset[str],
                 clock: Callable[[], float]) -> None:
        self.settings = settings
        self.flaws = flaws
        self.clock = clock
        self.secret = WEAK_SECRET if "jwt_weak_secret" in flaws else secrets.token_urlsafe(32)
        self.audiences = (settings.audience, REPORTS_AUDIENCE)
        self.header_keys = HeaderKeys(flaws, self.secret)

    @property
    def access_ttl(self) -> int:
        return LONG_ACCESS_TTL if "long_lived_tokens" in self.flaws else self.settings.access_ttl

    def issue_access(self, user_id: str, sid: str, scopes: Sequence[str], amr: Sequence[str],
                     audience: str | None = None) -> str:
        now = int(self.clock())
        claims: dict[str, object] = {
            "iss": self.settings.issuer, "aud": audience or self.settings.audience,
            "sub": user_id, "sid": sid, "scope": " ".join(sorted(scopes)), "amr": list(amr),
            "iat": now, "jti": uuid.uuid4().hex,
        }
        if "jwt_no_exp" not in self.flaws:
            claims["exp"] = now + self.access_ttl
        kid = self.header_keys.issue_kid
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM,
                          headers={"kid": kid} if kid else None)

    async def verify(self, token: str) -> AccessClaims:
        """``verify_access``, unless the header picks the key through a flaw that is on."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken from None
        unsigned_ok = "jwt_no_verify" in self.flaws or (
            "jwt_alg_none" in self.flaws and str(header.get("alg", "")).lower() == "none")
        if unsigned_ok or not self.header_keys.applies(header):
            return self.verify_access(token)
        try:
            await self.header_keys.verify_signature(token, header)
            options = {**self._claim_options(), "verify_signature": False, "verify_exp": True,
                       "verify_iat": True, "verify_iss": True}
            return AccessClaims.model_validate(jwt.decode(
                token, options=options, audience=self.settings.audience,  # type: ignore[arg-type]
                issuer=self.settings.issuer, leeway=5))
        except (KeyRefused, jwt.PyJWTError, ValidationError):
            raise InvalidToken from None

    def _claim_options(self) -> dict[str, object]:
        required = ["iss", "aud", "exp", "iat", "sub", "sid"]
        if "jwt_no_exp" in self.flaws:
            required.remove("exp")
        return {"require": required, "verify_aud": "jwt_no_aud" not in self.flaws}

    def verify_access(self, token: str) -> AccessClaims:
        """The claims of an acceptable access token, or InvalidToken."""
        try:
            return AccessClaims.model_validate(self._decode(token))
        except (jwt.PyJWTError, ValidationError):
            raise InvalidToken from None

    def _decode(self, token: str) -> dict[str, object]:
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken
        if "jwt_no_verify" in self.flaws:
            return jwt.decode(token, options={"verify_signature": False})
        header = jwt.get_unverified_header(token)
        if "jwt_alg_none" in self.flaws and str(header.get("alg", "")).lower() == "none":
            # "Unsigned tokens come from our own services, no need to verify them."
            return jwt.decode(token, options={"verify_signature": False})
        return jwt.decode(token, self.secret, algorithms=[ALGORITHM],
                          options=self._claim_options(),  # type: ignore[arg-type]
                          audience=self.settings.audience, issuer=self.settings.issuer, leeway=5)

    def issue_mfa(self, user_id: str) -> str:
        """A five-minute token that stands for "password checked, second factor due"."""
        now = int(self.clock())
        claims = {"iss": self.settings.issuer, "aud": self._mfa_audience, "sub": user_id,
                  "iat": now, "exp": now + MFA_TTL}
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def verify_mfa(self, token: str) -> str:
        """The user id of a valid MFA token, or InvalidToken."""
        try:
            claims = jwt.decode(token[:MAX_TOKEN_LENGTH], self.secret, algorithms=[ALGORITHM],
                                audience=self._mfa_audience, issuer=self.settings.issuer,
                                options={"require": ["exp", "sub"]})
        except jwt.PyJWTError:
            raise InvalidToken from None
        return str(claims["sub"])

    @property
    def _mfa_audience(self) -> str:
        return f"{self.settings.audience}:mfa"
