"""Sessions and their refresh-token families.

A session is one login. Its refresh tokens form a family: each use marks the presented
token used and writes its successor in one transaction, conditional on the token being
unused and the session live. Presenting a used token is reuse: the whole session dies.
Tokens are stored only as SHA-256 hashes (they carry 256 bits, so a fast hash is enough).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

from botocore.exceptions import ClientError

from dynaguard.errors import StoreUnavailable
from dynaguard.store.client import Dynamo, cancelled_by_condition, error_code
from dynaguard.store.codec import encode_item
from dynaguard.store.items import RefreshItem, SessionItem, UserItem, parse_item
from dynaguard.store.schema import GSI1, refresh_key, session_key, user_key

__all__ = ["RefreshRace", "SessionRepository"]


class RefreshRace(Exception):
    """The refresh token was used, or the session ended, between read and write."""


class SessionRepository:
    def __init__(self, db: Dynamo) -> None:
        self.db = db

    def new_session(
        self, user: UserItem, *, scopes: Sequence[str], amr: Sequence[str], absolute_ttl: int,
        user_agent: str, address: str,
    ) -> SessionItem:
        now = int(time.time())
        sid = uuid.uuid4().hex
        return SessionItem(
            pk=f"SESSION#{sid}", sk="SESSION", gsi1pk=f"USER#{user.id}",
            gsi1sk=f"SESSION#{now:012d}#{sid}", id=sid, user_id=user.id, scopes=list(scopes),
            amr=list(amr), credentials_version=user.credentials_version, revoked=False,
            created_at=now, last_used_at=now, expires_at=now + absolute_ttl,
            user_agent=user_agent[:256], address=address[:64],
        )

    def _refresh_put(
        self, session: SessionItem, token_hash: str, idle_ttl: int
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
        """Store a new session with its first refresh token (and ``extra`` writes), atomically."""
        await self.db.call(self.db.client.transact_write_items, TransactItems=[
            {"Put": {"TableName": self.db.table, "Item": encode_item(session.model_dump()),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            self._refresh_put(session, refresh_hash, idle_ttl),
            *extra,
        ])

    async def get(self, sid: str) -> SessionItem | None:
        found = await self.db.call(
            self.db.client.get_item, TableName=self.db.table, Key=session_key(sid),
            ConsistentRead=True,
        )
        return parse_item(SessionItem, found["Item"]) if "Item" in found else None

    async def get_with_user(
        self, sid: str, user_id: str
    ) -> tuple[SessionItem | None, UserItem | None]:
        """Session and user in one consistent round trip (the per-request check)."""
        found = await self.db.call(
            self.db.client.batch_get_item,
            RequestItems={self.db.table: {
                "Keys": [session_key(sid), user_key(user_id)], "ConsistentRead": True}},
        )
        if found.get("UnprocessedKeys"):
            raise StoreUnavailable
        session: SessionItem | None = None
        user: UserItem | None = None
        for item in found.get("Responses", {}).get(self.db.table, []):
            if item.get("sk", {}).get("S") == "SESSION":
                session = parse_item(SessionItem, item)
            else:
                user = parse_item(UserItem, item)
        return session, user

    async def get_refresh(self, token_hash: str) -> RefreshItem | None:
        found = await self.db.call(
            self.db.client.get_item, TableName=self.db.table, Key=refresh_key(token_hash),
            ConsistentRead=True,
        )
        return parse_item(RefreshItem, found["Item"]) if "Item" in found else None

    async def rotate(
        self, session: SessionItem, old_hash: str, new_hash: str, idle_ttl: int,
        credentials_version: int,
    ) -> None:
        """Spend ``old_hash`` and issue ``new_hash`` atomically; RefreshRace if either is stale."""
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
                    "TableName": self.db.table, "Key": session_key(session.id),
                    "UpdateExpression": "SET last_used_at = :now",
                    "ConditionExpression": "revoked = :f AND credentials_version = :cv",
                    "ExpressionAttributeValues": {
                        ":now": {"N": str(now)}, ":f": {"BOOL": False},
                        ":cv": {"N": str(credentials_version)}},
                }},
                self._refresh_put(session, new_hash, idle_ttl),
            ])
        except ClientError as error:
            if cancelled_by_condition(error):
                raise RefreshRace from None
            raise

    async def revoke(self, sid: str) -> None:
        """End one session; its access and refresh tokens fail from the next request on."""
        try:
            await self.db.call(
                self.db.client.update_item, TableName=self.db.table, Key=session_key(sid),
                UpdateExpression="SET revoked = :t", ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":t": {"BOOL": True}},
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise

    async def list_for_user(self, user_id: str) -> list[SessionItem]:
        """The user's live sessions, newest first (GSI: eventually consistent, for display)."""
        result: list[SessionItem] = []
        kwargs: dict[str, object] = {
            "TableName": self.db.table, "IndexName": GSI1,
            "KeyConditionExpression": "gsi1pk = :u AND begins_with(gsi1sk, :s)",
            "ExpressionAttributeValues": {":u": {"S": f"USER#{user_id}"}, ":s": {"S": "SESSION#"}},
            "ScanIndexForward": False,
        }
        while True:
            page = await self.db.call(self.db.client.query, **kwargs)
            for raw in page.get("Items", []):
                session = parse_item(SessionItem, raw)
                if not session.revoked and not session.expired():
                    result.append(session)
            if "LastEvaluatedKey" not in page:
                return result
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def carry_forward(
        self, session: SessionItem, old_version: int, new_version: int
    ) -> dict[str, object]:
        """Transaction item moving one live session to the user's next credentials version,
        so it survives the bump that ends every other session."""
        return {"Update": {
            "TableName": self.db.table, "Key": session_key(session.id),
            "UpdateExpression": "SET credentials_version = :new",
            "ConditionExpression": "revoked = :f AND credentials_version = :old AND user_id = :u",
            "ExpressionAttributeValues": {
                ":new": {"N": str(new_version)}, ":old": {"N": str(old_version)},
                ":f": {"BOOL": False}, ":u": {"S": session.user_id}},
        }}
