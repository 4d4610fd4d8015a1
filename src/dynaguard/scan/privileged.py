"""Which operations of a spec look like administration, and which offer a second factor.

A guess from names: path words, tags, ``operationId`` and the OAuth2 scopes an operation
declares. Checks that act on the guess (BFLA, single-factor admin) must confirm it
against the target's answers before they report anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dynaguard.scan.discovery import Operation

__all__ = ["AdminOperation", "admin_operations", "is_admin_scope", "mfa_operations",
           "user_target"]

ADMIN_WORDS = frozenset({
    "admin", "admins", "administrator", "administration", "superuser", "superusers", "staff",
    "backoffice", "internal", "manage", "management", "moderation", "moderator", "roles",
    "permissions", "impersonate", "sudo",
})
USER_COLLECTIONS = frozenset({"users", "accounts", "members", "customers"})
SELF_WORDS = frozenset({"me", "self", "current", "my", "whoami", "profile", "own"})
AUTH_FLOW_WORDS = frozenset({"login", "signin", "logon", "register", "signup", "token",
                             "refresh", "verify", "forgot", "reset", "confirm", "logout",
                             "oauth", "callback", "jwks", "openapi", "docs", "health"})
MFA_WORDS = frozenset({"mfa", "2fa", "totp", "otp", "webauthn", "passkey", "passkeys",
                       "twofactor", "factor", "factors", "authenticator", "u2f", "fido",
                       "fido2", "stepup"})
USER_BY_ID = re.compile(r"/(?:users|accounts|members|customers)/\{(?P<name>[^}/]+)\}(?:/[^{}]*)?$")


# Reasons that are the scanner's guess from what an operation does, not the target's word.
GUESSES = ("lists ", "deletes an account")


@dataclass(frozen=True)
class AdminOperation:
    """An operation that looks administrative, and why it was taken for one."""

    op: Operation
    reasons: tuple[str, ...]

    @property
    def named_admin(self) -> bool:
        """The target itself calls it administrative (a path word, tag, operationId or
        scope), not only the scanner's guess from what it does (lists users, deletes an
        account by id)."""
        return any(not r.startswith(GUESSES) for r in self.reasons)


def is_admin_scope(scope: str) -> bool:
    """``admin``, ``users:admin``, ``manage:users``, ``role:superuser``..."""
    return bool(set(re.split(r"[:._/\-\s]+", scope.lower())) & ADMIN_WORDS)


def _declared(spec: dict[str, Any]) -> dict[str, tuple[list[str], str, list[str]]]:
    """Tags, operationId and required scopes by operation label."""
    found: dict[str, tuple[list[str], str, list[str]]] = {}
    paths = spec.get("paths") or {}
    for path, item in paths.items() if isinstance(paths, dict) else ():
        if not isinstance(item, dict):
            continue
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            requirements = op.get("security", spec.get("security", [])) or []
            scopes = [str(s) for requirement in requirements if isinstance(requirement, dict)
                      for listed in requirement.values() if isinstance(listed, list)
                      for s in listed]
            tags = [str(t) for t in op.get("tags", []) or []]
            found[f"{method.upper()} {path}"] = (tags, str(op.get("operationId", "")), scopes)
    return found


def _reasons(op: Operation, tags: list[str], operation_id: str, scopes: list[str]) -> list[str]:
    reasons = [f"path word {w!r}" for w in sorted(op.words & ADMIN_WORDS)]
    reasons += [f"tag {t!r}" for t in tags if t.lower() in ADMIN_WORDS]
    id_words = set(re.split(r"[_\-.]+|(?<=[a-z])(?=[A-Z])", operation_id))
    if {w.lower() for w in id_words} & ADMIN_WORDS:
        reasons.append(f"operationId {operation_id!r}")
    reasons += [f"scope {s!r}" for s in scopes if is_admin_scope(s)]
    last = op.path.rstrip("/").rsplit("/", 1)[-1].lower()
    if op.method == "GET" and last in USER_COLLECTIONS and not op.words & SELF_WORDS:
        reasons.append(f"lists {last}")
    if op.method == "DELETE" and USER_BY_ID.search(op.path) and not op.words & SELF_WORDS:
        reasons.append("deletes an account by id")
    return reasons


def admin_operations(operations: Iterable[Operation],
                     spec: dict[str, Any]) -> list[AdminOperation]:
    """The operations that look administrative, auth flows (``/admin/login``) left out."""
    declared = _declared(spec)
    found = []
    for op in operations:
        if op.words & AUTH_FLOW_WORDS:
            continue
        tags, operation_id, scopes = declared.get(op.label, ([], "", []))
        reasons = _reasons(op, tags, operation_id, scopes)
        if reasons:
            found.append(AdminOperation(op, tuple(reasons)))
    return found


def mfa_operations(operations: Iterable[Operation]) -> list[Operation]:
    """Operations that enrol or check a second factor (TOTP, WebAuthn, MFA...)."""
    return [op for op in operations if op.words & MFA_WORDS]


def user_target(op: Operation) -> str | None:
    """The name of the one path parameter when ``op`` acts on one account by id."""
    match = USER_BY_ID.search(op.path)
    if match is None or op.path.count("{") != 1:
        return None
    return match["name"]
