"""Unlocking an identifier locked by repeated failures, through a link mailed to its owner."""

from __future__ import annotations

import asyncio

import structlog

from dynaguard.errors import InvalidRequest, StoreError
from dynaguard.guard.links import UNLOCK_PAGE
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import Attempt
from dynaguard.guard.tokens import hash_token, new_opaque_token
from dynaguard.store.items import UserItem
from dynaguard.store.onetime import TokenRefused

__all__ = ["UNLOCK_PURPOSE", "UNLOCK_TTL", "schedule_unlock_mail", "unlock"]

UNLOCK_PURPOSE = "unlock"
UNLOCK_TTL = 24 * 3600
log = structlog.get_logger("dynaguard.auth")


def _login_attempt(email: str) -> Attempt:
    return Attempt("login", email, "")


async def _send_unlock(svc: Services, user: UserItem) -> None:
    token = new_opaque_token()
    try:
        await svc.db.call(svc.db.client.transact_write_items, TransactItems=[
            svc.onetime.put(hash_token(token), UNLOCK_PURPOSE, user.id, UNLOCK_TTL)])
        await svc.audit.record("account_locked", user_id=user.id)
    except StoreError:
        log.error("unlock_mail_not_sent", user_id=user.id)
        return
    svc.post_letter(user.email, "unlock", link=svc.link(UNLOCK_PAGE, token), token=token)


def schedule_unlock_mail(svc: Services, user: UserItem) -> None:
    """Mail the owner an unlock link, off the request path."""
    task = asyncio.create_task(_send_unlock(svc, user))
    svc.background(task)


async def unlock(svc: Services, token: str) -> None:
    """Spend an unlock token and clear the owner's login failures."""
    token_hash = hash_token(token)
    try:
        found = await svc.onetime.peek(token_hash, UNLOCK_PURPOSE)
        user = await svc.users.get(found.user_id)
    except TokenRefused:
        raise InvalidRequest("The token is invalid or has expired.") from None
    if user is None:
        raise InvalidRequest("The token is invalid or has expired.")
    reset = svc.throttle.counters.reset_op(_login_attempt(user.email).identifier_key())
    try:
        await svc.onetime.spend(token_hash, UNLOCK_PURPOSE, [reset])
    except TokenRefused:
        raise InvalidRequest("The token is invalid or has expired.") from None
    await svc.audit.record("account_unlocked", user_id=user.id)
