"""Signing in and out: password (then a second factor when the account has one),
passwordless with a passkey, and signing out.

Security-sensitive (CWE-384, CWE-204, CWE-208): every sign-in calls the JSON API's flow
(``login``, ``verify_step_up``, ``passkey_login``), so throttling, the same work and the
same refusal for every kind of failure, step-up tickets and audit records are theirs. A
refused sign-in gets one page whatever the reason. Each success replaces the cookie with
one naming the session the flow just created; the visitor's earlier value (whoever set
it) is never signed in. ``return_to`` is followed only when allowed (``returns``).
"""

# No `from __future__ import annotations` here: FastAPI must see the route-local
# `Annotated` aliases as objects, not as names it cannot resolve.

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import ValidationError

from dynaguard.errors import AuthenticationFailed, GuardError, StoreError
from dynaguard.guard.flows.login import login
from dynaguard.guard.flows.sessions import sign_out
from dynaguard.guard.mfa.passkeys import authentication_options
from dynaguard.guard.mfa.schemas import AssertionCredential
from dynaguard.guard.mfa.step_up import passkey_login, ticket_user, verify_step_up
from dynaguard.guard.mfa.tickets import MfaRequired
from dynaguard.guard.ui.cookie import BrowserState
from dynaguard.guard.ui.forms import FormRefused
from dynaguard.guard.ui.outcomes import message_for, refused_form, retry_headers, status_for
from dynaguard.guard.ui.principal import state_for_pair
from dynaguard.guard.ui.visit import Visit

__all__ = ["add_sign_in_routes"]

EMAIL_MAX = 320
CODE_MAX = 64
SECOND_STEP_REFUSED = ("That code did not work, or the sign-in took too long. "
                       "Try again, or start over.")


def _with_return(url: str, return_to: str | None) -> str:
    return f"{url}?{urlencode({'return_to': return_to})}" if return_to else url


def _credential(raw: str) -> AssertionCredential | None:
    try:
        return AssertionCredential.model_validate_json(raw)
    except ValidationError:
        return None


def landing(v: Visit, return_to: str | None) -> str:
    return return_to or v.url("/account")


def sign_in_page(v: Visit, *, email: str = "", return_to: str | None = None,
                 error: str = "", status: int = 200,
                 headers: dict[str, str] | None = None) -> Response:
    return v.page("sign_in.html", status=status, title="Sign in", email=email,
                  return_to=return_to or "", error=error, headers=headers)


async def second_step_page(v: Visit, return_to: str | None, *, error: str = "",
                           status: int = 200,
                           headers: dict[str, str] | None = None) -> Response:
    try:
        _, _, user = await ticket_user(v.svc, v.state.ticket)
        passkeys = bool((await v.svc.mfa.factors(user.id)).passkeys)
    except (GuardError, StoreError):
        return v.redirect(v.url("/sign-in"), BrowserState.anonymous())
    return v.page("second_step.html", status=status, title="Second step",
                  return_to=return_to or "", passkeys=passkeys, error=error,
                  headers=headers)


def add_sign_in_routes(router: APIRouter, visitor: Any) -> None:
    """Sign in with a password (and a second factor), with a passkey, and sign out."""
    _add_password_routes(router, visitor)
    _add_passkey_routes(router, visitor)


