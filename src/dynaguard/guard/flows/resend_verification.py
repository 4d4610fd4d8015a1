"""Re-sending the email-verification link without telling whether an account exists.

Security-sensitive (CWE-204): every address gets the same ``202`` after the same
request-path work (one throttle read). Counting the request, the lookup, storing a token
and rendering the mail happen in a background task that does the same either way: for an
account that is not waiting for verification the token belongs to an id no account has
(spending it verifies nothing) and the mail is not delivered. Requests are counted per
address submitted and per client, since each one may send a mail.
"""

from __future__ import annotations

import asyncio

import structlog

from dynaguard.errors import StoreError
from dynaguard.guard.flows.accounts import absent_user_id, find_account
from dynaguard.guard.flows.password_reset import request_attempt
from dynaguard.guard.flows.register import VERIFY_PURPOSE
from dynaguard.guard.letters import render_letter
from dynaguard.guard.links import VERIFY_EMAIL_PAGE
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import Attempt
from dynaguard.guard.tokens import hash_token, new_opaque_token
from dynaguard.store.transactions import TransactionCancelled, transact_write
from dynaguard.store.users import normalize_email

__all__ = ["resend_verification"]

log = structlog.get_logger("dynaguard.auth")


async def resend_verification(svc: Services, email: str, address: str) -> None:
    email = normalize_email(email)
    attempt = request_attempt("verify-resend", email, address)
    await svc.throttle.check(attempt, charged=True)
    svc.background(asyncio.create_task(_send_verification(svc, attempt)))


async def _send_verification(svc: Services, attempt: Attempt) -> None:
    email = attempt.identifier
    ttl = svc.settings.verify_ttl
    token = new_opaque_token()
    try:
        await svc.throttle.failed(attempt)
        user = await find_account(svc, email)
        waiting = user is not None and user.enabled and not user.email_verified
        user_id = user.id if user is not None and waiting else absent_user_id()
        letter = render_letter("verify_email", service=svc.settings.service_name,
                               link=svc.link(VERIFY_EMAIL_PAGE, token), token=token,
                               hours=ttl // 3600)
        # Stored either way: a token of an absent id verifies nothing (spending it is
        # conditional on the account existing).
        await transact_write(svc.db, [
            svc.onetime.put(hash_token(token), VERIFY_PURPOSE, user_id, ttl)])
    except (StoreError, TransactionCancelled):
        log.error("verification_not_resent")
        return
    if waiting:
        svc.post_mail(email, letter.subject, letter.text, letter.html)
