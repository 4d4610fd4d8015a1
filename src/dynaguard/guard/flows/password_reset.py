"""Password recovery (CWE-640): ``forgot`` mails a single-use link, ``reset`` spends it.

Security-sensitive, and easy to weaken by accident:
- ``forgot`` does the same request-path work for every address (one throttle read, one
  task started) and answers the same ``202``. Counting the request, finding the account,
  storing the token and mailing happen in a background task that costs the same round
  trips and writes either way: for an unknown or disabled address a token is stored for
  an id no account has (it can reset nothing and expires with the others), and the
  letter is rendered and composed; it is only not delivered (we never mail strangers on
  request). Work left behind by one answer slows the next request, so it must be equal too.
- Tokens carry 256 bits from ``secrets``; only their SHA-256 hash is stored. Only the
  account's newest token is honoured (the ``RESET`` item names it), and only while the
  credentials version it was issued under is current: a newer request, a password
  change, an email change or a logout-all ends it.
- ``reset`` spends the token in one transaction: the token marked used, the ``RESET``
  item deleted and the password replaced with the credentials version bumped, each
  conditional. Concurrent uses succeed once; every session and refresh family dies.
"""

from __future__ import annotations

import asyncio

import structlog

from dynaguard.errors import InvalidRequest, StoreError
from dynaguard.guard.flows.accounts import absent_user_id, find_account
from dynaguard.guard.flows.pending import pending_owner
from dynaguard.guard.letters import render_letter
from dynaguard.guard.links import PASSWORD_RESET_PAGE
from dynaguard.guard.policy import check_password
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import Attempt
from dynaguard.guard.tokens import hash_token, new_opaque_token
from dynaguard.store.items import UserItem
from dynaguard.store.onetime import TokenRefused
from dynaguard.store.transactions import TransactionCancelled, transact_write
from dynaguard.store.users import normalize_email

__all__ = ["RESET_PURPOSE", "forgot_password", "request_attempt", "reset_password"]

RESET_PURPOSE = "password-reset"
log = structlog.get_logger("dynaguard.auth")


def request_attempt(namespace: str, email: str, address: str) -> Attempt:
    """An attempt counting every request for ``email`` (each may send a mail); the
    address bucket is the flow's own, so mail requests never eat a client's login budget."""
    return Attempt(namespace, email, address, pool=namespace)


async def forgot_password(svc: Services, email: str, address: str) -> None:
    """Accept a reset request; the mail, if any, leaves from a background task."""
    email = normalize_email(email)
    attempt = request_attempt("password-forgot", email, address)
    await svc.throttle.check(attempt, charged=True)
    svc.background(asyncio.create_task(_issue_reset_token(svc, attempt, address)))


async def _issue_reset_token(svc: Services, attempt: Attempt, address: str) -> None:
    email = attempt.identifier
    ttl = svc.settings.reset_ttl
    token = new_opaque_token()
    token_hash = hash_token(token)
    link = svc.link(PASSWORD_RESET_PAGE, token)
    try:
        await svc.throttle.failed(attempt)
        user = await find_account(svc, email)
        owner = user if user is not None and user.enabled else None
        user_id = owner.id if owner is not None else absent_user_id()
        version = owner.credentials_version if owner is not None else 0
        letter = render_letter("password_reset", service=svc.settings.service_name, link=link,
                               token=token, minutes=ttl // 60)
        # Stored either way: a token of an absent id resets nothing, and a write that
        # succeeds for one address and is cancelled for another costs the engine
        # differently (moto restores a copy of the whole table on cancellation).
        await transact_write(svc.db, [
            svc.onetime.put(token_hash, RESET_PURPOSE, user_id, ttl),
            svc.resets.put(user_id, token_hash, version, ttl),
        ])
        await svc.audit.record("password_reset_requested",
                               user_id=owner.id if owner is not None else None, address=address)
    except (StoreError, TransactionCancelled):
        log.error("password_reset_not_issued")
        return
    # Strangers are never mailed on request; their letter is composed all the same.
    svc.post_mail(email, letter.subject, letter.text, letter.html, deliver=owner is not None)


def _reset_attempt(address: str) -> Attempt:
    return Attempt("password-reset", address, address)


async def _refuse(svc: Services, attempt: Attempt) -> InvalidRequest:
    await svc.throttle.failed(attempt)
    return InvalidRequest("The token is invalid or has expired.")


async def _pending_owner(svc: Services, token_hash: str) -> UserItem | None:
    """The account this token may still reset, or None."""
    found = await pending_owner(svc, token_hash, RESET_PURPOSE, svc.resets.get)
    if found is None:
        return None
    user, _ = found
    return user


async def reset_password(svc: Services, token: str, new_password: str, address: str) -> None:
    """Set a new password with a mailed token; every session of the account ends."""
    attempt = _reset_attempt(address)
    await svc.throttle.check(attempt)
    token_hash = hash_token(token)
    user = await _pending_owner(svc, token_hash)
    if user is None:
        raise await _refuse(svc, attempt)
    await check_password(new_password, email=user.email, settings=svc.settings)
    new_hash = await svc.passwords.hash(new_password)
    # A reset proves control of the mailbox: it verifies the address and lifts a
    # sign-in lock, like the unlock link would.
    login_counter = Attempt("login", user.email, "").identifier_key()
    try:
        await svc.onetime.spend(token_hash, RESET_PURPOSE, [
            svc.resets.consume(user.id, token_hash, user.credentials_version),
            svc.users.replace_password(user, new_hash, verify_email=True),
            svc.throttle.counters.reset_op(login_counter),
        ])
    except TokenRefused:
        raise await _refuse(svc, attempt) from None
    await svc.account_sync.push(user.id)
    await svc.audit.record("password_reset", user_id=user.id, address=address)
    svc.post_letter(user.email, "password_changed", reset=True)
