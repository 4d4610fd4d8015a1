"""The scanner against the guard's hosted sign-in pages, through their HTML forms."""

from __future__ import annotations

from pathlib import Path

import httpx

from dynaguard.scan.config import ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.scan.findings import CheckStatus, Severity
from dynaguard.scan.form_submit import fill
from dynaguard.scan.html_forms import parse_page
from dynaguard.scan.oracle import refused
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.profile import load_profile
from dynaguard.settings import Settings

PROFILE = Path(__file__).parent / "data" / "guard_ui.toml"
SIGN_IN = ("http://127.0.0.1:8000/ui/sign-in",)


def _redirect(location: str, status: int = 303) -> httpx.Response:
    return httpx.Response(status, headers={"location": location},
                          request=httpx.Request("GET", "http://127.0.0.1:8000/ui/account"))


def test_a_redirect_to_the_sign_in_form_is_a_refusal() -> None:
    assert refused(_redirect("/ui/sign-in?return_to=%2Fui%2Faccount"), SIGN_IN)
    assert refused(httpx.Response(401), SIGN_IN)
    # Anywhere else, on another origin, or without a sign-in form known: not a refusal.
    assert not refused(_redirect("/ui/account/welcome"), SIGN_IN)
    assert not refused(_redirect("http://127.0.0.1:9999/ui/sign-in"), SIGN_IN)
    assert not refused(_redirect("/ui/sign-in"), ())
    assert not refused(httpx.Response(200), SIGN_IN)


CHANGE_FORM = """<form method="post" action="/ui/account/password">
<input type="hidden" name="csrf" value="tok">
<input type="password" name="current_password"><input type="password" name="new_password">
<input type="password" name="confirm_password"><button type="submit">Change</button></form>"""


def test_a_change_form_confirms_the_new_password() -> None:
    (form,) = parse_page(CHANGE_FORM, "http://127.0.0.1:9/ui/account").forms
    data = fill(form, {"current_password": "old-pw-123456", "new_password": "new-pw-123456"},
                {"password": "old-pw-123456", "new_password": "new-pw-123456"})
    assert data == {"csrf": "tok", "current_password": "old-pw-123456",
                    "new_password": "new-pw-123456", "confirm_password": "new-pw-123456"}


async def test_guard_pages_scan_clean(guard_url: str, settings: Settings) -> None:
    """Signed in through the pages' forms (CSRF token and all), with their cookie session:
    nothing above info, and the cookie-session and recovery checks ran."""
    assert settings.outbox_dir is not None
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    result = await run_scan(ScanConfig(guard_url, mailbox=settings.outbox_dir, seed=1,
                                       profile=load_profile(PROFILE)))
    statuses = {c.check: c.status for c in result.checks}
    print({c.check: (c.status.value, c.detail) for c in result.checks})
    assert result.requests <= 1500
    # The session is the pages' cookie, set by the form's sign-in and ended by its
    # sign-out; the reset is asked for through the forgot form, the password changed
    # through the account page's form.
    for ran in ("session.fixation", "session.cookie_flags", "session.logout_invalidation",
                "auth.wrong_password_accepted", "brute_force.login_throttling",
                "enumeration.login_response", "enumeration.register_response",
                "enumeration.forgot_response", "auth.unverified_login",
                "recovery.token_in_response", "recovery.token_strength",
                "recovery.sessions_survive_reset", "session.password_change_invalidation"):
        assert statuses[ran] is CheckStatus.PASSED, (ran, statuses[ran])
    fixation = next(c for c in result.checks if c.check == "session.fixation")
    assert "__Host-dynaguard" in fixation.detail
    assert CheckStatus.ERROR not in statuses.values()
    coverage = result.coverage
    print(coverage.describe(), dict(coverage.skipped_by), coverage.not_applicable)
    # No JWT (the cookie is opaque) and no JSON login: those checks do not apply.
    assert "session.fixation" not in coverage.not_applicable
    assert Prerequisite.PROTECTED_OPERATION not in coverage.skipped_by
    assert coverage.share >= 0.6
    serious = [(f.check, f.title, f.evidence) for f in result.findings
               if f.severity.rank > Severity.INFO.rank]
    assert serious == []
    assert result.grade == "A"
