"""Encryption at rest of factor secrets, and keyed hashing of recovery codes.

Security-sensitive: each purpose gets its own key derived from the KEK (HKDF-SHA256), so a
KMS data key can replace the KEK without code changes. A sealed secret is bound to its
owner through AES-GCM associated data: copying one user's ciphertext onto another user's
item makes it undecryptable, never usable.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dynaguard.errors import StoreError

__all__ = ["SecretBox", "derive_key", "keyed_digest"]

NONCE_BYTES = 12


def derive_key(kek: bytes, purpose: str) -> bytes:
    """A 256-bit key for one purpose, derived from the KEK."""
    if len(kek) != 32:
        raise StoreError("no key-encryption key available")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=f"dynaguard/{purpose}/v1".encode()).derive(kek)


def keyed_digest(key: bytes, message: str) -> str:
    """HMAC-SHA256, hex: a stolen table alone does not allow guessing offline."""
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


class SecretBox:
    """AES-GCM under a derived key; the owner's id is the associated data."""

    def __init__(self, kek: bytes, purpose: str) -> None:
        self._aead = AESGCM(derive_key(kek, purpose))

    def seal(self, plaintext: bytes, owner: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, owner.encode())

    def open(self, sealed: bytes, owner: str) -> bytes | None:
        """The plaintext, or None when the blob was not sealed for ``owner`` by our key."""
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], owner.encode())
        except InvalidTag:
            return None
