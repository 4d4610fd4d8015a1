"""dynaguard's own single-table layout (store/schema.py), item kind by item kind.

A table is taken to be dynaguard's when its key is ``pk``/``sk`` and it holds a signing
key or a user profile that parses as dynaguard's own models; its items are then held to
those strict models exactly, and its token keys to SHA-256 digests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from dynaguard.store import items as models
from dynaguard.store.codec import decode_item

__all__ = ["HASHED_KEY_KINDS", "TOKEN_KINDS", "dynaguard_model", "is_digest", "key_strings",
           "schema_problems"]

DIGEST_HEX = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})$")
# Kinds whose key carries the token itself (a digest of it, when done right).
HASHED_KEY_KINDS = frozenset({"REFRESH", "TOKEN", "MFATICKET", "RESET", "VERIFY",
                              "VERIFICATION", "OTP", "TICKET", "MAGICLINK", "INVITE",
                              "CONFIRM", "APIKEY", "NONCE"})
# Kinds of item that stand for a token or a session and must expire.
TOKEN_KINDS = HASHED_KEY_KINDS | {"SESSION", "EMAIL_CHANGE"}

Model = type[models.StoredItem]
_BY_SK: dict[str, Model] = {
    "PROFILE": models.UserItem, "RESET": models.PasswordResetItem,
    "EMAIL_CHANGE": models.EmailChangeItem, "MFA#TOTP": models.TotpItem}
_BY_SK_PREFIX: tuple[tuple[str, Model], ...] = (
    ("NOTE#", models.NoteItem), ("MFA#RC#", models.RecoveryCodeItem),
    ("MFA#PASSKEY#", models.PasskeyItem), ("SESSION#", models.SessionItem))
_BY_PK: dict[tuple[str, str], Model] = {
    ("EMAIL", "CLAIM"): models.EmailClaimItem,
    ("REFRESH", "REFRESH"): models.RefreshItem, ("TOKEN", "TOKEN"): models.OneTimeTokenItem,
    ("PASSKEY", "CLAIM"): models.PasskeyClaimItem, ("MFATICKET", "TICKET"): models.MfaTicketItem}


def is_digest(text: str) -> bool:
    """Hex of a SHA-1 or longer digest: what a hashed token looks like."""
    return bool(DIGEST_HEX.match(text))


def key_strings(item: Mapping[str, Any], key_names: list[str]) -> list[str]:
    """The item's key values as text (numbers and binary keys as their text form)."""
    values = []
    for name in key_names:
        raw = item.get(name, {})
        value = raw.get("S", raw.get("N")) if isinstance(raw, dict) else None
        values.append(str(value) if value is not None else "")
    return values


def dynaguard_model(pk: str, sk: str) -> type[models.StoredItem] | None:
    """The model dynaguard stores under this key, or None for a key it never writes."""
    kind = pk.partition("#")[0]
    if pk == "KEYRING":
        return models.KeyItem if sk.startswith("KEY#") else None
    if kind == "USER":
        if sk in _BY_SK:
            return _BY_SK[sk]
        return next((model for prefix, model in _BY_SK_PREFIX if sk.startswith(prefix)), None)
    if kind == "THROTTLE":
        return models.CounterItem
    if kind == "AUDIT":
        return models.AuditItem
    return _BY_PK.get((kind, sk))


def schema_problems(model: type[models.StoredItem], item: Mapping[str, Any]) -> list[str]:
    """How an item fails its model: ``missing enabled``, ``wrong type email_verified (S)``."""
    try:
        model.model_validate(decode_item(item))
    except ValidationError as error:
        problems = []
        for entry in error.errors():
            field = str(entry["loc"][0]) if entry["loc"] else "item"
            raw = item.get(field)
            stored = next(iter(raw), "?") if isinstance(raw, dict) and raw else "?"
            if entry["type"] == "missing":
                problems.append(f"missing {field}")
            elif entry["type"] == "extra_forbidden":
                problems.append(f"unexpected {field}")
            elif field in item:
                problems.append(f"wrong type or value {field} ({stored})")
            else:
                problems.append(f"invalid item ({entry['type']})")
        return sorted(set(problems))
    return []
