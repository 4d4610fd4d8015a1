"""Factor secrets at rest: bound to their owner, keyed by the KEK."""

from __future__ import annotations

import secrets

import pytest

from dynaguard.errors import StoreError
from dynaguard.guard.mfa.sealing import SecretBox


def test_sealed_secret_opens_only_for_its_owner_and_key() -> None:
    kek = secrets.token_bytes(32)
    sealed = SecretBox(kek, "totp-secret").seal(b"JBSWY3DPEHPK3PXP", "alice")
    assert b"JBSWY3DPEHPK3PXP" not in sealed
    assert SecretBox(kek, "totp-secret").open(sealed, "alice") == b"JBSWY3DPEHPK3PXP"
    assert SecretBox(kek, "totp-secret").open(sealed, "bob") is None
    assert SecretBox(kek, "other-purpose").open(sealed, "alice") is None
    assert SecretBox(secrets.token_bytes(32), "totp-secret").open(sealed, "alice") is None


def test_no_kek_no_box() -> None:
    with pytest.raises(StoreError):
        SecretBox(b"", "totp-secret")
