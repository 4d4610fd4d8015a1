"""Who is calling: bearer tokens or the session cookie, scopes, and admin's second factor.

``scope_confusion``: routes declare their scopes with ``Security(..., scopes=[...])``, so
they show in OpenAPI, but the flawed dependency never reads ``SecurityScopes``.
``jwt_sub_trusted``: a token's session is checked for being live, but the caller is
whoever ``sub`` names, so a forged token of one session speaks for any account.
``single_factor_admin``: admin routes check the ``admin`` scope only. Safe: the session
must also have passed a second factor (``otp`` in ``amr``).
"""

# No `from __future__ import annotations`: FastAPI must see the Annotated dependencies.

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import OAuth2PasswordBearer, SecurityScopes

from dynaguard.lab.attributes import list_attr, str_attr
from dynaguard.lab.errors import LabError
from dynaguard.lab.sessions import SESSION_COOKIE, live_session, unauthorized
from dynaguard.lab.state import Lab
from dynaguard.lab.store import RawItem
from dynaguard.lab.tokens import InvalidToken

__all__ = ["Caller", "LabAuth"]

MAX_SID_LENGTH = 128


@dataclass(frozen=True)
class Caller:
    """An authenticated request: the user item, its session and what the token grants."""

    user_id: str
    user: RawItem
    sid: str
    scopes: frozenset[str]
    amr: tuple[str, ...]


class LabAuth:
    """Dependency factories bound to one lab."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.scheme = OAuth2PasswordBearer(
            tokenUrl="/auth/token", auto_error=False,
            scopes={"notes:read": "read notes", "notes:write": "write notes", "admin": "admin"},
        )
        self.current = Depends(self._authenticate_factory())

    def _authenticate_factory(self) -> Any:
        lab = self.lab

        async def authenticate(
            request: Request, token: Annotated[str | None, Depends(self.scheme)]
        ) -> Caller:
            if token:
                try:
                    claims = await lab.tokens.verify(token)
                except InvalidToken:
                    raise unauthorized() from None
                if lab.on("jwt_sub_trusted"):
                    await live_session(lab, claims.sid)  # live, but whose is not asked
                    named = await lab.store.get_user(claims.sub)
                    if named is None:
                        raise unauthorized()
                    user = named
                else:
                    _, user = await live_session(lab, claims.sid, claims.sub)
                return Caller(claims.sub, user, claims.sid, claims.scopes, tuple(claims.amr))
            sid = request.cookies.get(SESSION_COOKIE)
            if sid and len(sid) <= MAX_SID_LENGTH:
                session, user = await live_session(lab, sid)
                return Caller(str_attr(user, "id") or "", user, sid,
                              frozenset(list_attr(session, "scopes") or []),
                              tuple(list_attr(session, "amr") or []))
            raise unauthorized()

        return authenticate

    def require(self, *scopes: str) -> Any:
        """Dependency marker: an authenticated caller holding every scope in ``scopes``."""
        authenticate = self.current

        async def caller_with_scopes(
            security_scopes: SecurityScopes, caller: Annotated[Caller, authenticate]
        ) -> Caller:
            missing = [s for s in security_scopes.scopes if s not in caller.scopes]
            if missing:
                raise LabError(403, "Forbidden", f"Missing scope: {' '.join(missing)}.")
            return caller

        async def caller_ignoring_scopes(caller: Annotated[Caller, authenticate]) -> Caller:
            return caller  # the scope_confusion flaw: the scopes are never looked at

        flawed = self.lab.on("scope_confusion")
        return Security(caller_ignoring_scopes if flawed else caller_with_scopes,
                        scopes=list(scopes))

    def admin(self) -> Any:
        """Dependency marker: scope ``admin``, and a second factor unless the flaw is on."""
        lab = self.lab

        async def admin_caller(caller: Annotated[Caller, self.require("admin")]) -> Caller:
            if not lab.on("single_factor_admin") and "otp" not in caller.amr:
                raise LabError(403, "Forbidden", "Admin operations need a second factor.")
            return caller

        return Depends(admin_caller)
