"""Changing the password of a signed-in account (CWE-620, CWE-613).

Security-sensitive: the current password is required and guessed wrong no more often
than at login (per-account backoff and the per-address limit). The change bumps the
credentials version, which ends every session and refresh family of the account, and in
the same transaction carries the caller's session forward to the new version, so the
device that changed the password stays signed in and no other does. A pending password
reset dies with it.
"""

from __future__ import annotations

from dynaguard.errors import AuthenticationFailed, Conflict, InvalidRequest
from dynaguard.guard.policy import check_password
from dynaguard.guard.principal import Principal, load_user
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import Attempt
from dynaguard.store.transactions import TransactionCancelled, transact_write

__all__ = ["change_password", "confirm_password"]


async def confirm_password(
    svc: Services, principal: Principal, password: str, namespace: str, address: str
) -> None:
    """Check the caller's current password, throttled like a login under ``namespace``."""
    attempt = Attempt(namespace, principal.id, address)
    prior_failures = await svc.throttle.check(attempt)
    user = await load_user(svc, principal)
    if not await svc.passwords.verify(user.password_hash, password):
        await svc.throttle.failed(attempt)
        await svc.audit.record("password_check_failed", user_id=principal.id, address=address,
                               purpose=namespace)
        raise InvalidRequest("The current password is not correct.")
    await svc.throttle.succeeded(attempt, prior_failures)


async def change_password(
    svc: Services, principal: Principal, current_password: str, new_password: str, address: str
) -> None:
    await confirm_password(svc, principal, current_password, "password-change", address)
    user = await load_user(svc, principal)
    await check_password(new_password, email=user.email, settings=svc.settings)
    new_hash = await svc.passwords.hash(new_password)
    version = user.credentials_version
    try:
        await transact_write(svc.db, [
            svc.users.replace_password(user, new_hash),
            svc.sessions.carry_forward(principal.session, version, version + 1),
            svc.resets.discard(user.id),
        ])
    except TransactionCancelled as cancelled:
        if cancelled.failed_at(0):
            raise Conflict("The account changed meanwhile; sign in again and retry.") from None
        raise AuthenticationFailed from None
    await svc.account_sync.push(user.id)
    await svc.audit.record("password_changed", user_id=user.id, address=address,
                           sid=principal.session.id)
    svc.post_letter(user.email, "password_changed", reset=False)
