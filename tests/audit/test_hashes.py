"""Password formats and their verdicts, attribute names and their roles, redaction."""

from __future__ import annotations

import base64
import hashlib

import pytest
from argon2 import PasswordHasher

from dynaguard.audit.hashes import Strength, assess
from dynaguard.audit.names import Role, entity_of, redact, role_of


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def _django_pbkdf2(iterations: int) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", b"pw", b"saltsalt", iterations)
    return f"pbkdf2_sha256${iterations}$saltsalt${base64.b64encode(digest).decode()}"


def _passlib_scrypt(log_n: int) -> str:
    digest = hashlib.scrypt(b"pw", salt=b"saltsalt", n=2**log_n, r=8, p=1, maxmem=2**26)
    return f"$scrypt$ln={log_n},r=8,p=1${_b64(b'saltsalt')}${_b64(digest)}"


BCRYPT_TAIL = "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
CASES = [
    (PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1).hash("pw"), "argon2id",
     Strength.STRONG),
    (PasswordHasher(time_cost=1, memory_cost=47_104, parallelism=1).hash("pw"), "argon2id",
     Strength.STRONG),
    (PasswordHasher(time_cost=1, memory_cost=19_456, parallelism=1).hash("pw"), "argon2id",
     Strength.WEAK_COST),
    (PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw"), "argon2id",
     Strength.VERY_WEAK_COST),
    ("$2b$12$" + BCRYPT_TAIL, "bcrypt", Strength.STRONG),
    ("$2a$10$" + BCRYPT_TAIL, "bcrypt", Strength.STRONG),
    ("$2y$09$" + BCRYPT_TAIL, "bcrypt", Strength.WEAK_COST),
    ("$2b$04$" + BCRYPT_TAIL, "bcrypt", Strength.VERY_WEAK_COST),
    (_django_pbkdf2(600_000), "pbkdf2-sha256", Strength.STRONG),
    (_django_pbkdf2(100_000), "pbkdf2-sha256", Strength.WEAK_COST),
    ("$pbkdf2-sha512$25000$c2FsdA$aGFzaA", "pbkdf2-sha512", Strength.WEAK_COST),
    ("pbkdf2:sha256:1000$salt$" + "ab" * 32, "pbkdf2-sha256", Strength.VERY_WEAK_COST),
    (_passlib_scrypt(14), "scrypt", Strength.WEAK_COST),
    ("$scrypt$ln=17,r=8,p=1$c2FsdA$aGFzaA", "scrypt", Strength.STRONG),
    ("scrypt:32768:8:1$salt$" + "ab" * 32, "scrypt", Strength.WEAK_COST),
    ("$7$C6..../....SodiumChloride$kBGj9fHznVYFQMEn/qDCfrDevf9YDtcDdKvEqHJLV8D", "scrypt",
     Strength.WEAK_COST),
    (hashlib.md5(b"pw").hexdigest(), "hex-md5", Strength.UNSALTED),  # noqa: S324 -- a sample
    (hashlib.sha1(b"pw").hexdigest().upper(), "hex-sha-1", Strength.UNSALTED),  # noqa: S324
    (hashlib.sha256(b"pw").hexdigest(), "hex-sha-256", Strength.UNSALTED),
    (hashlib.sha512(b"pw").hexdigest(), "hex-sha-512", Strength.UNSALTED),
    (base64.b64encode(hashlib.sha256(b"pw").digest()).decode(), "base64-sha-256",
     Strength.UNSALTED),
    ("{SHA}" + base64.b64encode(hashlib.sha1(b"pw").digest()).decode(), "ldap-sha",  # noqa: S324
     Strength.UNSALTED),
    ("{SSHA}c2FsdGVkc2FsdGVk", "ldap-ssha", Strength.FAST),
    ("sha1$salt$" + "ab" * 20, "django-sha1", Strength.FAST),
    ("unsalted_md5$$" + "ab" * 16, "django-unsalted_md5", Strength.UNSALTED),
    ("*" + "AB" * 20, "mysql41", Strength.UNSALTED),
    ("$1$saltsalt$hashhashhashhashhash", "md5-crypt", Strength.FAST),
    ("$6$rounds=656000$salt$hash", "sha512-crypt", Strength.WEAK_COST),
    ("$5$salt$hash", "sha256-crypt", Strength.FAST),
    ("hunter2", "plaintext", Strength.PLAINTEXT),
    ("Tr0ub4dor-and-3-horses", "plaintext", Strength.PLAINTEXT),
    ("correct horse battery staple", "plaintext", Strength.PLAINTEXT),
    ("$custom$v1$abc", "unrecognised", Strength.UNKNOWN),
]


@pytest.mark.parametrize(("value", "fmt", "strength"), CASES,
                         ids=[f"{c[1]}-{c[2]}" for c in CASES])
def test_formats_and_verdicts(value: str, fmt: str, strength: Strength) -> None:
    verdict = assess(value)
    assert (verdict.format, verdict.strength) == (fmt, strength)
    assert value not in verdict.shown or len(value) <= 10
    assert len(verdict.shown) < 48


def test_plaintext_is_shown_by_length_only() -> None:
    assert assess("hunter2").shown == "(7 characters, not shown)"


def test_a_password_shaped_like_an_unknown_scheme_is_not_shown() -> None:
    """"$summer2024$" reads like an unknown "$name$" format: nothing of it is shown."""
    verdict = assess("$summer2024$")
    assert verdict.format == "unrecognised"
    assert "summer" not in verdict.shown
    assert verdict.shown == "(12 chars, 2 separators, not shown)"


@pytest.mark.parametrize(("name", "role"), [
    ("password", Role.PASSWORD), ("passwordHash", Role.PASSWORD), ("hashed_password",
                                                                   Role.PASSWORD),
    ("pwd", Role.PASSWORD), ("UserPassword", Role.PASSWORD), ("hash", Role.PASSWORD),
    ("password_changed_at", None), ("password_algo", None), ("compass", None),
    ("refresh_token", Role.SECRET), ("resetToken", Role.SECRET), ("api_key", Role.SECRET),
    ("mfa_secret", Role.SECRET), ("password_reset_token", Role.SECRET),
    ("token_hash", Role.HASHED_SECRET), ("secret_sealed", Role.HASHED_SECRET),
    ("private_key_encrypted", Role.HASHED_SECRET), ("session_id", None), ("country_code", None),
    ("enabled", Role.POSITIVE_FLAG), ("isActive", Role.POSITIVE_FLAG),
    ("email_confirmed", Role.POSITIVE_FLAG), ("emailVerified", Role.POSITIVE_FLAG),
    ("locked", Role.NEGATIVE_FLAG), ("expires_at", Role.EXPIRY), ("ttl", Role.EXPIRY),
    ("salt", Role.SALT), ("password_salt", Role.SALT), ("email", Role.IDENTITY),
])
def test_roles_by_name(name: str, role: Role | None) -> None:
    assert role_of(name) is role


def test_entities_and_redaction() -> None:
    assert entity_of(["USER#4f2a", "PROFILE"]) == "USER/PROFILE"
    assert entity_of(["USER#4f2a", "NOTE#1"]) == "USER/NOTE"
    assert entity_of(["AUDIT#x", "0001764400000.000000#ab12cd34"]) == "AUDIT"
    assert entity_of(["ann@example.com"]) == "item"
    assert redact("k3J9vQm2XbT7wYp1LzR8") == "k3J9… (20 chars)"
    assert redact("short-token") == "(11 chars)"
