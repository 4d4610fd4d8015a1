"""Creating an account and asking for a password reset.

Security-sensitive (CWE-204): both pages call the JSON API's flows (``register``,
``forgot_password``), which do the same work for known and unknown addresses, and answer
with one page whatever the address: only the mailbox learns more. A refusal depends only
on what was typed (a malformed address, a weak password), never on the account.
"""

# No `from __future__ import annotations` here: FastAPI must see the route-local
# `Annotated` aliases as objects, not as names it cannot resolve.

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import EmailStr, TypeAdapter, ValidationError

from dynaguard.errors import GuardError, StoreError
from dynaguard.guard.flows.password_reset import forgot_password
from dynaguard.guard.flows.register import register
from dynaguard.guard.policy import WeakPassword
from dynaguard.guard.ui.forms import FormRefused
from dynaguard.guard.ui.outcomes import message_for, refused_form, retry_headers, status_for
from dynaguard.guard.ui.visit import Visit

__all__ = ["add_signup_routes", "valid_email"]

_EMAIL = TypeAdapter(EmailStr)
EMAIL_MAX = 320


def valid_email(value: str) -> bool:
    if len(value) > EMAIL_MAX:
        return False
    try:
        _EMAIL.validate_python(value)
    except ValidationError:
        return False
    return True


def add_signup_routes(router: APIRouter, visitor: Any) -> None:
    V = Annotated[Visit, Depends(visitor)]  # noqa: N806 -- a type alias

    def register_page(v: Visit, *, email: str = "", errors: dict[str, str] | None = None,
                      reasons: list[str] | None = None, status: int = 200,
                      headers: dict[str, str] | None = None) -> Response:
        return v.page("register.html", status=status, title="Create an account", email=email,
                      errors=errors or {}, reasons=reasons or [],
                      min_length=v.settings.password_min_length, headers=headers)

    @router.get("/ui/register")
    async def register_form(v: V) -> Response:
        if v.principal is not None:
            return v.redirect(v.url("/account"))
        return register_page(v)

    @router.post("/ui/register")
    async def register_submit(v: V) -> Response:
        try:
            form = await v.form(["email", "password", "confirm_password"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/register"))
        email = form["email"].strip()
        if not valid_email(email):
            return register_page(v, email=email[:EMAIL_MAX], status=400,
                                 errors={"email": "Enter an email address such as "
                                                  "name@example.com."})
        if not hmac.compare_digest(form["password"].encode(), form["confirm_password"].encode()):
            return register_page(v, email=email, status=400,
                                 errors={"confirm_password": "The two passwords do not match."})
        try:
            await register(v.svc, email, form["password"])
        except WeakPassword as weak:
            return register_page(v, email=email, status=400,
                                 errors={"password": weak.detail}, reasons=weak.reasons)
        except (GuardError, StoreError) as error:
            return register_page(v, email=email, status=status_for(error),
                                 errors={"email": message_for(error)},
                                 headers=retry_headers(error))
        return v.page("message.html", title="Check your inbox", tone="success",
                      message=f"We sent a message to {email}. Follow its link to confirm the "
                              "address, then sign in.",
                      back=v.url("/sign-in"), headers={})

    def forgot_page(v: Visit, *, email: str = "", error: str = "", status: int = 200,
                    headers: dict[str, str] | None = None) -> Response:
        return v.page("forgot.html", status=status, title="Forgot your password?",
                      email=email, error=error, headers=headers)

    @router.get("/ui/forgot")
    async def forgot_form(v: V) -> Response:
        return forgot_page(v)

    @router.post("/ui/forgot")
    async def forgot_submit(v: V) -> Response:
        try:
            form = await v.form(["email"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/forgot"))
        email = form["email"].strip()
        if not valid_email(email):
            return forgot_page(v, email=email[:EMAIL_MAX], status=400,
                               error="Enter an email address such as name@example.com.")
        try:
            await forgot_password(v.svc, email, v.address())
        except (GuardError, StoreError) as error:
            return forgot_page(v, email=email, error=message_for(error),
                               status=status_for(error), headers=retry_headers(error))
        return v.page("message.html", title="Check your inbox", tone="success",
                      message=f"If {email} belongs to an account, a message with a link to "
                              "choose a new password is on its way. The link works once, "
                              "for a short time.",
                      back=v.url("/sign-in"), headers={})
