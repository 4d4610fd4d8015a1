"""The auth router: registration, login, tokens, sessions and the caller's profile."""

# No `from __future__ import annotations` here: FastAPI must see the route-local
# `Annotated` aliases as objects, not as names it cannot resolve.


from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from dynaguard.errors import NotFound
from dynaguard.guard.account_routes import ACCOUNT_PUBLIC_ROUTES
from dynaguard.guard.flows.login import Client, login
from dynaguard.guard.flows.refresh import refresh
from dynaguard.guard.flows.register import register
from dynaguard.guard.flows.unlock import unlock
from dynaguard.guard.flows.verify_email import verify_email
from dynaguard.guard.mfa.routes import MFA_PUBLIC_ROUTES
from dynaguard.guard.mfa.schemas import MfaRequiredBody
from dynaguard.guard.openapi import PROBLEM_RESPONSES, rate_limited
from dynaguard.guard.pages.routes import PAGE_PUBLIC_ROUTES
from dynaguard.guard.principal import Principal
from dynaguard.guard.schemas import (
    AcceptedBody,
    LoginBody,
    MeBody,
    RefreshBody,
    RegisterBody,
    SessionBody,
    TokenPairBody,
    VerifyEmailBody,
)
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import client_address
from dynaguard.guard.useragent import device_label

__all__ = ["PUBLIC_ROUTES", "build_auth_router"]

# Every route not listed here must demand a valid token (CWE-306); a test enforces it.
PUBLIC_ROUTES = frozenset({
    ("POST", "/auth/register"), ("POST", "/auth/verify-email"), ("POST", "/auth/login"),
    ("POST", "/auth/token"), ("POST", "/auth/refresh"), ("POST", "/auth/unlock"),
    ("GET", "/.well-known/jwks.json"),
    # Not bearer-protected: guarded by the resource-server credential (HTTP Basic) instead.
    ("POST", "/auth/introspect"),
}) | MFA_PUBLIC_ROUTES | ACCOUNT_PUBLIC_ROUTES | PAGE_PUBLIC_ROUTES
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def _client(request: Request, svc: Services) -> Client:
    address = client_address(request, svc.settings.trusted_proxies)
    return Client(address=address, user_agent=request.headers.get("user-agent", ""))


def build_auth_router(services: Any, current_user: Any) -> APIRouter:
    """The ``/auth`` routes; ``services`` returns the running Services, ``current_user``
    is the authentication dependency marker."""
    router = APIRouter(tags=["auth"], responses=PROBLEM_RESPONSES)
    Svc = Annotated[Services, Depends(services)]  # noqa: N806 -- a type alias
    User = Annotated[Principal, current_user]  # noqa: N806

    @router.post("/auth/register", status_code=202, response_model=AcceptedBody)
    async def register_route(body: RegisterBody, svc: Svc) -> AcceptedBody:
        """Create an account; the answer is the same whether or not the email exists."""
        await register(svc, body.email, body.password)
        return AcceptedBody()

    @router.post("/auth/verify-email", status_code=204, responses=rate_limited(204, 400))
    async def verify_email_route(body: VerifyEmailBody, request: Request, svc: Svc) -> Response:
        await verify_email(svc, body.token, _client(request, svc).address)
        return Response(status_code=204)

    @router.post("/auth/unlock", status_code=204)
    async def unlock_route(body: VerifyEmailBody, svc: Svc) -> Response:
        """Lift a sign-in lock with the token mailed to the account's owner."""
        await unlock(svc, body.token)
        return Response(status_code=204)

    @router.post("/auth/login", response_model=TokenPairBody | MfaRequiredBody,
                 responses=rate_limited(200, 401))
    async def login_route(body: LoginBody, request: Request, svc: Svc, response: Response) -> Any:
        scopes = body.scope.split() if body.scope is not None else None
        pair = await login(svc, body.email, body.password, _client(request, svc), scopes)
        response.headers.update(NO_STORE)
        return pair.body()

    @router.post("/auth/token", response_model=TokenPairBody | MfaRequiredBody,
                 responses=rate_limited(200, 401))
    async def token_route(
        form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, svc: Svc,
        response: Response,
    ) -> Any:
        """OAuth2 password grant, for Swagger's Authorize button and OAuth2 clients."""
        pair = await login(svc, form.username, form.password, _client(request, svc),
                           form.scopes or None)
        response.headers.update(NO_STORE)
        return pair.body()

    @router.post("/auth/refresh", response_model=TokenPairBody)
    async def refresh_route(body: RefreshBody, svc: Svc, response: Response) -> Any:
        """Exchange a refresh token for a new pair; a replayed token ends its session."""
        pair = await refresh(svc, body.refresh_token)
        response.headers.update(NO_STORE)
        return pair.body()

    @router.post("/auth/logout", status_code=204)
    async def logout_route(user: User, svc: Svc) -> Response:
        await svc.sessions.revoke(user.id, user.session.id)
        svc.session_cache.forget(user.session.id)
        await svc.audit.record("logout", user_id=user.id, sid=user.session.id)
        return Response(status_code=204)

    @router.post("/auth/logout-all", status_code=204)
    async def logout_all_route(user: User, svc: Svc) -> Response:
        """End every session of the account, this one included."""
        await svc.users.bump_credentials_version(user.id)
        await svc.account_sync.push(user.id)
        svc.session_cache.forget_user(user.id)
        await svc.audit.record("logout_all", user_id=user.id)
        return Response(status_code=204)

    @router.get("/auth/me", response_model=MeBody)
    async def me_route(user: User) -> MeBody:
        u = user.user
        return MeBody(id=u.id, email=u.email, email_verified=u.email_verified,
                      scopes=sorted(u.scopes), mfa_enabled=u.mfa_enabled,
                      created_at=_iso(u.created_at))

    @router.get("/auth/sessions", response_model=list[SessionBody])
    async def sessions_route(user: User, svc: Svc) -> list[SessionBody]:
        sessions = await svc.sessions.list_for_user(user.id)
        return [
            SessionBody(id=s.id, current=s.id == user.session.id, created_at=_iso(s.created_at),
                        last_used_at=_iso(s.last_used_at), device=device_label(s.user_agent),
                        user_agent=s.user_agent, address=s.address, scopes=s.scopes)
            for s in sessions
        ]

    @router.delete("/auth/sessions/{sid}", status_code=204)
    async def delete_session_route(sid: str, user: User, svc: Svc) -> Response:
        """End one of your own sessions; anyone else's is reported as not found."""
        session = await svc.sessions.get(user.id, sid[:64])
        if session is None or session.user_id != user.id or session.revoked:
            raise NotFound("No such session.")
        await svc.sessions.revoke(user.id, session.id)
        svc.session_cache.forget(session.id)
        await svc.audit.record("session_revoked", user_id=user.id, sid=session.id)
        return Response(status_code=204)

    @router.get("/.well-known/jwks.json", tags=["keys"])
    async def jwks_route(svc: Svc) -> dict[str, list[dict[str, str]]]:
        """Public keys that verify our access tokens."""
        return svc.tokens.ring.jwks()

    return router
