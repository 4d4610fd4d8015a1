"""Failure counters for throttling, shared by every instance through the table.

Every change is an atomic ``ADD``; nothing is read, changed and written back. Counters
carry a TTL and are filtered on read when it has passed.
"""

from __future__ import annotations

import time

from dynaguard.errors import StoreUnavailable
from dynaguard.store.client import Dynamo
from dynaguard.store.items import CounterItem, parse_item
from dynaguard.store.schema import key

__all__ = ["CounterRepository", "counter_key"]


def counter_key(name: str, bucket: str = "COUNTER") -> dict[str, dict[str, str]]:
    return key(f"THROTTLE#{name}", bucket)


class CounterRepository:
    def __init__(self, db: Dynamo) -> None:
        self.db = db

    async def read(
        self, keys: list[dict[str, dict[str, str]]]
    ) -> list[CounterItem | None]:
        """The live counters at ``keys`` (in order), in one consistent round trip."""
        found = await self.db.call(
            self.db.client.batch_get_item,
            RequestItems={self.db.table: {"Keys": keys, "ConsistentRead": True}},
        )
        if found.get("UnprocessedKeys"):
            raise StoreUnavailable
        by_key: dict[tuple[str, str], CounterItem] = {}
        for raw in found.get("Responses", {}).get(self.db.table, []):
            item = parse_item(CounterItem, raw)
            if not item.expired():
                by_key[(item.pk, item.sk)] = item
        return [by_key.get((k["pk"]["S"], k["sk"]["S"])) for k in keys]

    async def add_failure(self, counter: dict[str, dict[str, str]], ttl: int) -> int:
        """Count one failure; returns the new total."""
        now = time.time()
        result = await self.db.call(
            self.db.client.update_item, TableName=self.db.table, Key=counter,
            UpdateExpression="ADD failures :one SET last_failure_ms = :now, expires_at = :exp",
            ExpressionAttributeValues={":one": {"N": "1"}, ":now": {"N": str(int(now * 1000))},
                                       ":exp": {"N": str(int(now) + ttl)}},
            ReturnValues="ALL_NEW",
        )
        return parse_item(CounterItem, result["Attributes"]).failures

    async def reset(self, counter: dict[str, dict[str, str]]) -> None:
        await self.db.call(self.db.client.delete_item, TableName=self.db.table, Key=counter)

    def reset_op(self, counter: dict[str, dict[str, str]]) -> dict[str, object]:
        """Transaction item deleting a counter (used when spending an unlock token)."""
        return {"Delete": {"TableName": self.db.table, "Key": counter}}
