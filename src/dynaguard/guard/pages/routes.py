"""The link pages: a GET shows a form with the mailed token, its POST spends the token.

Security-sensitive, and easy to weaken by accident:
- A GET never reads, checks or spends the token, and touches no store: mail scanners and
  link previewers fetch links before (or instead of) the person, and a fetch must not
  verify, reset, unlock or confirm anything. Only the form's POST acts.
- The POST calls the flow functions the JSON API calls (throttling, single use and the
  generic refusal live there); this module only turns their outcome into a page. Every
  refused token (unknown, used, expired, superseded) gets the same page.
- No CSRF token: these pages set and read no cookie and no Authorization header, so a
  request carries no ambient authority for a forged form to borrow. What a POST does
  depends only on the 256-bit single-use token in its body: a cross-site form must
  already hold a token, and then does nothing its author could not do by posting it
  directly, to the account whose mailbox received it; no session is issued. Framing
  (to trick a click on the button) is forbidden by the pages' headers.
- Form bodies are read up to a ceiling (the service's BodyLimit applies before) and
  parsed strictly: URL-encoded, only the expected fields, each exactly once.
"""

# No `from __future__ import annotations` here: FastAPI must see the route-local
# `Annotated` aliases as objects, not as names it cannot resolve.

import hmac
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from dynaguard.errors import Conflict, InvalidRequest, StoreError, StoreUnavailable, TooManyRequests
from dynaguard.guard.flows.email_change import confirm_email_change
from dynaguard.guard.flows.password_reset import reset_password
from dynaguard.guard.flows.unlock import unlock
from dynaguard.guard.flows.verify_email import verify_email
from dynaguard.guard.links import (
    EMAIL_CONFIRM_PAGE,
    PASSWORD_RESET_PAGE,
    UNLOCK_PAGE,
    VERIFY_EMAIL_PAGE,
)
from dynaguard.guard.pages.render import render_page
from dynaguard.guard.policy import WeakPassword
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import client_address

__all__ = ["PAGE_PUBLIC_ROUTES", "build_pages_router"]

TOKEN_MAX_LENGTH = 256  # as the JSON API's token fields
FORM_LIMIT = 32 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
REFUSED = "This link is invalid, has expired or was already used."
REFUSED_HINT = "Ask for a new link where you asked for this one."

Form = dict[str, str]
Action = Callable[[Services, Form, str], Awaitable[None]]


@dataclass(frozen=True)
class LinkPage:
    """One kind of mailed link: its page's words and the flow its form runs."""

    path: str
    title: str
    intro: str
    button: str
    done_title: str
    done: str
    action: Action
    passwords: bool = False

    @property
    def fields(self) -> tuple[str, ...]:
        return ("token", "new_password", "confirm_password") if self.passwords else ("token",)


async def _verify(svc: Services, form: Form, address: str) -> None:
    await verify_email(svc, form["token"], address)


async def _reset(svc: Services, form: Form, address: str) -> None:
    await reset_password(svc, form["token"], form["new_password"], address)


async def _unlock(svc: Services, form: Form, _address: str) -> None:
    await unlock(svc, form["token"])


async def _confirm(svc: Services, form: Form, address: str) -> None:
    await confirm_email_change(svc, form["token"], address)


PAGES = (
    LinkPage(VERIFY_EMAIL_PAGE, "Confirm your email address",
             "Press the button to confirm that this address is yours.",
             "Confirm my email", "Email address confirmed",
             "Your email address is confirmed. You can sign in.", _verify),
    LinkPage(PASSWORD_RESET_PAGE, "Choose a new password",
             "Choose a new password for your account. Saving it signs you out everywhere.",
             "Save the new password", "Password changed",
             "Your password was changed and every session was signed out. "
             "Sign in with your new password.", _reset, passwords=True),
    LinkPage(UNLOCK_PAGE, "Unlock your account",
             "Sign-in to your account was locked after many failed attempts. "
             "Press the button to unlock it.",
             "Unlock my account", "Account unlocked",
             "Your account is unlocked. You can sign in again.", _unlock),
    LinkPage(EMAIL_CONFIRM_PAGE, "Confirm your new email address",
             "Press the button to make this the address of your account.",
             "Confirm the new address", "New address confirmed",
             "Your account now uses this email address.", _confirm),
)

# Public by nature: each is authorised by the mailed token it carries, if by anything.
PAGE_PUBLIC_ROUTES = frozenset(
    (method, page.path) for page in PAGES for method in ("GET", "POST"))


class _FormRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _single(values: Sequence[str]) -> str | None:
    """The one value of a field that must appear exactly once, or None."""
    return values[0] if len(values) == 1 else None


def _plausible_token(token: str | None) -> bool:
    return token is not None and 0 < len(token) <= TOKEN_MAX_LENGTH


