"""Recovery codes: ten single-use codes of 80 random bits, shown once, stored keyed-hashed.

The alphabet leaves out 0/O and 1/I so a code copied from paper is read back right;
dashes, spaces and case are ignored on entry.
"""

from __future__ import annotations

import re
import secrets

from dynaguard.guard.mfa.sealing import derive_key, keyed_digest

__all__ = ["CODE_COUNT", "is_recovery_code", "new_codes", "recovery_digest"]

CODE_COUNT = 10
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols: 5 bits each
LENGTH = 16
_SHAPE = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")


def _normalize(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def new_codes(count: int = CODE_COUNT) -> list[str]:
    """Fresh codes, formatted ``XXXX-XXXX-XXXX-XXXX``."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        codes.append("-".join(raw[i:i + 4] for i in range(0, LENGTH, 4)))
    return codes


def is_recovery_code(code: str) -> bool:
    return _SHAPE.fullmatch(_normalize(code)) is not None


def recovery_digest(kek: bytes, user_id: str, code: str) -> str:
    """The stored form of a code: HMAC under a KEK-derived key, bound to the user."""
    return keyed_digest(derive_key(kek, "recovery-code"), f"{user_id}\0{_normalize(code)}")
