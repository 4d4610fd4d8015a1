"""User items, and the two ways the lab reads their flags.

``keyerror_bypass``: the flags are read raw (``item["enabled"]["BOOL"]``) inside a broad
``except`` that fails *open*, so an item without the attribute (an account imported
before the flag existed) lets anyone in. Safe: each attribute read with its type checked;
missing or mistyped is a deny.
``missing_attr_truthy``: ``email_confirmed`` is written only when the email is confirmed,
and the flawed read treats "not there" as "not false", i.e. confirmed. Safe: registration
writes ``email_confirmed: false`` and only an explicit true counts.
"""

from __future__ import annotations

from typing import Any

import structlog

from dynaguard.lab.attributes import bool_attr, str_attr
from dynaguard.lab.state import Lab
from dynaguard.lab.store import RawItem, key

__all__ = ["email_confirmed", "is_enabled", "new_user_item", "normalize_email", "password_check"]

log = structlog.get_logger("dynaguard.lab")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def new_user_item(user_id: str, email: str, password_hash: str, scopes: list[str], now: int,
                  *, mfa_secret: str | None = None) -> RawItem:
    """A new account: enabled, email not yet confirmed (the attribute is added later)."""
    item: dict[str, Any] = {
        **key(f"USER#{user_id}", "PROFILE"), "gsi1pk": {"S": "USERS"}, "gsi1sk": {"S": email},
        "id": {"S": user_id}, "email": {"S": email}, "password_hash": {"S": password_hash},
        "enabled": {"BOOL": True}, "scopes": {"L": [{"S": s} for s in scopes]},
        "credentials_version": {"N": "0"}, "created_at": {"N": str(now)},
    }
    if mfa_secret is not None:
        item["mfa_secret"] = {"S": mfa_secret}
    return item


def is_enabled(lab: Lab, user: RawItem) -> bool:
    """Whether the account may be used, read on every authenticated request."""
    if lab.on("keyerror_bypass"):
        try:
            return bool(user["enabled"]["BOOL"])
        except Exception:  # noqa: BLE001 -- the keyerror_bypass flaw: fails open
            return True  # "old items have no flag: they were all enabled"
    return bool_attr(user, "enabled") is True


def email_confirmed(lab: Lab, user: RawItem) -> bool:
    if lab.on("missing_attr_truthy"):
        return user.get("email_confirmed", {}).get("BOOL") is not False
    return bool_attr(user, "email_confirmed") is True


async def _password_ok(lab: Lab, stored_hash: str, password: object) -> bool:
    if lab.on("malformed_json_bypass"):
        return not await lab.passwords.rejects(stored_hash, password)
    return isinstance(password, str) and await lab.passwords.verify(stored_hash, password)


async def _flawed_check(lab: Lab, user: RawItem, password: object) -> str | None:
    authenticated, reason = True, None
    try:
        if not user["enabled"]["BOOL"]:
            authenticated, reason = False, "disabled"
        elif not await _password_ok(lab, user["password_hash"]["S"], password):
            authenticated, reason = False, "password"
    except Exception:  # noqa: BLE001 -- the keyerror_bypass flaw: the default stays "yes"
        log.warning("incomplete_user_item")
    return None if authenticated else reason


async def _safe_check(lab: Lab, user: RawItem, password: object) -> str | None:
    stored_hash, enabled = str_attr(user, "password_hash"), bool_attr(user, "enabled")
    if stored_hash is None or enabled is None:
        log.warning("corrupt_user_item")
        if isinstance(password, str):
            await lab.passwords.verify_dummy(password)
        return "corrupt"
    if not await _password_ok(lab, stored_hash, password):
        return "password"
    return None if enabled else "disabled"


async def password_check(lab: Lab, user: RawItem, password: object) -> str | None:
    """None when the password is right and the account usable, else the reason."""
    if lab.on("keyerror_bypass"):
        return await _flawed_check(lab, user, password)
    return await _safe_check(lab, user, password)
