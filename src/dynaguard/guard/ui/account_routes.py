"""The account page (address, password and address changes) and the sessions page
(revoke one, sign out everywhere), for a signed-in browser only.

Each change calls the JSON API's flow (``change_password``, ``request_email_change``,
``revoke_own_session``, ``sign_out_everywhere``): the checks, throttling, mails and audit
records are theirs.
"""

# No `from __future__ import annotations` here: FastAPI must see the route-local
# `Annotated` aliases as objects, not as names it cannot resolve.

import hmac
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from dynaguard.errors import GuardError, StoreError
from dynaguard.guard.flows.email_change import request_email_change
from dynaguard.guard.flows.password_change import change_password
from dynaguard.guard.flows.sessions import own_sessions, revoke_own_session, sign_out_everywhere
from dynaguard.guard.policy import WeakPassword
from dynaguard.guard.principal import Principal
from dynaguard.guard.ui.cookie import BrowserState
from dynaguard.guard.ui.forms import FormRefused
from dynaguard.guard.ui.outcomes import failure_page, message_for, refused_form, status_for
from dynaguard.guard.ui.signup_routes import valid_email
from dynaguard.guard.ui.visit import Visit
from dynaguard.guard.useragent import device_label

__all__ = ["add_account_routes", "when"]


def when(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def add_account_routes(router: APIRouter, visitor: Any) -> None:
    V = Annotated[Visit, Depends(visitor)]  # noqa: N806 -- a type alias

    def to_sign_in(v: Visit, path: str) -> Response:
        return v.redirect(f"{v.url('/sign-in')}?{urlencode({'return_to': v.url(path)})}")

    def account_page(v: Visit, caller: Principal, *, status: int = 200, notice: str = "",
                     errors: dict[str, str] | None = None,
                     reasons: list[str] | None = None) -> Response:
        return v.page("account.html", status=status, title="Your account", notice=notice,
                      errors=errors or {}, reasons=reasons or [], since=when(
                          caller.user.created_at),
                      min_length=v.settings.password_min_length)

    @router.get("/ui/account")
    async def account(v: V) -> Response:
        if v.principal is None:
            return to_sign_in(v, "/account")
        return account_page(v, v.principal)

    @router.post("/ui/account/password")
    async def password_submit(v: V) -> Response:
        try:
            form = await v.form(["current_password", "new_password", "confirm_password"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/account"))
        caller = v.principal
        if caller is None:
            return to_sign_in(v, "/account")
        if not hmac.compare_digest(form["new_password"].encode(),
                                   form["confirm_password"].encode()):
            return account_page(v, caller, status=400, errors={
                "confirm_password": "The two passwords do not match."})
        try:
            await change_password(v.svc, caller, form["current_password"],
                                  form["new_password"], v.address())
        except WeakPassword as weak:
            return account_page(v, caller, status=400, errors={"new_password": weak.detail},
                                reasons=weak.reasons)
        except (GuardError, StoreError) as error:
            return account_page(v, caller, status=status_for(error),
                                errors={"current_password": message_for(error)})
        return account_page(v, caller, notice="Your password was changed. Your other "
                                              "sessions were signed out.")

    @router.post("/ui/account/email")
    async def email_submit(v: V) -> Response:
        try:
            form = await v.form(["new_email", "email_password"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/account"))
        caller = v.principal
        if caller is None:
            return to_sign_in(v, "/account")
        new_email = form["new_email"].strip()
        if not valid_email(new_email):
            return account_page(v, caller, status=400, errors={
                "new_email": "Enter an email address such as name@example.com."})
        try:
            await request_email_change(v.svc, caller, form["email_password"], new_email,
                                       v.address())
        except (GuardError, StoreError) as error:
            return account_page(v, caller, status=status_for(error),
                                errors={"email_password": message_for(error)})
        return account_page(v, caller, notice=f"We sent a link to {new_email}. Your account "
                                              "switches to it once the link is followed.")

    @router.get("/ui/sessions")
    async def sessions(v: V) -> Response:
        if v.principal is None:
            return to_sign_in(v, "/sessions")
        caller = v.principal
        try:
            found = await own_sessions(v.svc, caller)
        except StoreError as error:
            return failure_page(v, error, back=v.url("/account"))
        rows = [{"id": s.id, "current": s.id == caller.session.id,
                 "device": device_label(s.user_agent), "address": s.address,
                 "created": when(s.created_at), "used": when(s.last_used_at)}
                for s in found if not s.revoked]
        return v.page("sessions.html", title="Your sessions", sessions=rows)

    @router.post("/ui/sessions/revoke")
    async def revoke(v: V) -> Response:
        try:
            form = await v.form(["sid"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/sessions"))
        if v.principal is None:
            return to_sign_in(v, "/sessions")
        try:
            await revoke_own_session(v.svc, v.principal, form["sid"])
        except (GuardError, StoreError) as error:
            return failure_page(v, error, back=v.url("/sessions"))
        if form["sid"] == v.principal.session.id:
            return v.redirect(v.url("/sign-in"), BrowserState.anonymous())
        return v.redirect(v.url("/sessions"))

    @router.post("/ui/sessions/sign-out-everywhere")
    async def everywhere(v: V) -> Response:
        try:
            await v.form([])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/sessions"))
        if v.principal is not None:
            await sign_out_everywhere(v.svc, v.principal)
        return v.redirect(v.url("/sign-in"), BrowserState.anonymous())
