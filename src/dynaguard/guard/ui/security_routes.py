"""Second factors of a signed-in account: TOTP enrolment (the QR code as inline SVG),
recovery codes (shown once), passkey registration and removal.

Each step calls the JSON API's MFA flow (``begin_totp``, ``confirm_totp``,
``disable_totp``, ``regenerate_recovery_codes``, ``registration_options``,
``register_passkey``, ``remove_passkey``): password re-checks, throttling, factor-session
rules, mails and audit records are theirs. Pages showing a secret are never cached.
"""

# No `from __future__ import annotations` here: FastAPI must see the route-local
# `Annotated` aliases as objects, not as names it cannot resolve.

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import ValidationError

from dynaguard.errors import GuardError, StoreError
from dynaguard.guard.mfa.enrol import (
    begin_totp,
    confirm_totp,
    disable_totp,
    regenerate_recovery_codes,
)
from dynaguard.guard.mfa.factors import open_totp
from dynaguard.guard.mfa.passkeys import register_passkey, registration_options, remove_passkey
from dynaguard.guard.mfa.schemas import AttestationCredential
from dynaguard.guard.mfa.totp import provisioning_uri, qr_svg
from dynaguard.guard.principal import Principal, load_user
from dynaguard.guard.ui.account_routes import when
from dynaguard.guard.ui.forms import FormRefused
from dynaguard.guard.ui.outcomes import message_for, refused_form, retry_headers, status_for
from dynaguard.guard.ui.visit import Visit

__all__ = ["add_security_routes"]

NAME_MAX = 64
CODE_MAX = 64
PASSKEY_ID_MAX = 1400


def to_sign_in(v: Visit) -> Response:
    target = v.url("/security")
    return v.redirect(f"{v.url('/sign-in')}?{urlencode({'return_to': target})}")


async def security_page(v: Visit, caller: Principal, *, status: int = 200,
                        notice: str = "", errors: dict[str, str] | None = None,
                        headers: dict[str, str] | None = None) -> Response:
    state = await v.svc.mfa.factors(caller.id)
    passkeys = [{"id": p.credential_id, "name": p.name, "created": when(p.created_at),
                 "used": when(p.last_used_at) if p.last_used_at else "never"}
                for p in state.passkeys]
    return v.page("security.html", status=status, title="Sign-in security",
                  totp=state.totp_on, passkeys=passkeys, codes_left=state.codes_left,
                  any_factor=state.any_factor, notice=notice, errors=errors or {},
                  headers=headers)


async def failed(v: Visit, caller: Principal, error: GuardError | StoreError,
                 field: str) -> Response:
    return await security_page(v, caller, status=status_for(error),
                         errors={field: message_for(error)}, headers=retry_headers(error))


def codes_page(v: Visit, codes: list[str], what: str) -> Response:
    return v.page("codes.html", title="Your recovery codes", codes=codes, what=what)


def add_security_routes(router: APIRouter, visitor: Any) -> None:
    """The security page, TOTP and recovery codes, passkeys."""
    _add_totp_routes(router, visitor)
    _add_passkey_routes(router, visitor)


