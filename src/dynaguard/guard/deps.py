"""``current_user``: the dependency that authenticates a request.

Security-sensitive (CWE-287, CWE-613): the JWT is checked strictly, then the session and
user are read in one consistent DynamoDB round trip, so logout, logout-all, a password
change or a disabled account take effect on the very next request. A corrupt item is a
deny. Scopes are enforced here and declared to OpenAPI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import Depends, Security
from fastapi.security import OAuth2PasswordBearer, SecurityScopes

from dynaguard.errors import AuthenticationFailed, CorruptItem, PermissionDenied
from dynaguard.guard.flows.refresh import session_is_live
from dynaguard.guard.principal import Principal
from dynaguard.guard.services import Services

__all__ = ["KNOWN_SCOPES", "authenticator", "bearer_scheme"]

KNOWN_SCOPES = {
    "notes:read": "Read your notes",
    "notes:write": "Create and delete your notes",
    "admin": "Administer users (needs a second factor)",
}


def bearer_scheme(token_url: str) -> OAuth2PasswordBearer:
    return OAuth2PasswordBearer(tokenUrl=token_url, scopes=KNOWN_SCOPES, auto_error=False)


def authenticator(
    services: Callable[[], Services], scheme: OAuth2PasswordBearer
) -> Callable[..., Awaitable[Principal]]:
    """Build the dependency that turns a bearer token into a verified :class:`Principal`."""

    async def authenticate(
        security_scopes: SecurityScopes, token: str | None = Depends(scheme)
    ) -> Principal:
        if not token:
            raise AuthenticationFailed
        svc = services()
        claims = await svc.tokens.verify_access(token)
        try:
            session, user = await svc.session_cache.get_with_user(claims.sid, claims.sub)
        except CorruptItem:
            raise AuthenticationFailed from None
        if session is None or user is None or not session_is_live(session, user):
            raise AuthenticationFailed
        # A scope counts only while the token, its session and the account all hold it,
        # so a scope taken away from a user is gone on the next request.
        effective = claims.scopes & set(session.scopes) & set(user.scopes)
        if not set(security_scopes.scopes) <= effective:
            raise PermissionDenied("The token lacks a required scope.")
        return Principal(user=user, session=session, claims=claims)

    return authenticate


def require(dependency: Callable[..., Awaitable[Principal]], scopes: Sequence[str]) -> Any:
    """A ``Security`` marker for ``dependency`` demanding ``scopes``."""
    return Security(dependency, scopes=list(scopes))
