"""Administrative operations, shared by the ``/admin`` routes and the command line.

Every change is audited under the account it touches, naming the actor
(``user:<id>`` for an administrator over HTTP, ``cli`` for the command line).
Security-sensitive: disabling an account and revoking its sessions bump its credentials
version, and every change is pushed to the account's sessions (``store.account_sync``)
before it is answered, so every session it has dies, or loses the scope, on its next
request, on every instance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from botocore.exceptions import ClientError

from dynaguard.errors import InvalidRequest, NotFound
from dynaguard.guard.keyring import SigningKey, retire_after
from dynaguard.guard.services import Services
from dynaguard.store.client import error_code
from dynaguard.store.directory import UserDirectory
from dynaguard.store.items import UserItem

__all__ = [
    "SCOPE_PATTERN",
    "SECOND_FACTORS",
    "directory",
    "disable_user",
    "enable_user",
    "get_user",
    "grant_scope",
    "has_second_factor",
    "remove_scope",
    "revoke_user_sessions",
    "rotate_signing_key",
]

# amr values (RFC 8176) that prove a factor beyond the password: TOTP, recovery code, passkey.
SECOND_FACTORS = frozenset({"otp", "rc", "hwk"})
SCOPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,63}$"


def has_second_factor(amr: Iterable[str]) -> bool:
    return not SECOND_FACTORS.isdisjoint(amr)


def directory(svc: Services) -> UserDirectory:
    return UserDirectory(svc.db)


async def get_user(svc: Services, user_id: str) -> UserItem:
    user = await svc.users.get(user_id[:64])
    if user is None:
        raise NotFound("No such user.")
    return user


async def _set_enabled(
    svc: Services, user_id: str, enabled: bool, *, actor: str, address: str
) -> None:
    user = await get_user(svc, user_id)
    try:
        await svc.users.set_enabled(user.id, enabled)
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            raise NotFound("No such user.") from None
        raise
    await svc.account_sync.push(user.id)
    svc.session_cache.forget_user(user.id)
    event = "admin_user_enabled" if enabled else "admin_user_disabled"
    await svc.audit.record(event, user_id=user.id, address=address, actor=actor)


async def disable_user(svc: Services, user_id: str, *, actor: str, address: str = "") -> None:
    """Refuse the account's logins and end every session it has."""
    await _set_enabled(svc, user_id, False, actor=actor, address=address)


async def enable_user(svc: Services, user_id: str, *, actor: str, address: str = "") -> None:
    """Allow logins again; sessions ended by the disabling stay ended."""
    await _set_enabled(svc, user_id, True, actor=actor, address=address)


async def revoke_user_sessions(
    svc: Services, user_id: str, *, actor: str, address: str = ""
) -> None:
    """End every session of the account at once."""
    user = await get_user(svc, user_id)
    await svc.users.bump_credentials_version(user.id)
    await svc.account_sync.push(user.id)
    svc.session_cache.forget_user(user.id)
    await svc.audit.record("admin_sessions_revoked", user_id=user.id, address=address,
                           actor=actor)


def _check_scope(scope: str) -> None:
    if not re.fullmatch(SCOPE_PATTERN, scope):
        raise InvalidRequest("A scope is 1-64 letters, digits and ':._-'.")


async def grant_scope(
    svc: Services, user_id: str, scope: str, *, actor: str, address: str = ""
) -> bool:
    """Give the account ``scope``; its next login carries it. True when it was new."""
    _check_scope(scope)
    user = await get_user(svc, user_id)
    added = await directory(svc).grant_scope(user.id, scope)
    # Pushed even when nothing was added: an earlier push may have been interrupted.
    await svc.account_sync.push(user.id)
    if added:
        await svc.audit.record("admin_scope_granted", user_id=user.id, address=address,
                               actor=actor, scope=scope)
    return added


async def remove_scope(
    svc: Services, user_id: str, scope: str, *, actor: str, address: str = ""
) -> bool:
    """Take ``scope`` away; tokens already issued lose it on their next request."""
    _check_scope(scope)
    user = await get_user(svc, user_id)
    removed = await directory(svc).remove_scope(user.id, scope)
    await svc.account_sync.push(user.id)
    if removed:
        svc.session_cache.forget_user(user.id)
        await svc.audit.record("admin_scope_removed", user_id=user.id, address=address,
                               actor=actor, scope=scope)
    return removed


async def rotate_signing_key(svc: Services, *, actor: str) -> SigningKey:
    """Add a signing key; older keys verify until every token they signed has expired."""
    key = await svc.tokens.ring.rotate(retire_after(svc.settings))
    await svc.audit.record("signing_key_rotated", user_id=None, actor=actor, kid=key.kid)
    return key
