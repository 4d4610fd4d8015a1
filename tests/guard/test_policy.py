"""Password policy (CWE-521) at registration, and Unicode normalisation at login."""

from __future__ import annotations

import random
import string
import unicodedata

import pytest

from dynaguard.guard.policy import password_problems
from dynaguard.settings import Settings
from tests.conftest import Harness, mail_text

EMAIL = "marguerite.duras@example.com"


def _random_password(length: int, seed: int) -> str:
    rng = random.Random(seed)  # noqa: S311 -- test data, not a secret
    return "".join(rng.choices(string.ascii_letters + string.digits + "-_!", k=length))


@pytest.mark.parametrize(
    ("password", "accepted", "reason"),
    [
        ("password", False, "at least 12"),
        ("Password1!", False, "at least 12"),
        ("abcdefghijk", False, "at least 12"),
        ("qwerty123456", False, "commonly used"),
        ("LeaveMeAlone", False, "commonly used"),
        ("marguerite-2024-xyz", False, "email address"),
        ("dynaguard-secret-vault", False, "service name"),
        ("aaaaaaaaaaaaaaaa", False, "too easy"),
        (_random_password(1024, 1), True, ""),
        (_random_password(1025, 2), False, "at most 1024"),
        ("quiet-harbor-lantern-97", True, ""),
    ],
)
def test_policy_table(settings: Settings, password: str, accepted: bool, reason: str) -> None:
    """Each input is accepted or refused with the reason a user would read."""
    problems = password_problems(password, email=EMAIL, settings=settings)
    assert (not problems) is accepted
    if reason:
        assert any(reason in p for p in problems), problems


async def test_refusal_lists_reasons_and_never_echoes_the_password(harness: Harness) -> None:
    """A refused registration is a problem document listing why, without the password."""
    secret = "marguerite-0000"
    r = await harness.client.post("/auth/register", json={"email": EMAIL, "password": secret})
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["reasons"]
    assert secret not in r.text


async def test_long_password_is_not_truncated(harness: Harness) -> None:
    """A 1024-character password works whole, and its first 1023 characters do not."""
    password = _random_password(1024, 3)
    user = await _register_verified(harness, "long@example.com", password)
    await harness.login(user, password)
    r = await harness.client.post("/auth/login", json={"email": user, "password": password[:-1]})
    assert r.status_code == 401


async def test_composed_and_decomposed_forms_both_log_in(harness: Harness) -> None:
    """The same password typed in NFC or NFD opens the account."""
    composed = unicodedata.normalize("NFC", "Crème-brûlée-façade-Ångström")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    email = await _register_verified(harness, "unicode@example.com", composed)
    await harness.login(email, composed)
    await harness.login(email, decomposed)


async def _register_verified(harness: Harness, email: str, password: str) -> str:
    r = await harness.client.post("/auth/register", json={"email": email, "password": password})
    assert r.status_code == 202, r.text
    (mail,) = await harness.mails_to(email)
    token = mail_text(mail).split("Token: ")[1].split()[0]
    r = await harness.client.post("/auth/verify-email", json={"token": token})
    assert r.status_code == 204
    return email