def _add_password_routes(router: APIRouter, visitor: Any) -> None:
    V = Annotated[Visit, Depends(visitor)]  # noqa: N806 -- a type alias

    @router.get("/ui")
    async def ui_index(v: V) -> Response:
        return v.redirect(v.url("/account" if v.principal else "/sign-in"))

    @router.get("/ui/sign-in")
    async def sign_in_form(v: V, return_to: str | None = None) -> Response:
        allowed = v.return_to(return_to)
        if v.principal is not None:
            return v.redirect(landing(v, allowed))
        return sign_in_page(v, return_to=allowed)

    @router.post("/ui/sign-in")
    async def sign_in_submit(v: V) -> Response:
        try:
            form = await v.form(["email", "password"], ["return_to"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/sign-in"))
        return_to = v.return_to(form.get("return_to"))
        email = form["email"][:EMAIL_MAX]
        try:
            result = await login(v.svc, email, form["password"], v.client())
            if isinstance(result, MfaRequired):
                return v.redirect(_with_return(v.url("/sign-in/second-step"), return_to),
                                  BrowserState.pending(result.mfa_token))
            state = await state_for_pair(v.svc, v.keys, result)
        except (GuardError, StoreError) as error:
            message = ("The email or password is not right, or the account cannot sign in "
                       "yet (confirm your email address first)."
                       if isinstance(error, AuthenticationFailed) else message_for(error))
            return sign_in_page(v, email=email, return_to=return_to, error=message,
                                status=status_for(error), headers=retry_headers(error))
        return v.redirect(landing(v, return_to), state)

    @router.get("/ui/sign-in/second-step")
    async def second_step_form(v: V, return_to: str | None = None) -> Response:
        if v.state.kind != "pending":
            return v.redirect(v.url("/sign-in"))
        return await second_step_page(v, v.return_to(return_to))

    @router.post("/ui/sign-in/second-step")
    async def second_step_submit(v: V) -> Response:
        try:
            form = await v.form([], ["code", "credential", "return_to"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/sign-in"))
        return_to = v.return_to(form.get("return_to"))
        if v.state.kind != "pending":
            return v.redirect(v.url("/sign-in"))
        code = form.get("code", "").strip()[:CODE_MAX] or None
        credential = _credential(form["credential"]) if "credential" in form else None
        try:
            if (code is None) == (credential is None):
                raise AuthenticationFailed
            pair = await verify_step_up(v.svc, v.state.ticket, v.client(), code=code,
                                        credential=credential)
            state = await state_for_pair(v.svc, v.keys, pair)
        except (GuardError, StoreError) as error:
            message = (SECOND_STEP_REFUSED if isinstance(error, AuthenticationFailed)
                       else message_for(error))
            return await second_step_page(v, return_to, error=message,
                                          status=status_for(error),
                                          headers=retry_headers(error))
        return v.redirect(landing(v, return_to), state)


def _add_passkey_routes(router: APIRouter, visitor: Any) -> None:
    V = Annotated[Visit, Depends(visitor)]  # noqa: N806 -- a type alias

    @router.post("/ui/sign-in/second-step/passkey")
    async def second_step_passkey(v: V) -> Response:
        try:
            form = await v.form([], ["return_to"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/sign-in"))
        return_to = v.return_to(form.get("return_to"))
        if v.state.kind != "pending":
            return v.redirect(v.url("/sign-in"))
        try:
            _, _, user = await ticket_user(v.svc, v.state.ticket)
            options = await authentication_options(v.svc, user)
        except (GuardError, StoreError) as error:
            return await second_step_page(v, return_to, error=message_for(error),
                                          status=status_for(error))
        return v.page("passkey.html", title="Use your passkey", ceremony="get",
                      options=options, action=v.url("/sign-in/second-step"),
                      return_to=return_to or "", name="",
                      intro="Use the passkey of this account to finish signing in.",
                      button="Use my passkey", back=v.url("/sign-in/second-step"))

    @router.post("/ui/passkey")
    async def passkey_start(v: V) -> Response:
        try:
            form = await v.form([], ["return_to"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/sign-in"))
        return_to = v.return_to(form.get("return_to"))
        try:
            options = await authentication_options(v.svc, None)
        except (GuardError, StoreError) as error:
            return sign_in_page(v, return_to=return_to, error=message_for(error),
                                status=status_for(error))
        return v.page("passkey.html", title="Sign in with a passkey", ceremony="get",
                      options=options, action=v.url("/passkey/finish"),
                      return_to=return_to or "", name="",
                      intro="Your browser will ask for your passkey: a security key, "
                            "or your device's screen lock.",
                      button="Sign in with my passkey", back=v.url("/sign-in"))

    @router.post("/ui/passkey/finish")
    async def passkey_finish(v: V) -> Response:
        try:
            form = await v.form(["credential"], ["return_to"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/sign-in"))
        return_to = v.return_to(form.get("return_to"))
        credential = _credential(form["credential"])
        try:
            if credential is None:
                raise AuthenticationFailed
            pair = await passkey_login(v.svc, credential, v.client())
            state = await state_for_pair(v.svc, v.keys, pair)
        except (GuardError, StoreError) as error:
            message = ("The passkey was not accepted." if isinstance(error, AuthenticationFailed)
                       else message_for(error))
            return sign_in_page(v, return_to=return_to, error=message,
                                status=status_for(error), headers=retry_headers(error))
        return v.redirect(landing(v, return_to), state)

    @router.post("/ui/sign-out")
    async def sign_out_submit(v: V) -> Response:
        try:
            await v.form([])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/account"))
        if v.principal is not None:
            await sign_out(v.svc, v.principal)
        return v.redirect(v.url("/sign-in"), BrowserState.anonymous())
