"""Checking a second factor: a TOTP or recovery code, spent atomically with its effect.

Security-sensitive (CWE-307, CWE-294): every check is throttled per account under the
``mfa`` namespace before any secret is looked at, and counts a failure when refused. A
code is only *accepted* by the conditional write that spends it (a TOTP step moving
forward, a recovery code flipping to used) in one transaction with whatever the code
unlocks, so two requests with one code cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from dynaguard.errors import AuthenticationFailed, GuardError, InvalidRequest, PermissionDenied
from dynaguard.guard.flows.login import Client, authenticate_password
from dynaguard.guard.mfa.policy import multi_factor
from dynaguard.guard.mfa.recovery import is_recovery_code, recovery_digest
from dynaguard.guard.mfa.sealing import SecretBox
from dynaguard.guard.mfa.totp import matching_step
from dynaguard.guard.principal import Principal
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import Attempt
from dynaguard.store.items import AccountState, TotpItem, UserItem
from dynaguard.store.mfa import WriteRefused

__all__ = ["Proof", "check_code", "code_proof", "end_other_sessions", "notify", "open_totp",
           "reauthenticate", "refused", "require_factor_session", "seal_totp", "spend"]

Op = dict[str, object]
TOTP_PURPOSE = "totp-secret"


@dataclass(frozen=True)
class Proof:
    """A second factor that checked out; ``commit`` spends it together with ``extra`` writes
    and raises WriteRefused when it was spent already (replay) or anything else moved."""

    method: str
    commit: Callable[[Sequence[Op]], Awaitable[None]]


def seal_totp(svc: Services, user_id: str, secret: str) -> bytes:
    return SecretBox(svc.kek, TOTP_PURPOSE).seal(secret.encode(), user_id)


def open_totp(svc: Services, item: TotpItem) -> str | None:
    """The TOTP secret, or None (logged nowhere) when it was not sealed for this user."""
    raw = SecretBox(svc.kek, TOTP_PURPOSE).open(item.secret_sealed, item.user_id)
    return raw.decode() if raw is not None else None


async def code_proof(svc: Services, user: UserItem, code: str) -> Proof | None:
    """Check ``code`` as a TOTP or a recovery code; None when it cannot be right."""
    code = code.strip()
    if is_recovery_code(code):
        op = svc.mfa.spend_recovery_op(user.id, recovery_digest(svc.kek, user.id, code))
        return Proof("rc", lambda extra: svc.mfa.transact([op, *extra]))
    state = await svc.mfa.factors(user.id)
    if state.totp is None or not state.totp.confirmed:
        return None
    secret = open_totp(svc, state.totp)
    step = matching_step(secret, code) if secret is not None else None
    if step is None or step <= state.totp.last_step:
        return None
    step_op = svc.mfa.totp_step_op(user.id, step)
    return Proof("otp", lambda extra: svc.mfa.transact([step_op, *extra]))


async def check_code(
    svc: Services, user: UserItem, code: str, client: Client, *, extra: Sequence[Op] = (),
    refuse: type[GuardError] = InvalidRequest,
) -> str:
    """Throttle, check and spend ``code`` with ``extra`` writes; the method (``otp``/``rc``)."""
    attempt = Attempt("mfa", user.id, client.address)
    prior_failures = await svc.throttle.check(attempt)
    proof = await code_proof(svc, user, code)
    if proof is None or not await spend(proof, extra):
        await refused(svc, attempt, user)
        raise refuse("The code is not valid.")
    await svc.throttle.succeeded(attempt, prior_failures)
    return proof.method


async def spend(proof: Proof, extra: Sequence[Op]) -> bool:
    """Commit ``proof`` with ``extra``; False when it was spent already or anything moved."""
    try:
        await proof.commit(extra)
    except WriteRefused:
        return False
    return True


async def refused(svc: Services, attempt: Attempt, user: UserItem) -> None:
    """Count and record a refused second factor."""
    failures = await svc.throttle.failed(attempt)
    await svc.audit.record("mfa_failed", user_id=user.id, address=attempt.address,
                           failures=str(failures))


async def reauthenticate(svc: Services, user: UserItem, password: str, client: Client) -> None:
    """Ask the signed-in user for their password again (throttled like a login)."""
    confirmed = await authenticate_password(svc, user.email, password, client)
    if confirmed.id != user.id:
        raise AuthenticationFailed


def require_factor_session(caller: Principal) -> None:
    """Adding a factor to an account that has one needs a session that used one, so a
    session opened before MFA was turned on cannot slip in a factor of its own."""
    if caller.user.mfa_enabled and not multi_factor(caller.session.amr):
        raise PermissionDenied("Sign in with your second factor first.")


async def end_other_sessions(svc: Services, caller: Principal) -> None:
    """When MFA is turned on, sessions opened with the password alone (perhaps by whoever
    knew it) end; the caller's own session stays."""
    for session in await svc.sessions.list_for_user(caller.id):
        if session.id != caller.session.id:
            await svc.sessions.revoke(caller.id, session.id)


def notify(svc: Services, user: UserItem | AccountState, subject: str, what: str) -> None:
    """Tell the owner about a change to their sign-in factors."""
    svc.post_mail(user.email, subject,
                  f"{what}\n\nIf this was not you, change your password now and review the "
                  "sign-in factors and sessions of your account.\n")
