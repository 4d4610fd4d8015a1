"""Where the links in the guard's mails lead: the pages on which a browser uses a mailed
token (``dynaguard.guard.pages``), never the JSON API, which takes POST only."""

from __future__ import annotations

__all__ = ["EMAIL_CONFIRM_PAGE", "PASSWORD_RESET_PAGE", "UNLOCK_PAGE", "VERIFY_EMAIL_PAGE"]

VERIFY_EMAIL_PAGE = "/auth/pages/verify-email"
PASSWORD_RESET_PAGE = "/auth/pages/password-reset"  # noqa: S105 -- a path, not a secret
UNLOCK_PAGE = "/auth/pages/unlock"
EMAIL_CONFIRM_PAGE = "/auth/pages/email-confirm"
