"""The audit log: one item per security event, queryable by user and by day, kept by TTL.

Records name who, what, when and from where; they never hold a secret, token or password.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import structlog

from dynaguard.store.client import Dynamo
from dynaguard.store.codec import encode_item
from dynaguard.store.items import AuditItem, parse_item
from dynaguard.store.schema import GSI1

__all__ = ["ANONYMOUS", "AuditRepository"]

ANONYMOUS = "-"
MAX_PAGES = 20
log = structlog.get_logger("dynaguard.audit")


def _stamp(epoch: float) -> str:
    return f"{epoch:017.6f}"


def _day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


class AuditRepository:
    def __init__(self, db: Dynamo, retention: int) -> None:
        self.db = db
        self.retention = retention

    def _item(self, event: str, user_id: str | None, address: str,
              detail: dict[str, str]) -> AuditItem:
        now = time.time()
        stamp = f"{_stamp(now)}#{uuid.uuid4().hex[:8]}"
        return AuditItem(
            pk=f"AUDIT#{user_id or ANONYMOUS}", sk=stamp, gsi1pk=f"AUDIT#{_day(now)}",
            gsi1sk=stamp, event=event, user_id=user_id or ANONYMOUS, address=address[:64],
            at=int(now), detail={k: str(v)[:256] for k, v in detail.items()},
            expires_at=int(now) + self.retention,
        )

    async def record(
        self, event: str, *, user_id: str | None, address: str = "", **detail: str
    ) -> None:
        item = self._item(event, user_id, address, detail)
        await self.db.call(self.db.client.put_item, TableName=self.db.table,
                           Item=encode_item(item.model_dump()))
        self.logged(item)

    def put_op(
        self, event: str, *, user_id: str | None, address: str = "", **detail: str
    ) -> tuple[dict[str, object], AuditItem]:
        """A transaction item writing this record with other changes, and the record (pass
        it to :meth:`logged` once the transaction has succeeded)."""
        item = self._item(event, user_id, address, detail)
        return {"Put": {"TableName": self.db.table, "Item": encode_item(item.model_dump())}}, item

    @staticmethod
    def logged(item: AuditItem) -> None:
        """Send a stored record to the process log."""
        log.info("audit", audit_event=item.event, user_id=item.user_id, address=item.address,
                 detail=item.detail)

    async def for_user(
        self, user_id: str, *, since: float = 0, until: float | None = None, limit: int = 100
    ) -> list[AuditItem]:
        """The user's records between ``since`` and ``until`` (epoch seconds), newest first."""
        return await self._query(
            {"TableName": self.db.table,
             "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b"},
            {":p": {"S": f"AUDIT#{user_id}"}}, since, until, limit)

    async def for_day(
        self, day: str, *, since: float = 0, until: float | None = None, limit: int = 100
    ) -> list[AuditItem]:
        """Every record of one UTC day (``YYYY-MM-DD``), newest first."""
        return await self._query(
            {"TableName": self.db.table, "IndexName": GSI1,
             "KeyConditionExpression": "gsi1pk = :p AND gsi1sk BETWEEN :a AND :b"},
            {":p": {"S": f"AUDIT#{day}"}}, since, until, limit)

    async def between(self, since: float, until: float, *, limit: int = 100) -> list[AuditItem]:
        """Every record between ``since`` and ``until``, newest first, day by day."""
        found: list[AuditItem] = []
        day = datetime.fromtimestamp(until, UTC).date()
        first = datetime.fromtimestamp(since, UTC).date()
        while day >= first and len(found) < limit:
            found += await self.for_day(day.isoformat(), since=since, until=until,
                                        limit=limit - len(found))
            day -= timedelta(days=1)
        return found

    async def _query(
        self, base: dict[str, object], values: dict[str, object], since: float,
        until: float | None, limit: int,
    ) -> list[AuditItem]:
        # Stamps are fixed-width, so string order is time order; "~" sorts after "#<id>".
        upper = time.time() if until is None else until
        kwargs: dict[str, object] = {
            **base, "ScanIndexForward": False, "Limit": limit,
            "ExpressionAttributeValues": {**values, ":a": {"S": _stamp(max(since, 0))},
                                          ":b": {"S": _stamp(upper) + "~"}},
        }
        found: list[AuditItem] = []
        for _ in range(MAX_PAGES):
            page = await self.db.call(self.db.client.query, **kwargs)
            items = (parse_item(AuditItem, raw) for raw in page.get("Items", []))
            found += [i for i in items if not i.expired()]
            if len(found) >= limit or "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found[:limit]
