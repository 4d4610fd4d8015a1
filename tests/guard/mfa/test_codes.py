"""TOTP matching and recovery codes, without a server."""

from __future__ import annotations

import secrets

import pyotp

from dynaguard.guard.mfa.recovery import is_recovery_code, new_codes, recovery_digest
from dynaguard.guard.mfa.totp import matching_step


def test_recovery_codes_shape_and_digest() -> None:
    """Codes are distinct, typed back in any case or spacing, and hashed per user and KEK."""
    kek = secrets.token_bytes(32)
    codes = new_codes()
    assert len(set(codes)) == 10
    code = codes[0]
    assert is_recovery_code(code.lower().replace("-", " "))
    assert not is_recovery_code("123456")
    digest = recovery_digest(kek, "alice", code)
    assert recovery_digest(kek, "alice", code.lower().replace("-", "")) == digest
    assert recovery_digest(kek, "bob", code) != digest
    assert recovery_digest(secrets.token_bytes(32), "alice", code) != digest


def test_totp_window_is_one_step_either_side() -> None:
    secret = pyotp.random_base32()
    now = 1_700_000_000.0
    step = int(now // 30)
    totp = pyotp.TOTP(secret)
    assert matching_step(secret, totp.generate_otp(step), now) == step
    assert matching_step(secret, totp.generate_otp(step + 1), now) == step + 1
    assert matching_step(secret, totp.generate_otp(step - 1), now) == step - 1
    assert matching_step(secret, totp.generate_otp(step - 2), now) is None
    assert matching_step(secret, "12345", now) is None
