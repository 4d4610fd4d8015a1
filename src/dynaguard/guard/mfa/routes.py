"""The MFA routes: TOTP and passkey enrolment, recovery codes, step-up and passkey sign-in."""

# No `from __future__ import annotations` here: FastAPI must see the route-local
# `Annotated` aliases as objects, not as names it cannot resolve.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from dynaguard.guard.flows.login import Client
from dynaguard.guard.mfa.enrol import (
    begin_totp,
    confirm_totp,
    disable_totp,
    regenerate_recovery_codes,
)
from dynaguard.guard.mfa.passkeys import (
    authentication_options,
    register_passkey,
    registration_options,
    remove_passkey,
)
from dynaguard.guard.mfa.schemas import (
    CodeBody,
    MfaStatusBody,
    MfaVerifyBody,
    PasskeyAddedBody,
    PasskeyBody,
    PasskeyLoginBody,
    PasskeyRegisterBody,
    PasswordBody,
    PasswordCodeBody,
    RecoveryCodesBody,
    TicketBody,
    TotpConfirmedBody,
    TotpSetupBody,
)
from dynaguard.guard.mfa.step_up import passkey_login, ticket_user, verify_step_up
from dynaguard.guard.openapi import PROBLEM_RESPONSES, rate_limited
from dynaguard.guard.principal import Principal, load_user
from dynaguard.guard.schemas import TokenPairBody
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import client_address
from dynaguard.store.items import PasskeyItem

__all__ = ["MFA_PUBLIC_ROUTES", "build_mfa_router"]

# Routes that take no bearer token: a step-up ticket or a passkey assertion is the credential.
MFA_PUBLIC_ROUTES = frozenset({
    ("POST", "/auth/mfa/verify"), ("POST", "/auth/mfa/passkey/options"),
    ("POST", "/auth/passkey/login/options"), ("POST", "/auth/passkey/login"),
})
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _client(request: Request, svc: Services) -> Client:
    address = client_address(request, svc.settings.trusted_proxies)
    return Client(address=address, user_agent=request.headers.get("user-agent", ""))


def _passkey(item: PasskeyItem) -> PasskeyBody:
    return PasskeyBody(id=item.credential_id, name=item.name, created_at=item.created_at,
                       last_used_at=item.last_used_at)


