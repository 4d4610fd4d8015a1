"""Email verification: a single-use token, stored hashed, spent in one transaction."""

from __future__ import annotations

from dynaguard.errors import InvalidRequest
from dynaguard.guard.flows.register import VERIFY_PURPOSE
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import Attempt
from dynaguard.guard.tokens import hash_token
from dynaguard.store.onetime import TokenRefused

__all__ = ["verify_email"]


async def verify_email(svc: Services, token: str, address: str) -> None:
    """Spend a verification token; wrong guesses count against the caller's address."""
    attempt = Attempt("verify-email", address, address)
    await svc.throttle.check(attempt)
    token_hash = hash_token(token)
    try:
        found = await svc.onetime.peek(token_hash, VERIFY_PURPOSE)
        await svc.onetime.spend(token_hash, VERIFY_PURPOSE,
                                [svc.users.verify_email_update(found.user_id)])
    except TokenRefused:
        await svc.throttle.failed(attempt)
        raise InvalidRequest("The token is invalid or has expired.") from None
    await svc.account_sync.push(found.user_id)
    await svc.audit.record("email_verified", user_id=found.user_id, address=address)
