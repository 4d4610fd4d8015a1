"""Sessions and their refresh-token families.

A session is one login, stored in its user's partition (``USER#<id>`` / ``SESSION#<sid>``)
with a copy of the account's state (:class:`~dynaguard.store.items.AccountState`), so
that an authenticated request reads this one item and nothing else. What keeps that copy
true, and why a revocation still holds on the very next request, is written down in
``store.account_sync``: read it before changing anything here.

Its refresh tokens form a family: each use marks the presented token used and writes its
successor in one transaction, conditional on the token being unused, the session live and
the account unchanged. Presenting a used token is reuse: the whole session dies. Tokens
are stored only as SHA-256 hashes (they carry 256 bits, so a fast hash is enough).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from botocore.exceptions import ClientError

from dynaguard.errors import CorruptItem, StoreUnavailable
from dynaguard.store.client import Dynamo, cancellation_codes, error_code
from dynaguard.store.codec import encode_item
from dynaguard.store.items import (
    RefreshItem,
    SessionItem,
    SessionState,
    UserItem,
    parse_gate,
    parse_item,
)
from dynaguard.store.schema import refresh_key, session_key, user_key
from dynaguard.store.users import UserRepository

__all__ = ["AccountChanged", "RefreshRace", "SessionRepository"]

# The one attribute a request's check reads: the session's gate (a ``SessionState``).
_GATE = {"#g": "gate"}
PAGE_SIZE = 100


class RefreshRace(Exception):
    """The refresh token was used, or the session ended, between read and write."""


class AccountChanged(Exception):
    """The account is no longer as the session's copy says: nothing was written."""


def _failed(codes: list[str], index: int) -> bool:
    return index < len(codes) and codes[index] in ("ConditionalCheckFailed",
                                                    "TransactionConflict")


