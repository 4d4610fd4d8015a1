"""Discovery reads any OpenAPI service, not only ours; profiles fill in the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynaguard.guard.app import create_app
from dynaguard.scan.config import ScanConfig
from dynaguard.scan.discovery import parse_spec, profile_from_operations
from dynaguard.scan.engine import run_scan
from dynaguard.scan.errors import ProfileError
from dynaguard.scan.findings import CheckStatus
from dynaguard.scan.profile import Profile, load_profile
from dynaguard.settings import Settings
from tests.scan.conftest import Serve
from tests.scan.otherapps import (
    COOKIE_PROFILE,
    create_api_key_app,
    create_cookie_app,
    create_oauth_form_app,
)


def _discover(spec: dict[str, object]) -> Profile:
    operations, send, token_urls = parse_spec(spec)
    return profile_from_operations(operations, send, token_urls)


def test_guard_spec(settings: Settings) -> None:
    """The guard's own endpoints and fields are found from its OpenAPI document."""
    profile = _discover(create_app(settings).openapi())
    labels = {role: e.label for role, e in profile.endpoints.items()}
    assert labels == {"login": "POST /auth/login", "register": "POST /auth/register",
                      "verify_email": "POST /auth/verify-email", "refresh": "POST /auth/refresh",
                      "logout": "POST /auth/logout", "me": "GET /auth/me",
                      "forgot": "POST /auth/password/forgot",
                      "change_password": "POST /auth/password/change",
                      "reset": "POST /auth/password/reset"}
    login = profile.endpoints["login"]
    assert (login.identifier, login.password, login.body) == ("email", "password", "json")
    assert profile.endpoints["verify_email"].token == "token"
    reset = profile.endpoints["reset"]
    assert (reset.token, reset.new_password, reset.body) == ("token", "new_password", "json")
    assert profile.session.send_as == "bearer"
    assert profile.accounts.identifier == "email"


def test_other_field_names_and_header_sessions() -> None:
    """``login``/``passwd`` fields, sign-in/sign-up paths and an API-key header are found."""
    profile = _discover(create_api_key_app().openapi())
    login, register = profile.endpoints["login"], profile.endpoints["register"]
    assert login.label == "POST /v1/accounts/sign-in"
    assert (login.identifier, login.password) == ("login", "passwd")
    assert register.label == "POST /v1/accounts/sign-up"
    assert profile.endpoints["logout"].label == "POST /v1/accounts/sign-out"
    assert profile.endpoints["me"].label == "GET /v1/accounts/whoami"
    assert (profile.session.send_as, profile.session.send_name) == ("header", "X-Session")
    assert profile.accounts.identifier == "username"


def test_oauth2_token_url_is_the_login() -> None:
    """With no login-looking path, FastAPI's OAuth2 tokenUrl form is the login."""
    profile = _discover(create_oauth_form_app().openapi())
    login = profile.endpoints["login"]
    assert (login.label, login.body, login.identifier) == ("POST /oauth/token", "form",
                                                           "username")
    assert profile.endpoints["me"].label == "GET /users/current"


def test_profile_errors_name_the_problem(tmp_path: Path) -> None:
    """A bad profile fails with a message naming the field and the reason."""
    path = tmp_path / "p.toml"
    path.write_text('[endpoints.signin]\npath = "/x"\n')
    with pytest.raises(ProfileError, match="unknown endpoint role signin"):
        load_profile(path)
    path.write_text('[endpoints.login]\npath = "http://evil.example/login"\nmethod = "FETCH"\n')
    with pytest.raises(ProfileError) as error:
        load_profile(path)
    assert "endpoints.login.path" in str(error.value)
    assert "endpoints.login.method" in str(error.value)
    path.write_text("[endpoints.login\n")
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile(path)
    path.write_text('protected = ["GET"]\n')
    with pytest.raises(ProfileError, match="not 'METHOD /path'"):
        load_profile(path)


@pytest.mark.parametrize("logout_noop", [False, True])
async def test_cookie_session_api_with_a_profile(serve: Serve, tmp_path: Path,
                                                 logout_noop: bool) -> None:
    """A Starlette API with form fields and cookie sessions, described by a profile:
    accounts register and log in, and the logout check tells a real logout from a fake."""
    path = tmp_path / "profile.toml"
    path.write_text(COOKIE_PROFILE)
    url = serve(create_cookie_app(logout_noop=logout_noop))
    result = await run_scan(ScanConfig(url, profile=load_profile(path), checks=(
        "session.logout", "enumeration.login_response", "enumeration.register_response")))
    statuses = {c.check: c.status for c in result.checks}
    assert statuses["enumeration.login_response"] is CheckStatus.PASSED
    assert statuses["enumeration.register_response"] is CheckStatus.PASSED
    logout = statuses["session.logout_invalidation"]
    assert logout is (CheckStatus.FAILED if logout_noop else CheckStatus.PASSED)
    if logout_noop:
        (finding,) = result.findings
        assert finding.endpoint == "POST /account/session/end"
        assert finding.evidence["credential"] == "cookie"


async def test_without_profile_the_cookie_api_is_skipped_with_reasons(serve: Serve) -> None:
    """No spec and no profile: checks say why they cannot run instead of passing."""
    url = serve(create_cookie_app())
    result = await run_scan(ScanConfig(url, checks=("session.", "enumeration.login_response")))
    assert {c.status for c in result.checks} == {CheckStatus.SKIPPED}
    assert all("endpoint found" in c.detail for c in result.checks)
    assert result.grade != "A"
