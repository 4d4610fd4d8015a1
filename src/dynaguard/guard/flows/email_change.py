"""Changing the email address of an account.

Security-sensitive: the change needs the password, and the new address must prove it
receives mail (a single-use link, stored hashed) before anything switches. The switch is
one transaction: the token spent, the old claim released, the new claim taken only if no
account holds it, the user moved, and any pending password reset (mailed to the old
address) ended. The old address is told afterwards. Whether the new address belongs to
someone else is not revealed to the requester: only the holder of the link learns it.
"""

from __future__ import annotations

from dynaguard.errors import Conflict, InvalidRequest
from dynaguard.guard.flows.password_change import confirm_password
from dynaguard.guard.flows.pending import pending_owner
from dynaguard.guard.letters import mask_email
from dynaguard.guard.links import EMAIL_CONFIRM_PAGE
from dynaguard.guard.principal import Principal
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import Attempt
from dynaguard.guard.tokens import hash_token, new_opaque_token
from dynaguard.store.onetime import TokenRefused
from dynaguard.store.transactions import transact_write
from dynaguard.store.users import normalize_email

__all__ = ["EMAIL_CHANGE_PURPOSE", "confirm_email_change", "request_email_change"]

EMAIL_CHANGE_PURPOSE = "email-change"


async def request_email_change(
    svc: Services, principal: Principal, password: str, new_email: str, address: str
) -> None:
    """Mail a confirmation link to ``new_email``; nothing changes until it is followed."""
    await confirm_password(svc, principal, password, "email-change", address)
    new_email = normalize_email(new_email)
    if new_email == principal.user.email:
        raise InvalidRequest("That is already the account's address.")
    ttl = svc.settings.email_change_ttl
    token = new_opaque_token()
    token_hash = hash_token(token)
    await transact_write(svc.db, [
        svc.onetime.put(token_hash, EMAIL_CHANGE_PURPOSE, principal.id, ttl),
        svc.email_changes.put(principal.id, token_hash, new_email,
                              principal.user.credentials_version, ttl),
    ])
    await svc.audit.record("email_change_requested", user_id=principal.id, address=address)
    svc.post_letter(new_email, "email_change_confirm",
                    link=svc.link(EMAIL_CONFIRM_PAGE, token), token=token, minutes=ttl // 60)


async def confirm_email_change(svc: Services, token: str, address: str) -> None:
    """Switch the account to its confirmed new address and tell the old one."""
    attempt = Attempt("email-confirm", address, address)
    await svc.throttle.check(attempt)
    token_hash = hash_token(token)
    found = await pending_owner(svc, token_hash, EMAIL_CHANGE_PURPOSE, svc.email_changes.get)
    if found is None:
        await svc.throttle.failed(attempt)
        raise InvalidRequest("The token is invalid or has expired.")
    user, pending = found
    if await svc.users.user_id_for_email(pending.new_email) is not None:
        raise Conflict("The address belongs to another account.")
    try:
        await svc.onetime.spend(token_hash, EMAIL_CHANGE_PURPOSE, [
            svc.email_changes.consume(user.id, token_hash),
            *svc.users.change_email_ops(user, pending.new_email),
            svc.resets.discard(user.id),
        ])
    except TokenRefused:
        # Spent meanwhile, the account changed, or the address was claimed in between.
        await svc.throttle.failed(attempt)
        raise InvalidRequest("The token is invalid or has expired.") from None
    await svc.account_sync.push(user.id)
    await svc.audit.record("email_changed", user_id=user.id, address=address)
    svc.post_letter(user.email, "email_changed", new_email=mask_email(pending.new_email))
