"""``current_user``: the dependency that authenticates a request.

Security-sensitive (CWE-287, CWE-613): the JWT is checked strictly, then the session is
read, one item in one consistent DynamoDB round trip. The session carries a copy of its
account's state that every change of the account corrects or revokes before the change
is acknowledged (the invariant and its race argument: ``store.account_sync``), so logout,
logout-all, a password change, a removed scope or a disabled account take effect on the
very next request. A corrupt item is a deny. Scopes are enforced here and declared to
OpenAPI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import Depends, Security
from fastapi.security import OAuth2PasswordBearer, SecurityScopes

from dynaguard.errors import AuthenticationFailed, CorruptItem, PermissionDenied
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
            session = await svc.session_cache.state(claims.sub, claims.sid)
        except CorruptItem:
            raise AuthenticationFailed from None
        if session is None or not session.is_live(claims.sub, claims.sid):
            raise AuthenticationFailed
        # A scope counts only while the token and its session both hold it; the session's
        # scopes are narrowed to the account's whenever one is taken away.
        effective = claims.scopes & set(session.scopes) & set(session.account.scopes)
        if not set(security_scopes.scopes) <= effective:
            raise PermissionDenied("The token lacks a required scope.")
        return Principal(user=session.account, session=session, claims=claims)

    return authenticate


def require(dependency: Callable[..., Awaitable[Principal]], scopes: Sequence[str]) -> Any:
    """A ``Security`` marker for ``dependency`` demanding ``scopes``."""
    return Security(dependency, scopes=list(scopes))
