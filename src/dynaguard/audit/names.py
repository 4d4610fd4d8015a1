"""What an attribute or a key holds, guessed from its name, for tables of any layout.

Names are split into lower-case words (``passwordHash``, ``password_hash`` and
``PasswordHash`` all give ``password hash``) and matched by word, so ``compass`` is not a
password and ``country_code`` is not a secret.
"""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = ["Role", "entity_of", "key_part", "redact", "role_of", "words"]


class Role(StrEnum):
    """What an attribute holds (role names, not secrets: S105 does not apply)."""

    PASSWORD = "password"  # noqa: S105 -- a role name
    SECRET = "secret"  # noqa: S105 -- a bearer token or secret: refresh, reset, API key, MFA seed
    HASHED_SECRET = "hashed-secret"  # noqa: S105 -- a role name
    SALT = "salt"
    POSITIVE_FLAG = "positive-flag"  # absent must mean "no": enabled, verified...
    NEGATIVE_FLAG = "negative-flag"  # absent means "no" anyway: disabled, locked...
    EXPIRY = "expiry"
    IDENTITY = "identity"  # email, username: marks an item as an account


_SPLIT = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "pw", "userpassword"})
SECRET_WORDS = frozenset({"token", "refresh", "reset", "verification", "otp", "totp", "hotp",
                          "secret", "apikey", "nonce", "recovery", "jwt", "bearer"})
HASHED_WORDS = frozenset({"hash", "hashed", "digest", "sha", "sha256", "sha512", "hmac",
                          "sealed", "encrypted", "enc", "cipher", "ciphertext", "fingerprint",
                          "kdf", "kms", "wrapped"})
# A last word that says the attribute describes a secret rather than holding one.
META_WORDS = frozenset({"at", "on", "date", "time", "ts", "algo", "algorithm", "scheme", "type",
                        "kind", "version", "policy", "length", "len", "changed", "updated",
                        "expires", "expiry", "count", "attempts", "failures", "hint", "id",
                        "ids", "enabled", "required", "set", "last", "created", "sent", "used",
                        "revoked", "purpose", "ttl", "exp", "step", "confirmed", "url",
                        "status", "family", "name", "label", "scope", "scopes", "pending"})
POSITIVE_FLAGS = frozenset({"enabled", "isenabled", "active", "isactive", "emailconfirmed",
                            "emailverified", "verified", "isverified", "confirmed",
                            "isconfirmed", "mfaenabled", "approved", "isapproved"})
NEGATIVE_FLAGS = frozenset({"disabled", "isdisabled", "locked", "islocked", "banned",
                            "isbanned", "suspended", "issuspended", "blocked", "isblocked",
                            "deleted", "isdeleted"})
EXPIRY_NAMES = frozenset({"expiresat", "expires", "expiry", "expiration", "expirationtime",
                          "expiretime", "expireat", "ttl", "exp", "validuntil", "expiresepoch"})
IDENTITY_NAMES = frozenset({"email", "emailaddress", "mail", "username", "login"})


def words(name: str) -> list[str]:
    """``passwordHash`` → ``["password", "hash"]``."""
    return [w.lower() for w in _SPLIT.findall(name)]


def role_of(name: str) -> Role | None:  # noqa: PLR0911 -- one return per role
    """The role an attribute's name suggests, or None."""
    parts = words(name)
    joined = "".join(parts)
    if not parts:
        return None
    if joined in POSITIVE_FLAGS:
        return Role.POSITIVE_FLAG
    if joined in NEGATIVE_FLAGS:
        return Role.NEGATIVE_FLAG
    if joined in EXPIRY_NAMES:
        return Role.EXPIRY
    if joined in IDENTITY_NAMES:
        return Role.IDENTITY
    if parts[-1] in META_WORDS and len(parts) > 1:
        return None
    secret = bool(SECRET_WORDS.intersection(parts)) or ("api" in parts and "key" in parts) \
        or ("private" in parts and "key" in parts)
    password = bool(PASSWORD_WORDS.intersection(parts)) or "password" in joined
    if parts == ["salt"] or parts[-1] == "salt":
        return Role.SALT
    if secret:
        return Role.HASHED_SECRET if HASHED_WORDS.intersection(parts) else Role.SECRET
    if password or parts in (["hash"], ["pass"], ["hashed"]):
        return Role.PASSWORD
    return None


_UPPER_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def key_part(value: str) -> tuple[str | None, str]:
    """``"REFRESH#ab12…"`` → ``("REFRESH", "ab12…")``; a value without an upper-case
    prefix has no kind."""
    head, sep, rest = value.partition("#")
    if sep and _UPPER_NAME.match(head):
        return head, rest
    if _UPPER_NAME.match(value):
        return value, ""
    return None, value


def entity_of(keys: list[str]) -> str:
    """A label for the kind of item these key values name: ``USER/PROFILE``, ``TOKEN/RESET``."""
    kinds = [kind for kind in (key_part(v)[0] for v in keys) if kind is not None]
    return "/".join(kinds) if kinds else "item"


def redact(value: str, keep: int = 4) -> str:
    """A value as it may be printed: its first ``keep`` characters (none of a short one)
    and its length."""
    if keep <= 0 or len(value) < 4 * keep:
        return f"({len(value)} chars)"
    return f"{value[:keep]}… ({len(value)} chars)"
