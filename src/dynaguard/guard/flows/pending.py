"""The one rule for a mailed token that stands for a pending change (reset, email change).

Security-sensitive: the token must be live for its purpose, its account enabled, and it
must still be the newest token of that kind for the account (compared in constant time),
issued under the account's current credentials version; anything else, a corrupt item
included, is no owner at all.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from dynaguard.errors import CorruptItem
from dynaguard.guard.services import Services
from dynaguard.store.items import UserItem
from dynaguard.store.onetime import TokenRefused

__all__ = ["Pending", "pending_owner"]


class Pending(Protocol):
    @property
    def token_hash(self) -> str: ...

    @property
    def credentials_version(self) -> int: ...


P = TypeVar("P", bound=Pending)


async def pending_owner(
    svc: Services, token_hash: str, purpose: str,
    load_pending: Callable[[str], Awaitable[P | None]],
) -> tuple[UserItem, P] | None:
    """The enabled account and its pending record this token still speaks for, or None."""
    try:
        found = await svc.onetime.peek(token_hash, purpose)
        pending = await load_pending(found.user_id)
        user = await svc.users.get(found.user_id)
    except (TokenRefused, CorruptItem):
        return None
    if user is None or pending is None or not user.enabled:
        return None
    if not hmac.compare_digest(pending.token_hash, token_hash):
        return None  # a newer token of this kind was requested
    if pending.credentials_version != user.credentials_version:
        return None  # the credentials changed (password, reset, revocation) since it was issued
    return user, pending
