"""Factor secrets at rest: bound to their owner, keyed by the KEK."""

from __future__ import annotations

import secrets

import pyotp
import pytest

from dynaguard.errors import StoreError
from dynaguard.guard.mfa.policy import grantable_scopes, multi_factor
from dynaguard.guard.mfa.recovery import is_recovery_code, new_codes, recovery_digest
from dynaguard.guard.mfa.sealing import SecretBox
from dynaguard.guard.mfa.totp import matching_step


def test_sealed_secret_opens_only_for_its_owner_and_key() -> None:
    kek = secrets.token_bytes(32)
    sealed = SecretBox(kek, "totp-secret").seal(b"JBSWY3DPEHPK3PXP", "alice")
    assert SecretBox(kek, "totp-secret").open(sealed, "alice") == b"JBSWY3DPEHPK3PXP"
    assert SecretBox(kek, "totp-secret").open(sealed, "bob") is None
    assert SecretBox(kek, "other-purpose").open(sealed, "alice") is None
    assert SecretBox(secrets.token_bytes(32), "totp-secret").open(sealed, "alice") is None


def test_no_kek_no_box() -> None:
    with pytest.raises(StoreError):
        SecretBox(b"", "totp-secret")


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


def test_policy_withholds_guarded_scopes_without_a_second_factor() -> None:
    assert grantable_scopes(["admin", "notes:read"], ["pwd"], ["admin"]) == ["notes:read"]
    assert grantable_scopes(["admin"], ["pwd", "otp"], ["admin"]) == ["admin"]
    assert grantable_scopes(["admin"], ["hwk", "mfa"], ["admin"]) == ["admin"]
    assert not multi_factor(["otp"])
    assert not multi_factor(["hwk"])