async def _read_form(request: Request, names: tuple[str, ...]) -> Form:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        raise _FormRefused(415, "The form was not sent as a web form.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_LIMIT:
            raise _FormRefused(413, "The form is too large.")
    try:
        pairs = parse_qsl(bytes(body).decode("ascii"), keep_blank_values=True,
                          errors="strict", max_num_fields=len(names))
    except ValueError:  # not ASCII, bad UTF-8 once decoded, or too many fields
        raise _FormRefused(400, "The form could not be read.") from None
    form: Form = {}
    for name, value in pairs:
        if name not in names or name in form:
            raise _FormRefused(400, "The form could not be read.")
        form[name] = value
    if set(form) != set(names):
        raise _FormRefused(400, "The form could not be read.")
    return form


def build_pages_router(services: Any, *, sign_in: str | None = None) -> APIRouter:
    """The pages behind the mailed links; ``services`` returns the running Services, and
    ``sign_in`` is the sign-in page a finished link page points to (if there is one).
    Pages, not API: they stay out of the OpenAPI document."""
    router = APIRouter(include_in_schema=False)
    for page in PAGES:
        _add_page(router, page, services, sign_in)
    return router


def _add_page(router: APIRouter, page: LinkPage, services: Any, sign_in: str | None) -> None:
    Svc = Annotated[Services, Depends(services)]  # noqa: N806 -- a type alias

    def form_page(svc: Services, token: str, *, status: int = 200, error: str = "",
                  reasons: Sequence[str] = ()) -> HTMLResponse:
        # The action is relative (the page's own last path segment, without the query):
        # it posts back to this page wherever the guard is mounted.
        return render_page(
            "form.html", status=status, service=svc.settings.service_name, title=page.title,
            intro=page.intro, button=page.button, action=page.path.rsplit("/", 1)[1],
            token=token, passwords=page.passwords, error=error, reasons=list(reasons),
            min_length=svc.settings.password_min_length)

    def outcome(svc: Services, status: int, title: str, message: str, *, hint: str = "",
                headers: dict[str, str] | None = None) -> HTMLResponse:
        tone = "success" if status == 200 else "failure"
        return render_page("outcome.html", status=status, headers=headers, tone=tone,
                           service=svc.settings.service_name, title=title, message=message,
                           hint=hint, sign_in=sign_in if status == 200 else None)

    def refused(svc: Services) -> HTMLResponse:
        return outcome(svc, 400, "This link cannot be used", REFUSED, hint=REFUSED_HINT)

    async def show(request: Request, svc: Svc) -> HTMLResponse:
        token = _single(request.query_params.getlist("token"))
        if token is None or not _plausible_token(token):
            return refused(svc)
        return form_page(svc, token)

    async def submit(request: Request, svc: Svc) -> HTMLResponse:
        try:
            form = await _read_form(request, page.fields)
        except _FormRefused as error:
            return outcome(svc, error.status, "The form could not be used", error.message)
        if not _plausible_token(form["token"]):
            return refused(svc)
        if page.passwords and not hmac.compare_digest(
                form["new_password"].encode(), form["confirm_password"].encode()):
            return form_page(svc, form["token"], status=400,
                             error="The two passwords do not match.")
        return await run(svc, form, client_address(request, svc.settings.trusted_proxies))

    async def run(svc: Services, form: Form, address: str) -> HTMLResponse:
        """The page for the flow's outcome; errors as the JSON API maps them, in words."""
        try:
            await page.action(svc, form, address)
        except TooManyRequests as error:
            wait = str(error.retry_after)
            return outcome(svc, 429, "Too many attempts",
                           f"Too many attempts. Try again in {wait} seconds.",
                           headers={"Retry-After": wait})
        except WeakPassword as error:
            # Refused before the token was spent: the person may try again with it.
            return form_page(svc, form["token"], status=400, error=error.detail,
                             reasons=error.reasons)
        except InvalidRequest:
            return refused(svc)
        except Conflict:
            return outcome(svc, 409, "This address is taken",
                           "The new address already belongs to another account, so your "
                           "account keeps its current address.")
        except StoreError:
            return outcome(svc, 503, "Service unavailable",
                           "The service cannot answer right now. Try again in a moment.",
                           headers={"Retry-After": str(StoreUnavailable.retry_after)})
        return outcome(svc, 200, page.done_title, page.done)

    name = page.path.rsplit("/", 1)[1].replace("-", "_")
    router.add_api_route(page.path, show, methods=["GET"], name=f"{name}_page",
                         response_class=HTMLResponse)
    router.add_api_route(page.path, submit, methods=["POST"], name=f"{name}_submit",
                         response_class=HTMLResponse)
