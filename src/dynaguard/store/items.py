"""Pydantic models of every stored item: what is read is validated before it is believed.

Models are strict (no coercion: the string "true" is not a boolean, a number is not a
string) and forbid unknown attributes. An item that does not fit is *corrupt*: it is
logged with its key only, counted, and raised as :class:`CorruptItem`, which every
caller treats as a deny. Do not loosen these models to "tolerate" bad data.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any, TypeVar

import structlog
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from dynaguard.errors import CorruptItem
from dynaguard.store.codec import decode_item

__all__ = [
    "AccountState",
    "AuditItem",
    "CounterItem",
    "EmailChangeItem",
    "EmailClaimItem",
    "KeyItem",
    "MfaTicketItem",
    "NoteItem",
    "OneTimeTokenItem",
    "PasskeyClaimItem",
    "PasskeyItem",
    "PasswordResetItem",
    "RecoveryCodeItem",
    "RefreshItem",
    "SessionItem",
    "SessionState",
    "StoredItem",
    "TotpItem",
    "UserItem",
    "corrupt_item_count",
    "parse_gate",
    "parse_item",
]

log = structlog.get_logger("dynaguard.store")
M = TypeVar("M", bound=BaseModel)
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

    @model_validator(mode="after")
    def _key_names_this_user(self) -> UserItem:
        # The id is what tokens and sessions are issued for: an item stored under one
        # user's key but naming another must not open the account it names.
        if (self.pk, self.sk) != (f"USER#{self.id}", "PROFILE"):
            raise ValueError("the key does not match the id")
        return self

    def account_state(self) -> AccountState:
        """The copy of this account's state that its sessions carry."""
        return AccountState(
            id=self.id, email=self.email, email_verified=self.email_verified,
            scopes=list(self.scopes), mfa_enabled=self.mfa_enabled,
            credentials_version=self.credentials_version, created_at=self.created_at,
        )


class AccountState(BaseModel):
    """What a request needs to know of an account, copied into each of its sessions.

    ``store.account_sync`` keeps the copies equal to the user item (see the invariant
    there); nothing else writes them."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    id: str
    email: str
    email_verified: bool
    scopes: list[str]
    mfa_enabled: bool
    credentials_version: int = Field(ge=0)
    created_at: int


class EmailClaimItem(StoredItem):
    user_id: str


class SessionState(BaseModel):
    """What decides a request: a live session's *gate*, stored as one compact JSON string.

    The only attribute an authenticated request reads (see ``store.account_sync``): one
    string is the cheapest value for DynamoDB to return and for us to parse. A revoked
    session has no gate. Written only by :meth:`gate`, so equal states are equal strings,
    which lets a condition compare a whole state at once."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    id: str
    user_id: str
    scopes: list[str]
    amr: list[str]
    expires_at: int | None = None
    account: AccountState

    def expired(self, now: float | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or time.time())

    def is_live(self, user_id: str, sid: str) -> bool:
        """The one rule deciding whether this session still authenticates ``user_id``."""
        return (
            self.id == sid and self.user_id == user_id and self.account.id == user_id
            and not self.expired() and self.account.email_verified
        )

    def gate(self) -> str:
        """The stored form: canonical (fields in order, no spaces)."""
        return self.model_dump_json()


class SessionItem(StoredItem):
    """One login, stored in its user's partition so that every session of an account can
    be listed with a consistent read (which a GSI cannot give). Its decision state is the
    ``gate`` (a :class:`SessionState` as JSON), present exactly while it is not revoked."""

    id: str
    user_id: str
    revoked: bool
    created_at: int
    last_used_at: int
    user_agent: str
    address: str
    gate: str | None = None
    _state: SessionState | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _gate_names_this_session(self) -> SessionItem:
        if (self.pk, self.sk) != (f"USER#{self.user_id}", f"SESSION#{self.id}"):
            raise ValueError("the key does not match the id")
        if self.revoked != (self.gate is None):
            raise ValueError("a session has a gate exactly while it is not revoked")
        if self.gate is not None:
            state = SessionState.model_validate_json(self.gate)
            if (state.id, state.user_id, state.expires_at) != (
                    self.id, self.user_id, self.expires_at):
                raise ValueError("the gate does not name this session")
            self._state = state
        return self

    @classmethod
    def open(cls, state: SessionState, *, created_at: int, user_agent: str,
             address: str) -> SessionItem:
        """A new, live session item for ``state``."""
        return cls(pk=f"USER#{state.user_id}", sk=f"SESSION#{state.id}", id=state.id,
                   user_id=state.user_id, revoked=False, created_at=created_at,
                   last_used_at=created_at, expires_at=state.expires_at,
                   user_agent=user_agent, address=address, gate=state.gate())

    def state(self) -> SessionState | None:
        """The decision state, or None for a revoked session."""
        return self._state

    @property
    def scopes(self) -> list[str]:
        return list(self._state.scopes) if self._state is not None else []


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
    last_failure_ms: int


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


