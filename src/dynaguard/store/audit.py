"""The audit log: one item per security event, queryable by user and by day, kept by TTL.

Records name who, what, when and from where; they never hold a secret, token or password.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from dynaguard.store.client import Dynamo
from dynaguard.store.codec import encode_item
from dynaguard.store.items import AuditItem, parse_item
from dynaguard.store.schema import GSI1

__all__ = ["ANONYMOUS", "AuditRepository"]

ANONYMOUS = "-"


def _day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


class AuditRepository:
    def __init__(self, db: Dynamo, retention: int) -> None:
        self.db = db
        self.retention = retention

    async def record(
        self, event: str, *, user_id: str | None, address: str = "", **detail: str
    ) -> None:
        now = time.time()
        stamp = f"{now:017.6f}#{uuid.uuid4().hex[:8]}"
        item = AuditItem(
            pk=f"AUDIT#{user_id or ANONYMOUS}", sk=stamp, gsi1pk=f"AUDIT#{_day(now)}",
            gsi1sk=stamp, event=event, user_id=user_id or ANONYMOUS, address=address[:64],
            at=int(now), detail={k: str(v)[:256] for k, v in detail.items()},
            expires_at=int(now) + self.retention,
        )
        await self.db.call(self.db.client.put_item, TableName=self.db.table,
                           Item=encode_item(item.model_dump()))

    async def for_user(
        self, user_id: str, *, since: float = 0, limit: int = 100
    ) -> list[AuditItem]:
        """The user's records, newest first."""
        page = await self.db.call(
            self.db.client.query, TableName=self.db.table, ScanIndexForward=False, Limit=limit,
            KeyConditionExpression="pk = :p AND sk >= :since",
            ExpressionAttributeValues={":p": {"S": f"AUDIT#{user_id}"},
                                       ":since": {"S": f"{since:017.6f}"}},
        )
        items = [parse_item(AuditItem, raw) for raw in page.get("Items", [])]
        return [i for i in items if not i.expired()]

    async def for_day(self, day: str, *, limit: int = 100) -> list[AuditItem]:
        """Every record of one UTC day (``YYYY-MM-DD``), newest first."""
        page = await self.db.call(
            self.db.client.query, TableName=self.db.table, IndexName=GSI1,
            ScanIndexForward=False, Limit=limit, KeyConditionExpression="gsi1pk = :d",
            ExpressionAttributeValues={":d": {"S": f"AUDIT#{day}"}},
        )
        items = [parse_item(AuditItem, raw) for raw in page.get("Items", [])]
        return [i for i in items if not i.expired()]
