"""Single-use tokens sent by mail (email verification; later password reset, unlock).

Only a SHA-256 hash is stored. Spending a token is a conditional write in the same
transaction as its effect, so two concurrent uses cannot both succeed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from botocore.exceptions import ClientError

from dynaguard.store.client import Dynamo, cancelled_by_condition
from dynaguard.store.codec import encode_item
from dynaguard.store.items import OneTimeTokenItem, parse_item
from dynaguard.store.schema import token_key

__all__ = ["OneTimeTokenRepository", "TokenRefused"]


class TokenRefused(Exception):
    """The token is unknown, used, expired or meant for something else."""


class OneTimeTokenRepository:
    def __init__(self, db: Dynamo) -> None:
        self.db = db

    def put(self, token_hash: str, purpose: str, user_id: str, ttl: int) -> dict[str, object]:
        """Transaction item storing a new token."""
        now = int(time.time())
        item = OneTimeTokenItem(
            pk=f"TOKEN#{token_hash}", sk="TOKEN", purpose=purpose, user_id=user_id, used=False,
            created_at=now, expires_at=now + ttl,
        )
        return {"Put": {"TableName": self.db.table, "Item": encode_item(item.model_dump()),
                        "ConditionExpression": "attribute_not_exists(pk)"}}

    async def peek(self, token_hash: str, purpose: str) -> OneTimeTokenItem:
        """The live token for ``purpose``; TokenRefused otherwise (corrupt items raise)."""
        found = await self.db.call(
            self.db.client.get_item, TableName=self.db.table, Key=token_key(token_hash),
            ConsistentRead=True,
        )
        if "Item" not in found:
            raise TokenRefused
        token = parse_item(OneTimeTokenItem, found["Item"])
        if token.used or token.expired() or token.purpose != purpose:
            raise TokenRefused
        return token

    async def spend(
        self, token_hash: str, purpose: str, effects: Sequence[dict[str, object]]
    ) -> None:
        """Mark the token used and apply ``effects`` atomically, or raise TokenRefused."""
        now = int(time.time())
        try:
            await self.db.call(self.db.client.transact_write_items, TransactItems=[
                {"Update": {
                    "TableName": self.db.table, "Key": token_key(token_hash),
                    "UpdateExpression": "SET used = :t",
                    "ConditionExpression": (
                        "attribute_exists(pk) AND used = :f AND purpose = :p AND expires_at > :now"
                    ),
                    "ExpressionAttributeValues": {
                        ":t": {"BOOL": True}, ":f": {"BOOL": False}, ":p": {"S": purpose},
                        ":now": {"N": str(now)}},
                }},
                *effects,
            ])
        except ClientError as error:
            if cancelled_by_condition(error):
                raise TokenRefused from None
            raise
