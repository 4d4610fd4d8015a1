"""The scanner against the hardened guard: nothing above info, grade A, within budget."""

from __future__ import annotations

from dynaguard.scan.config import ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.scan.findings import CheckStatus, Severity
from dynaguard.settings import Settings


async def test_guard_scans_clean(guard_url: str, settings: Settings) -> None:
    """A full scan of the guard finds nothing above info and grades A."""
    assert settings.outbox_dir is not None
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    result = await run_scan(ScanConfig(guard_url, mailbox=settings.outbox_dir, seed=1))
    for c in result.checks:
        print(c.check, c.status, c.detail, c.requests, c.duration_s)
    print(result.requests, result.duration_s, result.score, result.grade)
    statuses = {c.check: c.status for c in result.checks}
    assert result.requests <= 1500
    serious = [f for f in result.findings if f.severity.rank > Severity.INFO.rank]
    for f in serious:
        print(f.check, f.endpoint, f.evidence)
    assert serious == [], serious
    assert result.grade == "A"
    assert statuses["enumeration.login_timing"] is CheckStatus.PASSED
