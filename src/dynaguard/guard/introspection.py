"""Token introspection (RFC 7662): ``POST /auth/introspect`` for resource servers that do
not share the table.

Security-sensitive. The caller is a resource server authenticating with the one client
credential configured in settings (``DYNAGUARD_INTROSPECTION_CLIENT_ID`` / ``_SECRET``), sent
as HTTP Basic (RFC 6749 2.3.1); id and secret are compared in constant time, a wrong
credential is throttled per address like a wrong password, and with no credential
configured every call is refused. A token is *active* only if it passes exactly what a
request to the guard must pass: signature and claims, then its session and account read
consistently from DynamoDB (never the micro-cache). Anything else (expired, logged out,
revoked, disabled, a refresh token, garbage) is ``{"active": false}`` and nothing more.
"""

# No `from __future__ import annotations`: FastAPI must see the `Annotated` aliases.

import base64
import binascii
import hashlib
import hmac
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Form, Request, Response

from dynaguard.errors import AuthenticationFailed, ClientAuthenticationFailed, CorruptItem
from dynaguard.guard.flows.refresh import session_is_live
from dynaguard.guard.openapi import PROBLEM_RESPONSES, rate_limited
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import Attempt, client_address
from dynaguard.guard.tokens import MAX_TOKEN_LENGTH
from dynaguard.settings import Settings

__all__ = ["build_introspection_router", "client_is_authorized", "introspect"]

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
INACTIVE: dict[str, Any] = {"active": False}


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def _basic_credentials(authorization: str) -> tuple[str, str] | None:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded or len(encoded) > 1024:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return unquote(client_id), unquote(secret)


def client_is_authorized(settings: Settings, authorization: str) -> bool:
    """True when ``authorization`` carries the configured resource-server credential."""
    configured = settings.introspection_client_secret
    given = _basic_credentials(authorization)
    if configured is None or not settings.introspection_client_id or given is None:
        return False
    # Hash first so lengths leak nothing; compare both halves before deciding.
    id_ok = hmac.compare_digest(_digest(given[0]), _digest(settings.introspection_client_id))
    secret_ok = hmac.compare_digest(_digest(given[1]),
                                    _digest(configured.get_secret_value()))
    return id_ok & secret_ok


async def introspect(svc: Services, token: str) -> dict[str, Any]:
    """The RFC 7662 answer for ``token``: its claims when active, else only inactive."""
    if len(token) > MAX_TOKEN_LENGTH:
        return INACTIVE
    try:
        claims = await svc.tokens.verify_access(token)
        session = await svc.sessions.state(claims.sub, claims.sid)
    except (AuthenticationFailed, CorruptItem):
        return INACTIVE
    if not session_is_live(session, claims.sub, claims.sid):
        return INACTIVE
    assert session is not None  # noqa: S101 -- narrowed by session_is_live
    scopes = claims.scopes & set(session.scopes) & set(session.account.scopes)
    return {
        "active": True, "scope": " ".join(sorted(scopes)), "token_type": "bearer",
        "sub": claims.sub, "exp": claims.exp, "iat": claims.iat,
        "iss": svc.settings.issuer, "aud": svc.settings.audience, "jti": claims.jti,
        "sid": claims.sid, "amr": list(claims.amr),
    }


def build_introspection_router(services: Any) -> APIRouter:
    router = APIRouter(tags=["introspection"], responses=PROBLEM_RESPONSES)
    Svc = Annotated[Services, Depends(services)]  # noqa: N806 -- a type alias

    async def resource_server(request: Request, svc: Svc) -> None:
        # Keyed by address, so a stranger's guesses never lock out a resource server elsewhere.
        address = client_address(request, svc.settings.trusted_proxies)
        attempt = Attempt("introspect", address, address)
        prior_failures = await svc.throttle.check(attempt)
        if not client_is_authorized(svc.settings, request.headers.get("authorization", "")):
            await svc.throttle.failed(attempt)
            raise ClientAuthenticationFailed("A resource-server credential is required.")
        await svc.throttle.succeeded(attempt, prior_failures)

    @router.post("/auth/introspect", dependencies=[Depends(resource_server)],
                 responses=rate_limited(200, 401))
    async def introspect_route(
        svc: Svc, response: Response,
        token: Annotated[str, Form(max_length=MAX_TOKEN_LENGTH * 2)],
        token_type_hint: Annotated[str | None, Form(max_length=64)] = None,
    ) -> dict[str, Any]:
        """RFC 7662 token introspection for resource servers (HTTP Basic client credential).

        Access tokens only: any other token is reported inactive, whatever the hint."""
        del token_type_hint  # RFC 7662 lets the server ignore the hint
        response.headers.update(NO_STORE)
        return await introspect(svc, token)

    return router