class SessionRepository:
    def __init__(self, db: Dynamo) -> None:
        self.db = db
        self.users = UserRepository(db)

    def new_session(
        self, user: UserItem, *, scopes: Sequence[str], amr: Sequence[str], absolute_ttl: int,
        user_agent: str, address: str,
    ) -> SessionItem:
        now = int(time.time())
        state = SessionState(id=uuid.uuid4().hex, user_id=user.id, scopes=list(scopes),
                             amr=list(amr), expires_at=now + absolute_ttl,
                             account=user.account_state())
        return SessionItem.open(state, created_at=now, user_agent=user_agent[:256],
                                address=address[:64])

    def _refresh_put(
        self, session: SessionState, token_hash: str, idle_ttl: int
    ) -> dict[str, object]:
        now = int(time.time())
        item = RefreshItem(
            pk=f"REFRESH#{token_hash}", sk="REFRESH", session_id=session.id,
            user_id=session.user_id, used=False, created_at=now,
            expires_at=min(now + idle_ttl, session.expires_at or now + idle_ttl),
        )
        return {"Put": {"TableName": self.db.table, "Item": encode_item(item.model_dump()),
                        "ConditionExpression": "attribute_not_exists(pk)"}}

    async def create(
        self, session: SessionItem, refresh_hash: str, idle_ttl: int,
        extra: Sequence[dict[str, object]] = (),
    ) -> None:
        """Store a new session with its first refresh token (and ``extra`` writes), atomically,
        only while the account is still as the session's copy says; else AccountChanged."""
        state = session.state()
        if state is None:
            raise ValueError("a revoked session cannot be created")
        try:
            await self.db.call(self.db.client.transact_write_items, TransactItems=[
                self.users.unchanged_check(state.account),
                {"Put": {"TableName": self.db.table, "Item": encode_item(session.model_dump()),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                self._refresh_put(state, refresh_hash, idle_ttl),
                *extra,
            ])
        except ClientError as error:
            if _failed(cancellation_codes(error), 0):
                raise AccountChanged from None
            raise

    async def get(self, user_id: str, sid: str) -> SessionItem | None:
        """The whole session item, read consistently."""
        found = await self.db.call(
            self.db.client.get_item, TableName=self.db.table, Key=session_key(user_id, sid),
            ConsistentRead=True,
        )
        return parse_item(SessionItem, found["Item"]) if "Item" in found else None

    async def state(self, user_id: str, sid: str) -> SessionState | None:
        """What the per-request check needs: one consistent read of one attribute of one
        item, the gate; None when the session is gone or revoked."""
        gate = await self.db.get_attribute(session_key(user_id, sid), "gate")
        return parse_gate({"gate": gate}) if gate is not None else None

    async def get_with_user(
        self, user_id: str, sid: str
    ) -> tuple[SessionItem | None, UserItem | None]:
        """Session and user in one consistent round trip (for a refresh, which also makes
        sure the user item is whole); CorruptItem when either is damaged."""
        found = await self.db.call(
            self.db.client.batch_get_item,
            RequestItems={self.db.table: {
                "Keys": [session_key(user_id, sid), user_key(user_id)], "ConsistentRead": True}},
        )
        if found.get("UnprocessedKeys"):
            raise StoreUnavailable
        session: SessionItem | None = None
        user: UserItem | None = None
        for item in found.get("Responses", {}).get(self.db.table, []):
            if item.get("sk", {}).get("S") == "PROFILE":
                user = parse_item(UserItem, item)
            else:
                session = parse_item(SessionItem, item)
        return session, user

    async def get_refresh(self, token_hash: str) -> RefreshItem | None:
        found = await self.db.call(
            self.db.client.get_item, TableName=self.db.table, Key=refresh_key(token_hash),
            ConsistentRead=True,
        )
        return parse_item(RefreshItem, found["Item"]) if "Item" in found else None

    async def rotate(
        self, session: SessionState, old_hash: str, new_hash: str, idle_ttl: int
    ) -> None:
        """Spend ``old_hash`` and issue ``new_hash`` atomically: RefreshRace if the token was
        spent meanwhile, AccountChanged if the session or its account is not as read."""
        now = int(time.time())
        try:
            await self.db.call(self.db.client.transact_write_items, TransactItems=[
                {"Update": {
                    "TableName": self.db.table, "Key": refresh_key(old_hash),
                    "UpdateExpression": "SET used = :t",
                    "ConditionExpression": "attribute_exists(pk) AND used = :f",
                    "ExpressionAttributeValues": {":t": {"BOOL": True}, ":f": {"BOOL": False}},
                }},
                {"Update": {
                    "TableName": self.db.table, "Key": session_key(session.user_id, session.id),
                    "UpdateExpression": "SET last_used_at = :now",
                    "ConditionExpression": "#g = :g",
                    "ExpressionAttributeNames": _GATE,
                    "ExpressionAttributeValues": {
                        ":now": {"N": str(now)}, ":g": {"S": session.gate()}},
                }},
                self.users.unchanged_check(session.account),
                self._refresh_put(session, new_hash, idle_ttl),
            ])
        except ClientError as error:
            codes = cancellation_codes(error)
            if _failed(codes, 0):
                raise RefreshRace from None
            if _failed(codes, 1) or _failed(codes, 2):
                # The session ended, or its copy of the account was (or is to be) corrected:
                # not a reuse of the token; the caller reads the session again.
                raise AccountChanged from None
            raise

    async def revoke(self, user_id: str, sid: str) -> None:
        """End one session; its access and refresh tokens fail from the next request on."""
        try:
            await self.db.call(
                self.db.client.update_item, TableName=self.db.table,
                Key=session_key(user_id, sid), UpdateExpression="SET revoked = :t REMOVE #g",
                ConditionExpression="attribute_exists(pk)", ExpressionAttributeNames=_GATE,
                ExpressionAttributeValues={":t": {"BOOL": True}},
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise

    async def pages(self, user_id: str) -> AsyncIterator[list[SessionItem]]:
        """Every session item of the user, a page at a time, read consistently (the table,
        not the GSI: a session written a moment ago is in the first read after it)."""
        kwargs: dict[str, object] = {
            "TableName": self.db.table, "ConsistentRead": True, "Limit": PAGE_SIZE,
            "KeyConditionExpression": "pk = :u AND begins_with(sk, :s)",
            "ExpressionAttributeValues": {":u": {"S": f"USER#{user_id}"},
                                          ":s": {"S": "SESSION#"}},
        }
        while True:
            page = await self.db.call(self.db.client.query, **kwargs)
            yield [s for raw in page.get("Items", []) if (s := await self._parsed(user_id, raw))]
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    async def _parsed(self, user_id: str, raw: dict[str, Any]) -> SessionItem | None:
        """The session item, or None when it is damaged: then it is also revoked, so that
        no copy of an account goes unchecked because it could not be read."""
        try:
            return parse_item(SessionItem, raw)
        except CorruptItem:
            sk = raw.get("sk", {}).get("S", "")
            if isinstance(sk, str) and sk.startswith("SESSION#"):
                await self.revoke(user_id, sk.removeprefix("SESSION#"))
            return None

    async def list_for_user(self, user_id: str) -> list[SessionItem]:
        """The user's live sessions, newest first."""
        result = [s async for page in self.pages(user_id) for s in page
                  if not s.revoked and not s.expired()]
        return sorted(result, key=lambda s: (s.created_at, s.id), reverse=True)

    def carry_forward(
        self, session: SessionState, old_version: int, new_version: int
    ) -> dict[str, object]:
        """Transaction item moving one live session to the user's next credentials version,
        so it survives the bump that ends every other session; only while its gate is
        still ``session`` at ``old_version``."""
        if session.account.credentials_version != old_version:
            raise ValueError("the session is not at the version being left")
        moved = session.model_copy(update={"account": session.account.model_copy(
            update={"credentials_version": new_version})})
        return {"Update": {
            "TableName": self.db.table, "Key": session_key(session.user_id, session.id),
            "UpdateExpression": "SET #g = :new",
            "ConditionExpression": "#g = :old",
            "ExpressionAttributeNames": _GATE,
            "ExpressionAttributeValues": {
                ":new": {"S": moved.gate()}, ":old": {"S": session.gate()}},
        }}

    def rewrite(self, session: SessionItem, state: SessionState) -> dict[str, object]:
        """Transaction item replacing a live session's gate with ``state`` (same session);
        fails when the session was revoked meanwhile."""
        if (state.id, state.user_id) != (session.id, session.user_id):
            raise ValueError("the state is another session's")
        return {"Update": {
            "TableName": self.db.table, "Key": session_key(session.user_id, session.id),
            "UpdateExpression": "SET #g = :g",
            "ConditionExpression": "attribute_exists(#g)",
            "ExpressionAttributeNames": _GATE,
            "ExpressionAttributeValues": {":g": {"S": state.gate()}},
        }}
