"""The account routes: password recovery, password and email changes, verification re-send."""

# No `from __future__ import annotations` here: FastAPI must see the route-local
# `Annotated` aliases as objects, not as names it cannot resolve.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from dynaguard.guard.account_schemas import (
    ChangeEmailBody,
    ChangePasswordBody,
    EmailBody,
    ResetPasswordBody,
    TokenBody,
)
from dynaguard.guard.flows.email_change import confirm_email_change, request_email_change
from dynaguard.guard.flows.password_change import change_password
from dynaguard.guard.flows.password_reset import forgot_password, reset_password
from dynaguard.guard.flows.resend_verification import resend_verification
from dynaguard.guard.openapi import rate_limited
from dynaguard.guard.principal import Principal
from dynaguard.guard.schemas import AcceptedBody
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import client_address

__all__ = ["ACCOUNT_PUBLIC_ROUTES", "build_account_router"]

# The routes below that take no bearer token (each is authorised by a mailed token, or
# answers the same for everyone); guard/routes.py lists them in PUBLIC_ROUTES.
ACCOUNT_PUBLIC_ROUTES = frozenset({
    ("POST", "/auth/password/forgot"), ("POST", "/auth/password/reset"),
    ("POST", "/auth/email/confirm"), ("POST", "/auth/verify-email/resend"),
})


def build_account_router(services: Any, current_user: Any) -> APIRouter:
    """Routes for recovering and changing credentials; arguments as for the auth router."""
    router = APIRouter(tags=["account"])
    Svc = Annotated[Services, Depends(services)]  # noqa: N806 -- a type alias
    User = Annotated[Principal, current_user]  # noqa: N806

    def address(request: Request, svc: Services) -> str:
        return client_address(request, svc.settings.trusted_proxies)

    @router.post("/auth/password/forgot", status_code=202, response_model=AcceptedBody,
                 responses=rate_limited(202))
    async def forgot_route(body: EmailBody, request: Request, svc: Svc) -> AcceptedBody:
        """Mail a reset link if the account exists; the answer never says whether it does."""
        await forgot_password(svc, str(body.email), address(request, svc))
        return AcceptedBody()

    @router.post("/auth/password/reset", status_code=204, responses=rate_limited(204, 400))
    async def reset_route(body: ResetPasswordBody, request: Request, svc: Svc) -> Response:
        """Set a new password with a mailed token; every session of the account ends."""
        await reset_password(svc, body.token, body.new_password, address(request, svc))
        return Response(status_code=204)

    @router.post("/auth/password/change", status_code=204, responses=rate_limited(204, 400))
    async def change_route(
        body: ChangePasswordBody, user: User, request: Request, svc: Svc
    ) -> Response:
        """Change the password; every other session of the account ends."""
        await change_password(svc, user, body.current_password, body.new_password,
                              address(request, svc))
        return Response(status_code=204)

    @router.post("/auth/email/change", status_code=202, response_model=AcceptedBody,
                 responses=rate_limited(202, 400))
    async def email_change_route(
        body: ChangeEmailBody, user: User, request: Request, svc: Svc
    ) -> AcceptedBody:
        """Mail a confirmation link to the new address; the switch waits for it."""
        await request_email_change(svc, user, body.password, str(body.new_email),
                                   address(request, svc))
        return AcceptedBody()

    @router.post("/auth/email/confirm", status_code=204, responses=rate_limited(204, 400))
    async def email_confirm_route(body: TokenBody, request: Request, svc: Svc) -> Response:
        """Confirm a new address with its mailed token and switch the account to it."""
        await confirm_email_change(svc, body.token, address(request, svc))
        return Response(status_code=204)

    @router.post("/auth/verify-email/resend", status_code=202, response_model=AcceptedBody,
                 responses=rate_limited(202))
    async def resend_route(body: EmailBody, request: Request, svc: Svc) -> AcceptedBody:
        """Mail a fresh verification link to an unverified account; same answer for all."""
        await resend_verification(svc, str(body.email), address(request, svc))
        return AcceptedBody()

    return router
