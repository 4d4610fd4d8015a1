"""The lab's ``/auth`` routes: register, verify, login, MFA, refresh, logout, me, password.

``malformed_json_bypass`` swaps the login route for one that reads ``request.json()``
with no schema. ``message_enum`` makes registration of a taken email a 409.
``no_logout_revocation`` and ``no_password_change_revocation`` leave sessions standing.
"""

# No `from __future__ import annotations`: FastAPI must see the Annotated dependencies.

import hashlib
import secrets
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from dynaguard.lab.accounts import new_user_item, normalize_email
from dynaguard.lab.attributes import bool_attr, int_attr, str_attr
from dynaguard.lab.auth import Caller, LabAuth
from dynaguard.lab.browser import set_session_cookie
from dynaguard.lab.errors import LabError
from dynaguard.lab.login import LoginAttempt, LoginResult, log_in, verify_mfa
from dynaguard.lab.passwords import password_problems
from dynaguard.lab.schemas import (
    LoginBody,
    MfaBody,
    PasswordChangeBody,
    RefreshBody,
    RegisterBody,
    TokenBody,
)
from dynaguard.lab.sessions import SESSION_COOKIE, refresh
from dynaguard.lab.state import Lab
from dynaguard.lab.store import EmailTaken

__all__ = [
    "build_profile_router",
    "build_session_router",
    "build_signup_router",
    "check_policy",
    "token_hash",
]

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
DEFAULT_SCOPES = ["notes:read", "notes:write"]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_policy(lab: Lab, password: str, email: str) -> None:
    problems = password_problems(password, email=email,
                                 min_length=lab.settings.password_min_length,
                                 weak=lab.on("weak_password_policy"))
    if problems:
        raise LabError(400, "Password does not meet the policy", "The password " +
                       "; ".join(problems) + ".")


async def _send_verification(lab: Lab, email: str, user_id: str) -> None:
    token = secrets.token_urlsafe(32)
    await lab.store.put_token("VERIFY", token_hash(token), user_id,
                              lab.now() + lab.settings.verify_ttl)
    await lab.send_mail(email, "Confirm your email", f"Token: {token}\n"
                        f"Link: {lab.settings.public_url}/verify-email?token={token}\n")


def _login_response(lab: Lab, result: LoginResult) -> JSONResponse:
    response = JSONResponse(result.body, headers=NO_STORE)
    if result.sid is not None:
        set_session_cookie(lab, response, result.sid)
    return response


def _iso(epoch: int | None) -> str:
    return datetime.fromtimestamp(epoch or 0, UTC).isoformat().replace("+00:00", "Z")


def _scopes(text: object) -> list[str] | None:
    return text.split() if isinstance(text, str) else None


def build_signup_router(lab: Lab) -> APIRouter:
    """``/auth/register`` and ``/auth/verify-email``."""
    router = APIRouter(tags=["auth"])

    @router.post("/auth/register", status_code=202)
    async def register(body: RegisterBody, background: BackgroundTasks) -> JSONResponse:
        """Create an account and mail a verification token; the same answer either way.

        Mail (and the token write) happen after the answer, so a new and a taken email
        cost the same work before it: one hash, one transaction.
        """
        email = normalize_email(body.email)
        check_policy(lab, body.password, email)
        user_id = uuid.uuid4().hex
        item = new_user_item(user_id, email, await lab.passwords.hash(body.password),
                             DEFAULT_SCOPES, lab.now())
        if not lab.on("missing_attr_truthy"):
            item["email_confirmed"] = {"BOOL": False}  # the fix: no flag left to a default
        try:
            await lab.store.create_user(item)
        except EmailTaken:
            if lab.on("message_enum"):
                raise LabError(409, "Conflict", "An account with this email already exists.") \
                    from None
            background.add_task(lab.send_mail, email, "Sign-up attempt", "Someone tried to sign "
                                "up with this address, which already has an account.")
            return JSONResponse({"status": "accepted"}, status_code=202)
        background.add_task(_send_verification, lab, email, user_id)
        return JSONResponse({"status": "accepted"}, status_code=202)

    @router.post("/auth/verify-email", status_code=204)
    async def verify_email(body: TokenBody) -> Response:
        item = await lab.store.take_token("VERIFY", token_hash(body.token))
        expires_at = int_attr(item, "expires_at") if item else None
        user_id = str_attr(item, "user_id") if item else None
        if expires_at is None or expires_at <= lab.now() or user_id is None:
            raise LabError(400, "Invalid request", "Invalid or expired token.")
        await lab.store.confirm_email(user_id)
        return Response(status_code=204)

    return router


