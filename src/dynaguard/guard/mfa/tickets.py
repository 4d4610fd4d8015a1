"""Step-up tickets: what a correct password earns an account that has a second factor.

A ticket is 256 random bits, stored only as a hash, bound to the user, to the scopes the
client asked for and to the account's credentials version; it lives five minutes and is
spent in the same transaction as the second factor that redeems it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dynaguard.guard.services import Services
from dynaguard.guard.tokens import hash_token, new_opaque_token
from dynaguard.store.items import UserItem

__all__ = ["TICKET_TTL", "MfaRequired", "issue_ticket"]

TICKET_TTL = 300


@dataclass(frozen=True)
class MfaRequired:
    """The answer to a correct password when a second factor is still owed."""

    mfa_token: str
    methods: list[str]
    expires_in: int = TICKET_TTL

    def body(self) -> dict[str, object]:
        return {"mfa_required": True, "mfa_token": self.mfa_token, "methods": self.methods,
                "expires_in": self.expires_in}


async def issue_ticket(
    svc: Services, user: UserItem, scopes: Sequence[str] | None, address: str
) -> MfaRequired:
    """Store a new ticket for ``user`` and say which factors can redeem it."""
    token = new_opaque_token()
    await svc.mfa.put_ticket(hash_token(token), user, scopes, TICKET_TTL)
    state = await svc.mfa.factors(user.id)
    methods = [name for name, on in (("totp", state.totp_on), ("passkey", bool(state.passkeys)),
                                     ("recovery_code", state.codes_left > 0)) if on]
    await svc.audit.record("mfa_challenged", user_id=user.id, address=address)
    return MfaRequired(token, methods)
