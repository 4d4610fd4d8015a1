"""Pydantic models of every stored item: what is read is validated before it is believed.

Models are strict (no coercion: the string "true" is not a boolean, a number is not a
string) and forbid unknown attributes. An item that does not fit is *corrupt*: it is
logged with its key only, counted, and raised as :class:`CorruptItem`, which every
caller treats as a deny. Do not loosen these models to "tolerate" bad data.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dynaguard.errors import CorruptItem
from dynaguard.store.codec import decode_item

__all__ = [
    "AuditItem",
    "CounterItem",
    "EmailChangeItem",
    "EmailClaimItem",
    "KeyItem",
    "NoteItem",
    "OneTimeTokenItem",
    "PasswordResetItem",
    "RefreshItem",
    "SessionItem",
    "StoredItem",
    "UserItem",
    "corrupt_item_count",
    "parse_item",
]

log = structlog.get_logger("dynaguard.store")
M = TypeVar("M", bound="StoredItem")
_corrupt = {"count": 0}


def corrupt_item_count() -> int:
    """How many corrupt items this process has refused."""
    return _corrupt["count"]


class StoredItem(BaseModel):
    """Base of stored items: strict, closed, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    pk: str
    sk: str
    expires_at: int | None = None

    def expired(self, now: float | None = None) -> bool:
        """True when the item's TTL has passed (DynamoDB may not have deleted it yet)."""
        return self.expires_at is not None and self.expires_at <= (now or time.time())


class UserItem(StoredItem):
    gsi1pk: str
    gsi1sk: str
    id: str
    email: str
    password_hash: str = Field(min_length=1)
    enabled: bool
    email_verified: bool
    scopes: list[str]
    credentials_version: int = Field(ge=0)
    mfa_enabled: bool
    created_at: int


class EmailClaimItem(StoredItem):
    user_id: str


class SessionItem(StoredItem):
    gsi1pk: str
    gsi1sk: str
    id: str
    user_id: str
    scopes: list[str]
    amr: list[str]
    credentials_version: int
    revoked: bool
    created_at: int
    last_used_at: int
    user_agent: str
    address: str


class RefreshItem(StoredItem):
    session_id: str
    user_id: str
    used: bool
    created_at: int


class OneTimeTokenItem(StoredItem):
    purpose: str
    user_id: str
    used: bool
    created_at: int


class KeyItem(StoredItem):
    kid: str
    alg: str
    public_key: str
    private_key_encrypted: bytes
    created_at: int


class CounterItem(StoredItem):
    failures: int = Field(ge=0)
    last_failure_at: int


class AuditItem(StoredItem):
    gsi1pk: str
    gsi1sk: str
    event: str
    user_id: str
    address: str
    at: int
    detail: dict[str, str]


class NoteItem(StoredItem):
    id: str
    user_id: str
    text: str
    created_at: int


class PasswordResetItem(StoredItem):
    """The account's one live reset token: a newer request or a credentials change ends it."""

    token_hash: str
    credentials_version: int = Field(ge=0)
    created_at: int


class EmailChangeItem(StoredItem):
    """An email change waiting for its confirmation link; a newer request replaces it."""

    token_hash: str
    new_email: str
    created_at: int


def parse_item(model: type[M], item: Mapping[str, Any]) -> M:
    """Validate a raw DynamoDB item; raise :class:`CorruptItem` when it does not fit."""
    try:
        return model.model_validate(decode_item(item))
    except ValidationError as error:
        _corrupt["count"] += 1
        pk = item.get("pk", {}).get("S", "?") if isinstance(item.get("pk"), dict) else "?"
        log.error(
            "corrupt_item",
            model=model.__name__,
            pk=pk.split("#", 1)[0],
            fields=sorted({str(e["loc"][0]) for e in error.errors() if e["loc"]}),
        )
        raise CorruptItem from None
