"""The ``/admin`` routes: users, sessions, scopes and the audit log.

Security-sensitive (CWE-306, CWE-308): every route needs the ``admin`` scope *and* a
token whose ``amr`` shows a second factor (TOTP, recovery code or passkey). A token with
the scope but only a password gets 403, like a token without the scope.
"""

# No `from __future__ import annotations`: FastAPI must see the `Annotated` aliases.

import base64
import binascii
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AwareDatetime, BaseModel

from dynaguard.errors import Conflict, InvalidRequest, PermissionDenied
from dynaguard.guard import admin
from dynaguard.guard.openapi import PROBLEM_RESPONSES
from dynaguard.guard.principal import Principal
from dynaguard.guard.schemas import SessionBody
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import client_address
from dynaguard.guard.useragent import device_label
from dynaguard.store.items import AuditItem, SessionItem, UserItem

__all__ = ["build_admin_router"]

MAX_AUDIT_DAYS = 31
ScopeParam = Annotated[str, Path(pattern=admin.SCOPE_PATTERN)]
UserId = Annotated[str, Path(max_length=64)]


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


class AdminUserBody(BaseModel):
    id: str
    email: str
    enabled: bool
    email_verified: bool
    mfa_enabled: bool
    scopes: list[str]
    created_at: str

    @classmethod
    def of(cls, user: UserItem) -> "AdminUserBody":
        return cls(id=user.id, email=user.email, enabled=user.enabled,
                   email_verified=user.email_verified, mfa_enabled=user.mfa_enabled,
                   scopes=sorted(user.scopes), created_at=_iso(user.created_at))


class UserListBody(BaseModel):
    users: list[AdminUserBody]
    next_cursor: str | None


class UserDetailBody(AdminUserBody):
    sessions: list[SessionBody]


class AuditRecordBody(BaseModel):
    event: str
    user_id: str
    address: str
    at: str
    detail: dict[str, str]

    @classmethod
    def of(cls, item: AuditItem) -> "AuditRecordBody":
        return cls(event=item.event, user_id=item.user_id, address=item.address,
                   at=_iso(item.at), detail=item.detail)


def _session_body(session: SessionItem) -> SessionBody:
    return SessionBody(id=session.id, current=False, created_at=_iso(session.created_at),
                       last_used_at=_iso(session.last_used_at),
                       device=device_label(session.user_agent), user_agent=session.user_agent,
                       address=session.address, scopes=session.scopes)


def _cursor(after: tuple[str, str] | None) -> str | None:
    if after is None:
        return None
    return base64.urlsafe_b64encode("\n".join(after).encode()).decode()


def _after(cursor: str | None) -> tuple[str, str] | None:
    if not cursor:
        return None
    try:
        user_id, email = base64.urlsafe_b64decode(cursor.encode()).decode().split("\n")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidRequest("The cursor is not one this service gave out.") from None
    if not re.fullmatch(r"[0-9a-f]{32}", user_id) or not 0 < len(email) <= 320:
        raise InvalidRequest("The cursor is not one this service gave out.")
    return user_id, email


