"""Signing keys of the ring, shared by every instance through the table.

Private keys are stored only encrypted; this module never sees them in clear.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from dynaguard.store.client import Dynamo, cancelled_by_condition, error_code
from dynaguard.store.codec import encode_item
from dynaguard.store.items import KeyItem, parse_item

__all__ = ["KeyRepository"]


class KeyRepository:
    def __init__(self, db: Dynamo) -> None:
        self.db = db

    async def all(self) -> list[KeyItem]:
        """Every unexpired key of the ring, oldest first."""
        page = await self.db.call(
            self.db.client.query, TableName=self.db.table, ConsistentRead=True,
            KeyConditionExpression="pk = :p AND begins_with(sk, :k)",
            ExpressionAttributeValues={":p": {"S": "KEYRING"}, ":k": {"S": "KEY#"}},
        )
        keys = [parse_item(KeyItem, raw) for raw in page.get("Items", [])]
        return sorted((k for k in keys if not k.expired()), key=lambda k: k.created_at)

    async def add(self, key: KeyItem) -> bool:
        """Store a new key; False if one with that id exists already."""
        try:
            await self.db.call(
                self.db.client.put_item, TableName=self.db.table,
                Item=encode_item(key.model_dump()), ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    async def add_first(self, key: KeyItem) -> bool:
        """Store the ring's first key unless another instance did already (one marker item
        makes concurrent first starts agree on a single key)."""
        try:
            await self.db.call(self.db.client.transact_write_items, TransactItems=[
                {"Put": {"TableName": self.db.table,
                         "Item": {"pk": {"S": "KEYRING"}, "sk": {"S": "INIT"}},
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Put": {"TableName": self.db.table, "Item": encode_item(key.model_dump()),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
            ])
        except ClientError as error:
            if cancelled_by_condition(error):
                return False
            raise
        return True

    async def add_expiry(self, kid: str, expires_at: int) -> None:
        """Schedule a retired key's end: it verifies until then, then leaves the ring."""
        await self.db.call(
            self.db.client.update_item, TableName=self.db.table,
            Key={"pk": {"S": "KEYRING"}, "sk": {"S": f"KEY#{kid}"}},
            UpdateExpression="SET expires_at = :e", ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":e": {"N": str(expires_at)}},
        )