def build_session_router(lab: Lab, auth: LabAuth) -> APIRouter:
    """Login, the OAuth2 token route, MFA, refresh and logout."""
    router = APIRouter(tags=["auth"])
    Authenticated = Annotated[Caller, auth.current]  # noqa: N806 -- a type alias

    if lab.on("malformed_json_bypass"):
        @router.post("/auth/login", openapi_extra={"requestBody": {"content": {
            "application/json": {"schema": LoginBody.model_json_schema()}}, "required": True}})
        async def login_unvalidated(request: Request) -> JSONResponse:
            body: Any = await request.json()  # the flaw: whatever the client sent
            attempt = LoginAttempt(
                email=body.get("email", ""), password=body.get("password"),
                scopes=_scopes(body.get("scope")), audience=body.get("audience"),
                client_sid=request.cookies.get(SESSION_COOKIE),
            )
            return _login_response(lab, await log_in(lab, attempt))
    else:
        @router.post("/auth/login")
        async def login(body: LoginBody, request: Request) -> JSONResponse:
            attempt = LoginAttempt(
                email=body.email, password=body.password, scopes=_scopes(body.scope),
                audience=body.audience, client_sid=request.cookies.get(SESSION_COOKIE),
            )
            return _login_response(lab, await log_in(lab, attempt))

    @router.post("/auth/token")
    async def token(
        form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request
    ) -> JSONResponse:
        """OAuth2 password grant, for Swagger's Authorize button."""
        attempt = LoginAttempt(email=form.username, password=form.password,
                               scopes=form.scopes or None,
                               client_sid=request.cookies.get(SESSION_COOKIE))
        return _login_response(lab, await log_in(lab, attempt))

    @router.post("/auth/mfa/verify")
    async def mfa_verify(body: MfaBody, request: Request) -> JSONResponse:
        result = await verify_mfa(lab, body.mfa_token, body.code,
                                  request.cookies.get(SESSION_COOKIE))
        return _login_response(lab, result)

    @router.post("/auth/refresh")
    async def refresh_route(body: RefreshBody) -> JSONResponse:
        return JSONResponse(await refresh(lab, body.refresh_token), headers=NO_STORE)

    @router.post("/auth/logout", status_code=204)
    async def logout(caller: Authenticated) -> Response:
        if not lab.on("no_logout_revocation"):
            await lab.store.revoke_session(caller.sid)
        response = Response(status_code=204)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @router.post("/auth/logout-all", status_code=204)
    async def logout_all(caller: Authenticated) -> Response:
        if not lab.on("no_logout_revocation"):
            await lab.store.bump_credentials_version(caller.user_id)
        response = Response(status_code=204)
        response.delete_cookie(SESSION_COOKIE)
        return response

    return router


def build_profile_router(lab: Lab, auth: LabAuth) -> APIRouter:
    """``/auth/me`` and ``/auth/password/change``."""
    router = APIRouter(tags=["auth"])
    Authenticated = Annotated[Caller, auth.current]  # noqa: N806 -- a type alias

    @router.get("/auth/me")
    async def me(caller: Authenticated) -> dict[str, Any]:
        user = caller.user
        return {"id": caller.user_id, "email": str_attr(user, "email"),
                "email_verified": bool_attr(user, "email_confirmed") is True,
                "scopes": sorted(caller.scopes), "mfa_enabled": "mfa_secret" in user,
                "created_at": _iso(int_attr(user, "created_at"))}

    @router.post("/auth/password/change", status_code=204)
    async def change_password(body: PasswordChangeBody, caller: Authenticated) -> Response:
        """Set a new password; other sessions end (unless the flaw is on)."""
        stored = str_attr(caller.user, "password_hash")
        if stored is None or not await lab.passwords.verify(stored, body.current_password):
            raise LabError(400, "Invalid request", "The current password is wrong.")
        check_policy(lab, body.new_password, str_attr(caller.user, "email") or "")
        revoke = not lab.on("no_password_change_revocation")
        version = await lab.store.set_password(
            caller.user_id, await lab.passwords.hash(body.new_password), revoke=revoke)
        if revoke:
            await lab.store.set_session_version(caller.sid, version)
        return Response(status_code=204)

    return router
