"""CWE-521: weak passwords are refused with reasons; long ones are hashed whole."""

from __future__ import annotations

from zxcvbn.frequency_lists import FREQUENCY_LISTS

from tests.conftest import TEST_PASSWORD, Harness, MakeUser


async def _register(harness: Harness, email: str, password: str) -> tuple[int, dict[str, object]]:
    r = await harness.client.post("/auth/register", json={"email": email, "password": password})
    assert password not in r.text
    return r.status_code, r.json()


async def test_weak_passwords_are_refused_at_registration(harness: Harness) -> None:
    """Short, common and context-built passwords get 400 with a reason, and no account."""
    common = next(p for p in FREQUENCY_LISTS["passwords"] if len(p) >= 12)
    email = "margaret.hamilton@example.com"
    cases = {
        "short-Pw-1": "at least 12 characters",
        common: "commonly used",
        "margaret-hamilton-apollo-11": "email address or the service name",
        "x" * 1025: "at most 1024 characters",
    }
    for password, reason in cases.items():
        status, body = await _register(harness, email, password)
        assert status == 400, (password, body)
        assert any(reason in str(r) for r in body["reasons"]), body  # type: ignore[union-attr]
    assert await harness.svc.users.user_id_for_email(email) is None
    assert await harness.mails_to(email, wait_s=0.2) == []

    status, _ = await _register(harness, email, TEST_PASSWORD)
    assert status == 202


async def test_long_passwords_are_hashed_whole(harness: Harness, make_user: MakeUser) -> None:
    """A 300-character password differing only in its last character does not log in."""
    password = "tidal-orbit-" * 25
    user = await make_user(password=password)
    wrong = password[:-1] + "!"
    r = await harness.client.post("/auth/login", json={"email": user.email, "password": wrong})
    assert r.status_code == 401
    assert (await harness.login(user.email, password))["token_type"] == "bearer"
