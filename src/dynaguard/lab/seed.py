"""Accounts every lab starts with, so flaws that need them can be shown.

``admin@lab.example.com``: scope ``admin``, TOTP enrolled with a published secret.
``imported@lab.example.com``: an account "imported from the old system" before the
``enabled`` flag existed; while ``keyerror_bypass`` is on its item has no ``enabled``
attribute (with the flaw off it is seeded repaired, so the lab's data is clean too).
The passwords are published: this is a lab, and it binds loopback only. A decoy account
item, claimed by no email, is what a login for an unknown email reads.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid

from dynaguard.lab.accounts import new_user_item
from dynaguard.lab.state import Lab
from dynaguard.lab.store import DECOY_USER_ID, EmailTaken

__all__ = [
    "ADMIN_EMAIL",
    "ADMIN_PASSWORD",
    "ADMIN_TOTP_SECRET",
    "IMPORTED_EMAIL",
    "IMPORTED_PASSWORD",
    "seed_accounts",
]

ADMIN_EMAIL = "admin@lab.example.com"
ADMIN_PASSWORD = "lab-admin-Quiet-Harbor-61"  # noqa: S105 -- published lab account
ADMIN_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 -- published on purpose
IMPORTED_EMAIL = "imported@lab.example.com"
IMPORTED_PASSWORD = "imported-Amber-Lantern-38"  # noqa: S105 -- published lab account


async def seed_accounts(lab: Lab) -> None:
    """Create the seeded accounts unless they exist (a shared table keeps them)."""
    now = lab.now()
    admin = new_user_item(uuid.uuid4().hex, ADMIN_EMAIL, await lab.passwords.hash(ADMIN_PASSWORD),
                          ["admin", "notes:read", "notes:write"], now,
                          mfa_secret=ADMIN_TOTP_SECRET)
    admin["email_confirmed"] = {"BOOL": True}
    imported = new_user_item(uuid.uuid4().hex, IMPORTED_EMAIL,
                             await lab.passwords.hash(IMPORTED_PASSWORD),
                             ["notes:read", "notes:write"], now)
    imported["email_confirmed"] = {"BOOL": True}
    if lab.on("keyerror_bypass"):
        del imported["enabled"]
    for item in (admin, imported):
        with contextlib.suppress(EmailTaken):
            await lab.store.create_user(item)
    decoy = new_user_item(DECOY_USER_ID, "decoy@lab.invalid",
                          await lab.passwords.hash(secrets.token_urlsafe(24)),
                          ["notes:read", "notes:write"], now)
    decoy["email_confirmed"] = {"BOOL": True}
    await lab.store.put_decoy(decoy)