class TotpItem(StoredItem):
    """A TOTP factor; the secret only as AES-GCM ciphertext bound to the user id."""

    user_id: str
    secret_sealed: bytes = Field(min_length=29)
    confirmed: bool
    last_step: int = Field(ge=0)
    created_at: int

    @model_validator(mode="after")
    def _key_names_this_user(self) -> TotpItem:
        if (self.pk, self.sk) != (f"USER#{self.user_id}", "MFA#TOTP"):
            raise ValueError("the key does not match the user")
        return self


class RecoveryCodeItem(StoredItem):
    """One recovery code, known only by its keyed hash (in the sort key)."""

    user_id: str
    used: bool
    created_at: int

    @model_validator(mode="after")
    def _key_names_this_user(self) -> RecoveryCodeItem:
        if self.pk != f"USER#{self.user_id}" or not self.sk.startswith("MFA#RC#"):
            raise ValueError("the key does not match the user")
        return self


class PasskeyItem(StoredItem):
    user_id: str
    credential_id: str = Field(min_length=1, max_length=1400)
    public_key: bytes = Field(min_length=1)
    sign_count: int = Field(ge=0)
    transports: list[str]
    name: str
    created_at: int
    last_used_at: int

    @model_validator(mode="after")
    def _key_names_this_credential(self) -> PasskeyItem:
        # The owner named inside is who the passkey signs in: it must be whose key it sits under.
        digest = hashlib.sha256(self.credential_id.encode()).hexdigest()
        if (self.pk, self.sk) != (f"USER#{self.user_id}", f"MFA#PASSKEY#{digest}"):
            raise ValueError("the key does not match the credential")
        return self


class PasskeyClaimItem(StoredItem):
    user_id: str


class MfaTicketItem(StoredItem):
    """A pending step-up: the password was right, a second factor is still owed."""

    user_id: str
    scopes: list[str] | None = None
    credentials_version: int = Field(ge=0)
    used: bool
    created_at: int


class PasswordResetItem(StoredItem):
    """The account's one live reset token: a newer request or a credentials change ends it."""

    token_hash: str
    credentials_version: int = Field(ge=0)
    created_at: int


class EmailChangeItem(StoredItem):
    """An email change waiting for its confirmation link; a newer request replaces it, and
    any change of credentials (password, reset, revocation, disabling) voids it."""

    token_hash: str
    new_email: str
    credentials_version: int = Field(ge=0)
    created_at: int


def parse_item(model: type[M], item: Mapping[str, Any]) -> M:
    """Validate a raw DynamoDB item; raise :class:`CorruptItem` when it does not fit."""
    try:
        return model.model_validate(decode_item(item))
    except ValidationError as error:
        _corrupt["count"] += 1
        pk = item.get("pk", {}).get("S", "?") if isinstance(item.get("pk"), dict) else "?"
        pk = pk if isinstance(pk, str) else "?"  # a malformed key must not crash the log line
        log.error(
            "corrupt_item",
            model=model.__name__,
            pk=pk.split("#", 1)[0],
            fields=sorted({str(e["loc"][0]) for e in error.errors() if e["loc"]}),
        )
        raise CorruptItem from None


def parse_gate(item: Mapping[str, Any]) -> SessionState | None:
    """The gate of a session item read by projection: None when it is absent (the session
    was revoked); :class:`CorruptItem` when it is not a valid state."""
    raw = item.get("gate")
    if raw is None:
        return None
    text = raw.get("S") if isinstance(raw, dict) else None
    try:
        if isinstance(text, str):
            return SessionState.model_validate_json(text)
    except ValidationError:
        pass
    _corrupt["count"] += 1
    log.error("corrupt_item", model="SessionState", pk="USER", fields=["gate"])
    raise CorruptItem
