"""Recall against the lab, the scanner's ground truth: every flaw has a test that finds it
alone, and one full scan (plus the table audit, for flaws that live only in the data) of
the lab with every flaw on finds each flaw that another flaw does not hide."""

from __future__ import annotations

from pathlib import Path

from dynaguard.audit import AuditConfig, run_audit
from dynaguard.lab import FLAWS
from dynaguard.lab.server import running_lab
from dynaguard.scan.config import DEFAULT_BUDGET, ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.settings import Settings
from tests.scan.test_checks_admin_browser import ADMIN, GIVEN_CASES, IMPORTED
from tests.scan.test_checks_lab import CASES as TOKEN_CASES
from tests.scan.test_core_checks_lab import CASES as CORE_CASES
from tests.scan.test_recovery_lab import RECOVERY_CASES

# Flaws that leave their trace in the table, found by `dynaguard audit` (tests/audit).
AUDIT_CASES: list[tuple[str, str, int]] = [
    ("audit.password_unsalted", "fast_hash", 759),
    ("audit.user_schema", "keyerror_bypass", 287),
    ("audit.user_schema", "missing_attr_truthy", 287),
]


def _expected() -> dict[str, set[tuple[str, int]]]:
    """flaw -> the (check, CWE) pairs a test shows finding it alone."""
    expected: dict[str, set[tuple[str, int]]] = {}
    for check, flaw, _needs, cwe, _endpoint in TOKEN_CASES:
        expected.setdefault(flaw, set()).add((check, cwe))
    for check, flaw, cwe, _endpoint in [*CORE_CASES, *RECOVERY_CASES]:
        expected.setdefault(flaw, set()).add((check, cwe))
    for check, flaw, _account, cwe, _endpoint in GIVEN_CASES:
        expected.setdefault(flaw, set()).add((check, cwe))
    for check, flaw, cwe in AUDIT_CASES:
        expected.setdefault(flaw, set()).add((check, cwe))
    return expected


def _mailbox(settings: Settings) -> Path:
    assert settings.outbox_dir is not None
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    return settings.outbox_dir


def test_every_lab_flaw_has_a_test_that_finds_it_alone() -> None:
    expected = _expected()
    assert set(expected) <= set(FLAWS), sorted(set(expected) - set(FLAWS))
    assert sorted(set(FLAWS) - set(expected)) == []


async def test_a_full_scan_and_audit_of_the_lab_with_every_flaw_find_them_all(
        settings: Settings) -> None:
    """`--flaws all`, every check, the lab's published accounts given, then the audit of
    its table: recall 100% over the flaws no other flaw hides."""
    mailbox = _mailbox(settings)
    with running_lab(settings, flaws="all") as url:
        scan = await run_scan(ScanConfig(url, accounts=(ADMIN, IMPORTED), register=True,
                                         seed=7, mailbox=mailbox))
        audit = await run_audit(AuditConfig(table=settings.table,
                                            endpoint=settings.dynamodb_endpoint,
                                            region=settings.region))
    found = {(f.check, cwe) for f in (*scan.findings, *audit.findings) for cwe in f.cwe}
    visible = {name for name, flaw in FLAWS.items() if not flaw.masked_by}
    missed = {flaw: sorted(pairs) for flaw, pairs in _expected().items()
              if flaw in visible and not pairs & found}
    assert missed == {}, (missed, [(c.check, c.status, c.detail) for c in scan.checks])
    assert scan.grade == "F"
    assert scan.requests <= DEFAULT_BUDGET
