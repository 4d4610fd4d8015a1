"""The table's own settings: TTL, point-in-time recovery and deletion protection.

TTL off leaves expired tokens and sessions in the table for any reader that forgets to
filter (CWE-613). Point-in-time recovery and deletion protection are off by default on
AWS (CWE-1188, an insecure default): without them one mistaken or malicious call deletes
every account for good.
"""

from __future__ import annotations

from dynaguard.audit.reader import TableFacts, Unavailable
from dynaguard.audit.tally import CheckSpec, result_of
from dynaguard.scan.findings import CheckResult, CheckStatus, Severity
from dynaguard.scan.prerequisites import Prerequisite

__all__ = ["DELETION_PROTECTION", "PITR", "TTL", "table_results"]

TTL = CheckSpec(
    "audit.table_ttl", "Time to live disabled on the table", (613,), ("API8:2023",),
    ("CC6.1", "CC6.2"),
    "Enable TTL on the expiry attribute (aws dynamodb update-time-to-live --table-name T "
    "--time-to-live-specification Enabled=true,AttributeName=expires_at).")
PITR = CheckSpec(
    "audit.table_pitr", "Point-in-time recovery disabled", (1188,), ("API8:2023",),
    ("A1.2", "CC7.5"),
    "Enable point-in-time recovery (aws dynamodb update-continuous-backups --table-name T "
    "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true).")
DELETION_PROTECTION = CheckSpec(
    "audit.table_deletion_protection", "Deletion protection disabled", (1188,),
    ("API8:2023",), ("A1.2", "CC6.1"),
    "Enable deletion protection (aws dynamodb update-table --table-name T "
    "--deletion-protection-enabled) and keep dynamodb:DeleteTable out of application roles.")


def _skipped(spec: CheckSpec, reason: str) -> CheckResult:
    return CheckResult(check=spec.check, title=spec.title, status=CheckStatus.SKIPPED,
                       detail=reason, needs=Prerequisite.TABLE_ACCESS)


def table_results(facts: TableFacts, token_items: int) -> list[CheckResult]:
    """One result per setting; a setting the engine or the policy hides is skipped."""
    results = []
    if isinstance(facts.ttl_status, Unavailable):
        results.append(_skipped(TTL, facts.ttl_status.reason))
    else:
        on = facts.ttl_status in ("ENABLED", "ENABLING")
        severity = Severity.MEDIUM if token_items else Severity.LOW
        findings = [] if on else [TTL.finding(
            TTL.title, severity, "table settings: TTL",
            {"ttl_status": facts.ttl_status, "token_or_session_items": token_items})]
        results.append(result_of(TTL, findings, f"TTL {facts.ttl_status}"
                                 + (f" on {facts.ttl_attribute}" if facts.ttl_attribute else "")))
    if isinstance(facts.pitr_status, Unavailable):
        results.append(_skipped(PITR, facts.pitr_status.reason))
    else:
        on = facts.pitr_status in ("ENABLED", "ENABLING")
        findings = [] if on else [PITR.finding(
            PITR.title, Severity.LOW, "table settings: point-in-time recovery",
            {"point_in_time_recovery": facts.pitr_status})]
        results.append(result_of(PITR, findings, f"point-in-time recovery {facts.pitr_status}"))
    if isinstance(facts.deletion_protection, Unavailable):
        results.append(_skipped(DELETION_PROTECTION, facts.deletion_protection.reason))
    else:
        findings = [] if facts.deletion_protection else [DELETION_PROTECTION.finding(
            DELETION_PROTECTION.title, Severity.LOW, "table settings: deletion protection",
            {"deletion_protection": False})]
        state = "on" if facts.deletion_protection else "off"
        results.append(result_of(DELETION_PROTECTION, findings, f"deletion protection {state}"))
    return results