def build_admin_router(services: Any, admin_user: Any) -> APIRouter:
    """``admin_user`` is the authentication marker demanding the ``admin`` scope."""
    router = APIRouter(prefix="/admin", tags=["admin"], responses=PROBLEM_RESPONSES)
    Svc = Annotated[Services, Depends(services)]  # noqa: N806 -- a type alias

    async def administrator(principal: Annotated[Principal, admin_user]) -> Principal:
        if not admin.has_second_factor(principal.claims.amr):
            raise PermissionDenied("Administration needs a sign-in with a second factor.")
        return principal

    Admin = Annotated[Principal, Depends(administrator)]  # noqa: N806

    def actor(principal: Principal) -> str:
        return f"user:{principal.id}"

    def address(request: Request, svc: Services) -> str:
        return client_address(request, svc.settings.trusted_proxies)

    @router.get("/users", response_model=UserListBody)
    async def list_users(
        _: Admin, svc: Svc,
        email_prefix: Annotated[str, Query(max_length=320)] = "",
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
        cursor: Annotated[str | None, Query(max_length=1024)] = None,
    ) -> UserListBody:
        """Users in email order, optionally only those whose email starts with a prefix."""
        page = await admin.directory(svc).search(email_prefix.strip().lower(), limit=limit,
                                                 after=_after(cursor))
        return UserListBody(users=[AdminUserBody.of(u) for u in page.users],
                            next_cursor=_cursor(page.after))

    @router.get("/users/{user_id}", response_model=UserDetailBody)
    async def get_user(user_id: UserId, _: Admin, svc: Svc) -> UserDetailBody:
        """One user with their live sessions."""
        user = await admin.get_user(svc, user_id)
        sessions = await svc.sessions.list_for_user(user.id)
        return UserDetailBody(**AdminUserBody.of(user).model_dump(),
                              sessions=[_session_body(s) for s in sessions])

    @router.post("/users/{user_id}/disable", status_code=204)
    async def disable_user(user_id: UserId, principal: Admin, svc: Svc, request: Request) -> None:
        """Refuse the user's logins and end every session they have, at once."""
        if user_id == principal.id:
            raise Conflict("Administrators cannot disable their own account.")
        await admin.disable_user(svc, user_id, actor=actor(principal),
                                 address=address(request, svc))

    @router.post("/users/{user_id}/enable", status_code=204)
    async def enable_user(user_id: UserId, principal: Admin, svc: Svc, request: Request) -> None:
        """Allow the user to log in again (their old sessions stay ended)."""
        await admin.enable_user(svc, user_id, actor=actor(principal),
                                address=address(request, svc))

    @router.post("/users/{user_id}/revoke-sessions", status_code=204)
    async def revoke_sessions(
        user_id: UserId, principal: Admin, svc: Svc, request: Request
    ) -> None:
        """End every session of the user."""
        await admin.revoke_user_sessions(svc, user_id, actor=actor(principal),
                                         address=address(request, svc))

    @router.put("/users/{user_id}/scopes/{scope}", response_model=AdminUserBody)
    async def grant_scope(
        user_id: UserId, scope: ScopeParam, principal: Admin, svc: Svc, request: Request
    ) -> AdminUserBody:
        """Grant a scope (idempotent); the user's next login carries it."""
        await admin.grant_scope(svc, user_id, scope, actor=actor(principal),
                                address=address(request, svc))
        return AdminUserBody.of(await admin.get_user(svc, user_id))

    @router.delete("/users/{user_id}/scopes/{scope}", response_model=AdminUserBody)
    async def remove_scope(
        user_id: UserId, scope: ScopeParam, principal: Admin, svc: Svc, request: Request
    ) -> AdminUserBody:
        """Remove a scope (idempotent); tokens already issued lose it on their next request."""
        if user_id == principal.id and scope == "admin":
            raise Conflict("Administrators cannot remove their own admin scope.")
        await admin.remove_scope(svc, user_id, scope, actor=actor(principal),
                                 address=address(request, svc))
        return AdminUserBody.of(await admin.get_user(svc, user_id))

    @router.get("/audit", response_model=list[AuditRecordBody])
    async def audit_log(
        _: Admin, svc: Svc,
        user_id: Annotated[str | None, Query(max_length=64)] = None,
        since: AwareDatetime | None = None,
        until: AwareDatetime | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[AuditRecordBody]:
        """Audit records, newest first: of one user (any span), or of everyone (up to
        31 days; the last day by default)."""
        end = until.timestamp() if until else time.time()
        if user_id:
            start = since.timestamp() if since else 0.0
            items = await svc.audit.for_user(user_id, since=start, until=end, limit=limit)
        else:
            start = since.timestamp() if since else end - 86_400
            if end - start > timedelta(days=MAX_AUDIT_DAYS).total_seconds():
                raise InvalidRequest(f"Ask for at most {MAX_AUDIT_DAYS} days without user_id.")
            items = await svc.audit.between(start, end, limit=limit)
        return [AuditRecordBody.of(i) for i in items]

    return router
