"""Looking an account up by email in constant work, for flows that must not tell whether
it exists (password recovery, re-sent verification)."""

from __future__ import annotations

import uuid

from dynaguard.errors import CorruptItem
from dynaguard.guard.services import Services
from dynaguard.store.items import UserItem

__all__ = ["absent_user_id", "find_account"]


def absent_user_id() -> str:
    """An id no account has: work aimed at it costs what real work costs and changes nothing."""
    return f"absent-{uuid.uuid4().hex}"


async def find_account(svc: Services, email: str) -> UserItem | None:
    """The account of ``email`` (normalized) after two consistent reads, found or not;
    a corrupt item counts as no account."""
    try:
        user_id = await svc.users.user_id_for_email(email)
        return await svc.users.get(user_id or absent_user_id())
    except CorruptItem:
        return None