def build_mfa_router(services: Any, current_user: Any) -> APIRouter:
    """The MFA routes; arguments as for ``build_auth_router``."""
    router = APIRouter(tags=["mfa"], responses=PROBLEM_RESPONSES)
    Svc = Annotated[Services, Depends(services)]  # noqa: N806 -- a type alias
    User = Annotated[Principal, current_user]  # noqa: N806

    @router.get("/auth/mfa", response_model=MfaStatusBody)
    async def status_route(user: User, svc: Svc) -> MfaStatusBody:
        """Which second factors the account has."""
        state = await svc.mfa.factors(user.id)
        return MfaStatusBody(enabled=user.user.mfa_enabled, totp=state.totp_on,
                             passkeys=[_passkey(p) for p in state.passkeys],
                             recovery_codes_left=state.codes_left)

    @router.post("/auth/mfa/totp/setup", response_model=TotpSetupBody)
    async def totp_setup_route(
        body: PasswordBody, user: User, request: Request, svc: Svc, response: Response
    ) -> TotpSetupBody:
        """Start TOTP enrolment: the secret, its otpauth:// URI and a QR code (shown once)."""
        setup = await begin_totp(svc, user, body.password, _client(request, svc))
        response.headers.update(NO_STORE)
        return TotpSetupBody(secret=setup.secret, otpauth_uri=setup.otpauth_uri,
                             qr_svg=setup.qr_svg)

    @router.post("/auth/mfa/totp/confirm", response_model=TotpConfirmedBody,
                 responses=rate_limited(200, 400))
    async def totp_confirm_route(
        body: CodeBody, user: User, request: Request, svc: Svc, response: Response
    ) -> TotpConfirmedBody:
        """Turn TOTP on with a first code; recovery codes come back once."""
        codes = await confirm_totp(svc, user, body.code, _client(request, svc))
        response.headers.update(NO_STORE)
        return TotpConfirmedBody(recovery_codes=codes)

    @router.delete("/auth/mfa/totp", status_code=204)
    async def totp_disable_route(
        body: PasswordCodeBody, user: User, request: Request, svc: Svc
    ) -> Response:
        """Turn TOTP off; needs the password and a current code."""
        await disable_totp(svc, await load_user(svc, user), body.password, body.code,
                           _client(request, svc))
        return Response(status_code=204)

    @router.post("/auth/mfa/recovery-codes", response_model=RecoveryCodesBody)
    async def recovery_codes_route(
        body: PasswordCodeBody, user: User, request: Request, svc: Svc, response: Response
    ) -> RecoveryCodesBody:
        """Replace all recovery codes; needs the password and a current code."""
        codes = await regenerate_recovery_codes(svc, await load_user(svc, user), body.password,
                                                body.code, _client(request, svc))
        response.headers.update(NO_STORE)
        return RecoveryCodesBody(recovery_codes=codes)

    @router.post("/auth/mfa/passkeys/register/options")
    async def passkey_register_options_route(
        body: PasswordBody, user: User, request: Request, svc: Svc
    ) -> dict[str, Any]:
        """Options for navigator.credentials.create(); needs the password."""
        return await registration_options(svc, user, body.password, _client(request, svc))

    @router.post("/auth/mfa/passkeys", response_model=PasskeyAddedBody, status_code=201)
    async def passkey_register_route(
        body: PasskeyRegisterBody, user: User, request: Request, svc: Svc, response: Response
    ) -> PasskeyAddedBody:
        """Store the passkey the authenticator created for the last options."""
        item, codes = await register_passkey(svc, user, body.credential, body.name,
                                             _client(request, svc))
        response.headers.update(NO_STORE)
        return PasskeyAddedBody(**_passkey(item).model_dump(), recovery_codes=codes)

    @router.delete("/auth/mfa/passkeys/{passkey_id}", status_code=204)
    async def passkey_remove_route(
        passkey_id: str, body: PasswordCodeBody, user: User, request: Request, svc: Svc
    ) -> Response:
        """Remove a passkey; needs the password and a current code."""
        await remove_passkey(svc, await load_user(svc, user), passkey_id[:1400],
                             password=body.password, code=body.code,
                             client=_client(request, svc))
        return Response(status_code=204)

    @router.post("/auth/mfa/passkey/options")
    async def mfa_passkey_options_route(body: TicketBody, svc: Svc) -> dict[str, Any]:
        """Options for a passkey as the second factor of a pending step-up."""
        _, _, user = await ticket_user(svc, body.mfa_token)
        return await authentication_options(svc, user)

    @router.post("/auth/mfa/verify", response_model=TokenPairBody,
                 responses=rate_limited(200, 401))
    async def mfa_verify_route(
        body: MfaVerifyBody, request: Request, svc: Svc, response: Response
    ) -> Any:
        """Exchange a step-up ticket and a second factor for tokens of a new session."""
        pair = await verify_step_up(svc, body.mfa_token, _client(request, svc), code=body.code,
                                    credential=body.credential)
        response.headers.update(NO_STORE)
        return pair.body()

    @router.post("/auth/passkey/login/options")
    async def passkey_login_options_route(svc: Svc) -> dict[str, Any]:
        """Options for passwordless sign-in with a discoverable passkey."""
        return await authentication_options(svc, None)

    @router.post("/auth/passkey/login", response_model=TokenPairBody,
                 responses=rate_limited(200, 401))
    async def passkey_login_route(
        body: PasskeyLoginBody, request: Request, svc: Svc, response: Response
    ) -> Any:
        """Passwordless sign-in: a passkey assertion with user verification."""
        scopes = body.scope.split() if body.scope is not None else None
        pair = await passkey_login(svc, body.credential, _client(request, svc), scopes)
        response.headers.update(NO_STORE)
        return pair.body()

    return router
