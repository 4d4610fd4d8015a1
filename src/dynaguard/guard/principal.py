"""The authenticated caller, as handed to route handlers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dynaguard.errors import AuthenticationFailed
from dynaguard.guard.tokens import AccessClaims
from dynaguard.store.items import AccountState, SessionState, UserItem

if TYPE_CHECKING:
    from dynaguard.guard.services import Services

__all__ = ["Principal", "load_user"]


@dataclass(frozen=True)
class Principal:
    """A user whose token and session were both verified on this request.

    ``user`` is the account as the session's copy has it (kept true by
    ``store.account_sync``); it holds no password hash: :func:`load_user` reads the user
    item for the few operations that need one."""

    user: AccountState
    session: SessionState
    claims: AccessClaims

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def scopes(self) -> frozenset[str]:
        return self.claims.scopes


async def load_user(svc: Services, principal: Principal) -> UserItem:
    """The caller's whole user item, read consistently; a vanished or disabled account, or
    one whose credentials moved on since the session's copy, fails authentication."""
    user = await svc.users.get(principal.id)
    if (user is None or not user.enabled
            or user.credentials_version != principal.user.credentials_version):
        raise AuthenticationFailed
    return user
