"""The scanner against the hardened guard (the app `dynaguard serve` runs)."""

from __future__ import annotations

import importlib.util

from dynaguard.scan.config import ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.scan.findings import CheckStatus, Finding, Severity
from dynaguard.settings import Settings

# Login throttling is being added to the guard on another branch; until its module exists
# here, the CWE-307 check rightly reports it missing.
THROTTLING_MISSING = importlib.util.find_spec("dynaguard.guard.throttle") is None


def _tolerated(finding: Finding) -> bool:
    if finding.check == "brute_force.login_throttling":
        return THROTTLING_MISSING
    # The guard's login measures 1-2 ms slower for existing accounts against moto: reading
    # a found user and email claim costs more than reading absent ones (the password check
    # itself is equal). Effect size ~0.3, seen only over 100+ pairs: reported low, and only
    # low passes here; the guard's owners have the figures.
    return finding.check == "enumeration.login_timing" and finding.severity is Severity.LOW


async def test_guard_scans_clean(guard_url: str, settings: Settings) -> None:
    """A full scan of the guard: nothing above info beyond the known open items, within the
    request budget, and every check that can run here ran."""
    assert settings.outbox_dir is not None
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    result = await run_scan(ScanConfig(guard_url, mailbox=settings.outbox_dir, seed=1))

    assert result.requests <= 1500
    statuses = {c.check: c.status for c in result.checks}
    skipped = {check for check, status in statuses.items() if status is CheckStatus.SKIPPED}
    # The guard has no password-forgot or password-change endpoint yet; once it throttles
    # logins, the hundreds of failed logins of the timing check meet a 429 and it skips.
    may_skip = {"enumeration.forgot_response", "enumeration.forgot_timing",
                "session.password_change_invalidation",
                # EdDSA tokens that cannot be forged: their claim checks cannot be observed.
                "jwt.expired_accepted", "jwt.claims_not_validated", "jwt.sub_swapped",
                # Bearer tokens only: login sets no cookie to fix.
                "session.fixation",
                # ... nor any cookie whose flags could be judged.
                "session.cookie_flags",
                # No administrator given to try a password-only login with.
                "auth.single_factor_admin"}
    if not THROTTLING_MISSING:
        may_skip.add("enumeration.login_timing")
    assert skipped <= may_skip, statuses
    assert len(skipped) < len(statuses) / 2
    assert CheckStatus.ERROR not in statuses.values()
    serious = [f for f in result.findings if f.severity.rank > Severity.INFO.rank]
    assert [f for f in serious if not _tolerated(f)] == []
    if not serious:
        assert result.grade == "A"
    else:
        assert result.grade in {"A", "B"}
