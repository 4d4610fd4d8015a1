"""The authenticated caller, as handed to route handlers."""

from __future__ import annotations

from dataclasses import dataclass

from dynaguard.guard.tokens import AccessClaims
from dynaguard.store.items import SessionItem, UserItem

__all__ = ["Principal"]


@dataclass(frozen=True)
class Principal:
    """A user whose token and session were both verified on this request."""

    user: UserItem
    session: SessionItem
    claims: AccessClaims

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def scopes(self) -> frozenset[str]:
        return self.claims.scopes
