"""Enrolling and removing TOTP, and (re)issuing recovery codes.

Security-sensitive: starting an enrolment, removing a factor and regenerating codes all
need the password again; removing and regenerating also need a current code. Turning a
factor on or off and the user's ``mfa_enabled`` flag change in one transaction. Every
change mails the owner and lands in the audit log; no secret or code is ever logged.
"""

from __future__ import annotations

from dataclasses import dataclass

from dynaguard.errors import Conflict, InvalidRequest, NotFound
from dynaguard.guard.flows.login import Client
from dynaguard.guard.mfa.factors import (
    check_code,
    end_other_sessions,
    notify,
    open_totp,
    reauthenticate,
    refused,
    require_factor_session,
    seal_totp,
)
from dynaguard.guard.mfa.recovery import new_codes, recovery_digest
from dynaguard.guard.mfa.totp import matching_step, new_secret, provisioning_uri, qr_svg
from dynaguard.guard.principal import Principal, load_user
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import Attempt
from dynaguard.store.items import UserItem
from dynaguard.store.mfa import FactorState, WriteRefused

__all__ = ["TotpSetup", "begin_totp", "confirm_totp", "disable_totp", "fresh_recovery_codes",
           "regenerate_recovery_codes", "remove_flag_if_last"]

PENDING_TTL = 600
Op = dict[str, object]


@dataclass(frozen=True)
class TotpSetup:
    secret: str
    otpauth_uri: str
    qr_svg: str


def fresh_recovery_codes(
    svc: Services, user_id: str, state: FactorState
) -> tuple[list[str], list[Op]]:
    """New codes and the writes replacing the old ones."""
    codes = new_codes()
    digests = [recovery_digest(svc.kek, user_id, c) for c in codes]
    return codes, [*svc.mfa.delete_ops(state.recovery),
                   *svc.mfa.put_recovery_ops(user_id, digests)]


def remove_flag_if_last(
    svc: Services, user_id: str, remaining: bool, state: FactorState
) -> list[Op]:
    """With no factor left, MFA is off and the recovery codes go too."""
    if remaining:
        return []
    return [svc.mfa.set_mfa_enabled_op(user_id, False), *svc.mfa.delete_ops(state.recovery)]


async def begin_totp(
    svc: Services, caller: Principal, password: str, client: Client
) -> TotpSetup:
    """A new secret awaiting confirmation (the secret is shown this once)."""
    user = await load_user(svc, caller)
    require_factor_session(caller)
    await reauthenticate(svc, user, password, client)
    secret = new_secret()
    try:
        await svc.mfa.put_pending_totp(user.id, seal_totp(svc, user.id, secret), PENDING_TTL)
    except WriteRefused:
        raise Conflict("TOTP is already enabled; disable it first.") from None
    await svc.audit.record("totp_setup_started", user_id=user.id, address=client.address)
    uri = provisioning_uri(secret, user.email, svc.settings.service_name)
    return TotpSetup(secret, uri, qr_svg(uri))


async def confirm_totp(
    svc: Services, caller: Principal, code: str, client: Client
) -> list[str] | None:
    """Turn TOTP on with a first code; the recovery codes when this is the first factor."""
    user = await load_user(svc, caller)
    require_factor_session(caller)
    attempt = Attempt("mfa", user.id, client.address)
    prior_failures = await svc.throttle.check(attempt)
    state = await svc.mfa.factors(user.id)
    pending = state.totp
    if pending is None or pending.confirmed:
        raise InvalidRequest("No TOTP setup is waiting for confirmation.")
    secret = open_totp(svc, pending)
    step = matching_step(secret, code.strip()) if secret is not None else None
    if step is None:
        await refused(svc, attempt, user)
        raise InvalidRequest("The code is not valid.")
    codes: list[str] | None = None
    ops = [svc.mfa.confirm_totp_op(pending, step), svc.mfa.set_mfa_enabled_op(user.id, True)]
    if state.codes_left == 0:
        codes, code_ops = fresh_recovery_codes(svc, user.id, state)
        ops += code_ops
    try:
        await svc.mfa.transact(ops)
    except WriteRefused:
        raise Conflict("The TOTP setup changed meanwhile; start again.") from None
    await svc.account_sync.push(user.id)
    await svc.throttle.succeeded(attempt, prior_failures)
    await svc.audit.record("totp_enabled", user_id=user.id, address=client.address)
    first = not user.mfa_enabled
    if first:
        await end_other_sessions(svc, caller)
    notify(svc, user, "Two-step sign-in is on",
           "An authenticator app was added to your account: signing in now needs its code."
           + (" Your other sessions were signed out." if first else ""))
    return codes


async def disable_totp(
    svc: Services, user: UserItem, password: str, code: str, client: Client
) -> None:
    await reauthenticate(svc, user, password, client)
    state = await svc.mfa.factors(user.id)
    if not state.totp_on:
        raise NotFound("TOTP is not enabled.")
    await check_code(svc, user, code, client)
    state = await svc.mfa.factors(user.id)
    ops = [svc.mfa.delete_totp_op(user.id),
           *remove_flag_if_last(svc, user.id, bool(state.passkeys), state)]
    await svc.mfa.transact(ops)
    await svc.account_sync.push(user.id)
    await svc.audit.record("totp_disabled", user_id=user.id, address=client.address)
    notify(svc, user, "Your authenticator app was removed",
           "The authenticator app was removed from your account."
           + ("" if state.passkeys else " Signing in now needs only your password."))


async def regenerate_recovery_codes(
    svc: Services, user: UserItem, password: str, code: str, client: Client
) -> list[str]:
    """Replace every recovery code (used or not) with ten new ones."""
    await reauthenticate(svc, user, password, client)
    if not (await svc.mfa.factors(user.id)).any_factor:
        raise InvalidRequest("Enable a second factor first.")
    await check_code(svc, user, code, client)
    state = await svc.mfa.factors(user.id)
    codes, ops = fresh_recovery_codes(svc, user.id, state)
    await svc.mfa.transact(ops)
    await svc.audit.record("recovery_codes_regenerated", user_id=user.id, address=client.address)
    notify(svc, user, "New recovery codes were made",
           "New recovery codes were made for your account; the old ones no longer work.")
    return codes
