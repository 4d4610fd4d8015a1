"""The second-factor policy and its settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from dynaguard.guard.mfa.policy import grantable_scopes, multi_factor
from dynaguard.settings import Settings


def test_policy_withholds_guarded_scopes_without_a_second_factor() -> None:
    assert grantable_scopes(["admin", "notes:read"], ["pwd"], ["admin"]) == ["notes:read"]
    assert grantable_scopes(["admin"], ["pwd", "otp"], ["admin"]) == ["admin"]
    assert grantable_scopes(["admin"], ["pwd", "rc"], ["admin"]) == ["admin"]
    assert grantable_scopes(["admin"], ["hwk", "mfa"], ["admin"]) == ["admin"]
    assert grantable_scopes(["admin"], ["pwd"], []) == ["admin"]
    assert not multi_factor(["otp"])
    assert not multi_factor(["hwk"])


def test_passkey_origins_must_be_origins(tmp_path: Path) -> None:
    """A path or a bare host in DYNAGUARD_PASSKEY_ORIGINS is refused at start."""
    base = {"data_dir": tmp_path, "_env_file": None}
    with pytest.raises(ValidationError):
        Settings(passkey_origins="https://example.com/login", **base)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Settings(passkey_origins="example.com", **base)  # type: ignore[arg-type]
    ok = Settings(passkey_origins="https://a.example, https://b.example:8443",
                  mfa_required_scopes="admin billing", **base)  # type: ignore[arg-type]
    assert ok.passkey_origins == ["https://a.example", "https://b.example:8443"]
    assert ok.mfa_required_scopes == ["admin", "billing"]
