"""One audit: describe the table, scan it once (bounded), let every check see each item,
then score the results exactly as a scan is scored."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from botocore.exceptions import ClientError

from dynaguard.audit.layout import key_strings
from dynaguard.audit.passwords import PasswordAuditor
from dynaguard.audit.reader import DENIED, TableReader
from dynaguard.audit.schema import SchemaAuditor
from dynaguard.audit.table import table_results
from dynaguard.audit.tally import AuditContext, Seen
from dynaguard.audit.tokens import TokenAuditor
from dynaguard.scan.errors import TargetUnreachable
from dynaguard.scan.findings import CheckResult, CheckStatus, ScanResult
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.scoring import score
from dynaguard.store.client import error_code, open_client

__all__ = ["AuditConfig", "Layout", "run_audit"]

Layout = Literal["auto", "dynaguard", "generic"]
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class AuditConfig:
    table: str
    endpoint: str | None  # None: AWS's own endpoint chain
    region: str
    page_size: int = 100
    max_items: int = 20_000
    layout: Layout = "auto"


def _layout(config: AuditConfig, key_names: list[str], schema: SchemaAuditor) -> str:
    if config.layout != "auto":
        return config.layout
    return "dynaguard" if key_names == ["pk", "sk"] and schema.is_dynaguard() else "generic"


async def run_audit(config: AuditConfig, progress: Progress | None = None) -> ScanResult:
    """Audit one table; raises TargetUnreachable when it cannot be described."""
    started, clock = datetime.now(UTC), time.monotonic()
    async with open_client(config.endpoint, config.region) as client:
        reader = TableReader(client, config.table)
        facts = await reader.facts()
        ttl_attribute = facts.ttl_attribute if facts.ttl_status in ("ENABLED", "ENABLING") \
            else None
        passwords, schema, tokens = PasswordAuditor(), SchemaAuditor(), TokenAuditor(ttl_attribute)
        hint = config.layout
        count, refused = 0, None

        def scanned(items: int) -> None:
            if progress is not None:
                progress(items, facts.item_count)

        try:
            async for raw in reader.items(config.page_size, config.max_items, scanned):
                seen = Seen.of(raw, key_strings(raw, facts.key_names))
                for auditor in (passwords, schema, tokens):
                    auditor.observe(seen, hint)
                count += 1
        except ClientError as error:
            if error_code(error) not in DENIED:
                raise TargetUnreachable(f"Scan {config.table}: {error_code(error)}") from None
            refused = f"Scan refused ({error_code(error)})"
        context = AuditContext(_layout(config, facts.key_names, schema), ttl_attribute, count)
        results = table_results(facts, tokens.token_items)
        item_results = [*passwords.results(context), *schema.results(context),
                        *tokens.results(context)]
        if refused is not None:
            item_results = [CheckResult(r.check, r.title, CheckStatus.SKIPPED, refused,
                                        needs=Prerequisite.TABLE_ACCESS)
                            for r in item_results]
        elif count >= config.max_items:
            note = f" (stopped at --max-items {config.max_items})"
            item_results = [CheckResult(r.check, r.title, r.status, r.detail + note, r.findings)
                            for r in item_results]
        results = [*item_results, *results]
        value, grade = score(results)
        return ScanResult(target=facts.arn, started_at=started,
                          duration_s=round(time.monotonic() - clock, 3), requests=reader.calls,
                          score=value, grade=grade, checks=tuple(results))
