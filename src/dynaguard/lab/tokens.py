"""Access tokens of the lab: HS256 JWTs, verified carefully or in one of five flawed ways.

    jwt_no_verify      jwt.decode(..., options={"verify_signature": False})
    jwt_alg_none       a header saying alg=none skips the signature ("internal tokens")
    jwt_weak_secret    the HMAC secret is the dictionary word ``secret``
    jwt_no_exp         tokens are issued without exp, and exp is not required
    jwt_no_aud         aud is not checked, so tokens for the sibling reports API work here
    long_lived_tokens  30-day access tokens

Safe: a 256-bit random secret, one algorithm (HS256), and iss, aud, exp, iat, sub and sid
all required and checked. A token is still only a claim: the session check decides.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence

import jwt
from pydantic import BaseModel, ConfigDict, ValidationError

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
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

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
        required = ["iss", "aud", "exp", "iat", "sub", "sid"]
        options: dict[str, object] = {"require": required}
        if "jwt_no_exp" in self.flaws:
            options["require"] = [claim for claim in required if claim != "exp"]
        if "jwt_no_aud" in self.flaws:
            options["verify_aud"] = False
        return jwt.decode(token, self.secret, algorithms=[ALGORITHM], options=options,  # type: ignore[arg-type]
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
