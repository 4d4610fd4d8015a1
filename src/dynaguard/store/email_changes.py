"""Pending email changes (``USER#<id>`` / ``EMAIL_CHANGE``): the new address waiting
for its confirmation link. A newer request replaces it, so only the newest link works."""

from __future__ import annotations

import time

from dynaguard.store.client import Dynamo
from dynaguard.store.codec import encode_item
from dynaguard.store.items import EmailChangeItem, parse_item
from dynaguard.store.schema import email_change_key

__all__ = ["EmailChangeRepository"]


class EmailChangeRepository:
    def __init__(self, db: Dynamo) -> None:
        self.db = db

    def put(
        self, user_id: str, token_hash: str, new_email: str, credentials_version: int, ttl: int
    ) -> dict[str, object]:
        """Transaction item recording the requested address and the token confirming it,
        valid only while the account's credentials stay at ``credentials_version``."""
        now = int(time.time())
        item = EmailChangeItem(
            pk=f"USER#{user_id}", sk="EMAIL_CHANGE", token_hash=token_hash, new_email=new_email,
            credentials_version=credentials_version, created_at=now, expires_at=now + ttl,
        )
        return {"Put": {"TableName": self.db.table, "Item": encode_item(item.model_dump())}}

    async def get(self, user_id: str) -> EmailChangeItem | None:
        """The live pending change, read consistently; None when absent or expired."""
        found = await self.db.call(
            self.db.client.get_item, TableName=self.db.table, Key=email_change_key(user_id),
            ConsistentRead=True,
        )
        if "Item" not in found:
            return None
        item = parse_item(EmailChangeItem, found["Item"])
        return None if item.expired() else item

    def consume(self, user_id: str, token_hash: str) -> dict[str, object]:
        """Transaction item deleting the pending change, only if it is still this token's."""
        return {"Delete": {
            "TableName": self.db.table, "Key": email_change_key(user_id),
            "ConditionExpression": "token_hash = :h",
            "ExpressionAttributeValues": {":h": {"S": token_hash}},
        }}
