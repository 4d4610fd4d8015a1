"""Read-only access to the audited table: three Describe calls and a bounded Scan.

These four operations are all the audit may call (docs/audit.md lists them as the IAM
policy it needs); nothing here writes, and every Scan page is capped in size and count.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dynaguard.scan.errors import TargetUnreachable
from dynaguard.store.client import error_code

__all__ = ["TableFacts", "TableReader", "Unavailable"]

Progress = Callable[[int], None]
DENIED = frozenset({"AccessDeniedException", "UnrecognizedClientException",
                    "UnknownOperationException", "ValidationException"})


@dataclass(frozen=True)
class Unavailable:
    """A Describe call that did not answer (no permission, or the engine lacks it)."""

    reason: str


@dataclass
class TableFacts:
    """What the Describe calls said about the table."""

    name: str
    arn: str
    key_names: list[str]
    item_count: int | None
    deletion_protection: bool | Unavailable
    ttl_status: str | Unavailable
    ttl_attribute: str | None
    pitr_status: str | Unavailable


class TableReader:
    """One audited table through one open aiobotocore client."""

    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table
        self.calls = 0

    async def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        try:
            answer: dict[str, Any] = await getattr(self.client, operation)(**kwargs)
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                raise TargetUnreachable(f"table {self.table} not found") from None
            raise
        except BotoCoreError as error:
            raise TargetUnreachable(f"DynamoDB unreachable ({type(error).__name__})") from None
        return answer

    async def _optional(self, operation: str) -> dict[str, Any] | Unavailable:
        try:
            return await self._call(operation, TableName=self.table)
        except ClientError as error:
            code = error_code(error)
            if code in DENIED:
                return Unavailable(f"{operation} refused ({code})")
            raise

    async def facts(self) -> TableFacts:
        try:
            table = (await self._call("describe_table", TableName=self.table))["Table"]
        except ClientError as error:
            raise TargetUnreachable(f"DescribeTable {self.table}: {error_code(error)}") from None
        ttl = await self._optional("describe_time_to_live")
        backups = await self._optional("describe_continuous_backups")
        protection = table.get("DeletionProtectionEnabled")
        ttl_description = {} if isinstance(ttl, Unavailable) else ttl["TimeToLiveDescription"]
        pitr: str | Unavailable = backups if isinstance(backups, Unavailable) else str(
            backups["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {})
            .get("PointInTimeRecoveryStatus", "DISABLED"))
        return TableFacts(
            name=self.table, arn=str(table.get("TableArn") or f"dynamodb:table/{self.table}"),
            key_names=[k["AttributeName"] for k in table.get("KeySchema", [])],
            item_count=table.get("ItemCount"),
            deletion_protection=(Unavailable("DescribeTable does not report it")
                                 if protection is None else bool(protection)),
            ttl_status=(ttl if isinstance(ttl, Unavailable)
                        else str(ttl_description.get("TimeToLiveStatus", "DISABLED"))),
            ttl_attribute=ttl_description.get("AttributeName"),
            pitr_status=pitr,
        )

    async def items(self, page_size: int, limit: int,
                    progress: Progress | None = None) -> AsyncIterator[dict[str, Any]]:
        """At most ``limit`` items, ``page_size`` per Scan call."""
        seen = 0
        start: dict[str, Any] | None = None
        while seen < limit:
            kwargs: dict[str, Any] = {"TableName": self.table,
                                      "Limit": min(page_size, limit - seen)}
            if start is not None:
                kwargs["ExclusiveStartKey"] = start
            page = await self._call("scan", **kwargs)
            for item in page.get("Items", [])[: limit - seen]:
                seen += 1
                yield item
            if progress is not None:
                progress(seen)
            start = page.get("LastEvaluatedKey")
            if not start:
                return