def _add_totp_routes(router: APIRouter, visitor: Any) -> None:
    V = Annotated[Visit, Depends(visitor)]  # noqa: N806 -- a type alias

    @router.get("/ui/security")
    async def security(v: V) -> Response:
        if v.principal is None:
            return to_sign_in(v)
        return await security_page(v, v.principal)

    @router.post("/ui/security/totp/setup")
    async def totp_setup(v: V) -> Response:
        try:
            form = await v.form(["totp_password"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/security"))
        caller = v.principal
        if caller is None:
            return to_sign_in(v)
        try:
            setup = await begin_totp(v.svc, caller, form["totp_password"], v.client())
        except (GuardError, StoreError) as error:
            return await failed(v, caller, error, "totp_password")
        return v.page("totp_setup.html", title="Set up an authenticator app",
                      secret=setup.secret, qr_svg=setup.qr_svg, error="")

    @router.post("/ui/security/totp/confirm")
    async def totp_confirm(v: V) -> Response:
        try:
            form = await v.form(["code"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/security"))
        caller = v.principal
        if caller is None:
            return to_sign_in(v)
        try:
            codes = await confirm_totp(v.svc, caller, form["code"][:CODE_MAX], v.client())
        except (GuardError, StoreError) as error:
            pending = (await v.svc.mfa.factors(caller.id)).totp
            secret = open_totp(v.svc, pending) if pending and not pending.confirmed else None
            if secret is None:
                return await failed(v, caller, error, "totp_password")
            uri = provisioning_uri(secret, caller.user.email, v.settings.service_name)
            return v.page("totp_setup.html", status=status_for(error),
                          title="Set up an authenticator app", secret=secret,
                          qr_svg=qr_svg(uri), error=message_for(error),
                          headers=retry_headers(error))
        if codes:
            return codes_page(v, codes, "Your authenticator app is set up.")
        return await security_page(v, caller, notice="Your authenticator app is set up.")

    @router.post("/ui/security/totp/disable")
    async def totp_disable(v: V) -> Response:
        try:
            form = await v.form(["disable_password", "disable_code"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/security"))
        caller = v.principal
        if caller is None:
            return to_sign_in(v)
        try:
            user = await load_user(v.svc, caller)
            await disable_totp(v.svc, user, form["disable_password"],
                               form["disable_code"][:CODE_MAX], v.client())
        except (GuardError, StoreError) as error:
            return await failed(v, caller, error, "disable_password")
        return await security_page(v, caller, notice="The authenticator app was removed.")

    @router.post("/ui/security/recovery-codes")
    async def new_codes(v: V) -> Response:
        try:
            form = await v.form(["codes_password", "codes_code"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/security"))
        caller = v.principal
        if caller is None:
            return to_sign_in(v)
        try:
            user = await load_user(v.svc, caller)
            codes = await regenerate_recovery_codes(v.svc, user, form["codes_password"],
                                                    form["codes_code"][:CODE_MAX], v.client())
        except (GuardError, StoreError) as error:
            return await failed(v, caller, error, "codes_password")
        return codes_page(v, codes, "New recovery codes were made; the old ones no longer work.")


def _add_passkey_routes(router: APIRouter, visitor: Any) -> None:
    V = Annotated[Visit, Depends(visitor)]  # noqa: N806 -- a type alias

    @router.post("/ui/security/passkeys/options")
    async def passkey_options(v: V) -> Response:
        try:
            form = await v.form(["name", "passkey_password"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/security"))
        caller = v.principal
        if caller is None:
            return to_sign_in(v)
        name = form["name"].strip()[:NAME_MAX] or "passkey"
        try:
            options = await registration_options(v.svc, caller, form["passkey_password"],
                                                 v.client())
        except (GuardError, StoreError) as error:
            return await failed(v, caller, error, "passkey_password")
        return v.page("passkey.html", title="Create a passkey", ceremony="create",
                      options=options, action=v.url("/security/passkeys"), return_to="",
                      name=name, intro="Your browser will ask where to keep the passkey: "
                                       "a security key, or this device.",
                      button="Create the passkey", back=v.url("/security"))

    @router.post("/ui/security/passkeys")
    async def passkey_add(v: V) -> Response:
        try:
            form = await v.form(["name", "credential"], ["return_to"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/security"))
        caller = v.principal
        if caller is None:
            return to_sign_in(v)
        name = form["name"].strip()[:NAME_MAX] or "passkey"
        try:
            credential = AttestationCredential.model_validate_json(form["credential"])
        except ValidationError:
            return await security_page(v, caller, status=400, errors={
                "passkey_password": "The browser's answer could not be read; try again."})
        try:
            _, codes = await register_passkey(v.svc, caller, credential, name, v.client())
        except (GuardError, StoreError) as error:
            return await failed(v, caller, error, "passkey_password")
        if codes:
            return codes_page(v, codes, f"The passkey {name!r} was added.")
        return await security_page(v, caller, notice=f"The passkey {name!r} was added.")

    @router.post("/ui/security/passkeys/remove")
    async def passkey_remove(v: V) -> Response:
        try:
            form = await v.form(["passkey_id", "remove_password", "remove_code"])
        except FormRefused as refused:
            return refused_form(v, refused, back=v.url("/security"))
        caller = v.principal
        if caller is None:
            return to_sign_in(v)
        try:
            user = await load_user(v.svc, caller)
            await remove_passkey(v.svc, user, form["passkey_id"][:PASSKEY_ID_MAX],
                                 password=form["remove_password"],
                                 code=form["remove_code"][:CODE_MAX],
                                 client=v.client())
        except (GuardError, StoreError) as error:
            return await failed(v, caller, error, "remove_password")
        return await security_page(v, caller, notice="The passkey was removed.")
