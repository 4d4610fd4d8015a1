"""The pending password reset of each account (``USER#<id>`` / ``RESET``).

It names the one reset token the account honours and the credentials version it was
issued under. Requesting a new reset overwrites it; a reset, a password change or an
email change deletes it; a token is spent only in a transaction whose conditions say this
item still names it and the version still matches, so an older token, or one issued
before the password changed, is refused.
"""

from __future__ import annotations

import time

from dynaguard.store.client import Dynamo
from dynaguard.store.codec import encode_item
from dynaguard.store.items import PasswordResetItem, parse_item
from dynaguard.store.schema import reset_key

__all__ = ["PasswordResetRepository"]


class PasswordResetRepository:
    def __init__(self, db: Dynamo) -> None:
        self.db = db

    def put(
        self, user_id: str, token_hash: str, credentials_version: int, ttl: int
    ) -> dict[str, object]:
        """Transaction item making ``token_hash`` the account's only live reset token."""
        now = int(time.time())
        item = PasswordResetItem(
            pk=f"USER#{user_id}", sk="RESET", token_hash=token_hash,
            credentials_version=credentials_version, created_at=now, expires_at=now + ttl,
        )
        return {"Put": {"TableName": self.db.table, "Item": encode_item(item.model_dump())}}

    async def get(self, user_id: str) -> PasswordResetItem | None:
        """The live pending reset, read consistently; None when absent or expired."""
        found = await self.db.call(
            self.db.client.get_item, TableName=self.db.table, Key=reset_key(user_id),
            ConsistentRead=True,
        )
        if "Item" not in found:
            return None
        item = parse_item(PasswordResetItem, found["Item"])
        return None if item.expired() else item

    def consume(
        self, user_id: str, token_hash: str, credentials_version: int
    ) -> dict[str, object]:
        """Transaction item deleting the pending reset, only if it is still this token's."""
        return {"Delete": {
            "TableName": self.db.table, "Key": reset_key(user_id),
            "ConditionExpression": "token_hash = :h AND credentials_version = :cv",
            "ExpressionAttributeValues": {":h": {"S": token_hash},
                                          ":cv": {"N": str(credentials_version)}},
        }}

    def discard(self, user_id: str) -> dict[str, object]:
        """Transaction item ending any pending reset (after the credentials changed)."""
        return {"Delete": {"TableName": self.db.table, "Key": reset_key(user_id)}}
