"""Stored passwords: plaintext (CWE-256), unsalted digests (CWE-759), cheap hashes (CWE-916).

Every string attribute whose name says it holds a password (``password``, ``passwd``,
``pwd``, ``password_hash``, ``hash`` on an account item...) is classified by format. A
value shared by several items is a second sign of a missing salt.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from dynaguard.audit.hashes import Strength, assess
from dynaguard.audit.names import Role, role_of
from dynaguard.audit.tally import AuditContext, CheckSpec, Seen, Tally, result_of
from dynaguard.scan.findings import CheckResult, Confidence, Finding, Severity

__all__ = ["PLAINTEXT", "UNSALTED", "WEAK_HASH", "PasswordAuditor"]

API2, CC61 = ("API2:2023",), ("CC6.1",)
PLAINTEXT = CheckSpec(
    "audit.password_plaintext", "Passwords stored in plaintext", (256,), API2, CC61,
    "Hash every password with Argon2id (OWASP minimum m=19 MiB, t=2, p=1) and a per-password "
    "salt; rehash the stored plaintext at once and ask its owners to change their passwords.")
UNSALTED = CheckSpec(
    "audit.password_unsalted", "Passwords stored as unsalted digests", (759, 916), API2, CC61,
    "Replace bare digests with Argon2id (salted, memory-hard); wrap each old digest in "
    "Argon2id now and replace it with a plain Argon2id hash at the next login.")
WEAK_HASH = CheckSpec(
    "audit.password_weak_hash", "Password hashes below the minimum work factor", (916,), API2,
    CC61,
    "Use Argon2id at or above the OWASP minimum (m=19 MiB, t=2, p=1), bcrypt cost 10 or more, "
    "PBKDF2-HMAC-SHA256 with 600 000 iterations or scrypt N=2^17; rehash at the next login.")
_SPEC = {Strength.PLAINTEXT: PLAINTEXT, Strength.UNSALTED: UNSALTED, Strength.FAST: WEAK_HASH,
         Strength.WEAK_COST: WEAK_HASH, Strength.VERY_WEAK_COST: WEAK_HASH,
         Strength.UNKNOWN: WEAK_HASH}
_SEVERITY = {Strength.PLAINTEXT: Severity.CRITICAL, Strength.UNSALTED: Severity.HIGH,
             Strength.FAST: Severity.HIGH, Strength.VERY_WEAK_COST: Severity.HIGH,
             Strength.WEAK_COST: Severity.MEDIUM, Strength.UNKNOWN: Severity.INFO}
_TITLE = {Strength.PLAINTEXT: "Passwords stored in plaintext",
          Strength.UNSALTED: "Passwords stored as unsalted {format} digests",
          Strength.FAST: "Passwords hashed with a fast digest ({format})",
          Strength.VERY_WEAK_COST: "Password hashes far below the minimum cost ({format})",
          Strength.WEAK_COST: "Password hashes below the minimum cost ({format})",
          Strength.UNKNOWN: "Password values of an unrecognised format"}
ACCOUNT_ONLY_NAMES = frozenset({"hash", "pass", "hashed"})


class PasswordAuditor:
    def __init__(self) -> None:
        self.weak = Tally()
        self.strong: Counter[str] = Counter()
        self.values: Counter[str] = Counter()
        self.shared_examples: dict[str, str] = {}
        self.looked_at = 0

    def _password_attributes(self, item: Seen) -> list[tuple[str, str]]:
        names = {name: role_of(name) for name in item.raw}
        account = Role.IDENTITY in names.values() or item.entity.startswith("USER")
        return [(name, value) for name, value in item.strings()
                if value and names[name] is Role.PASSWORD
                and (account or name.lower() not in ACCOUNT_ONLY_NAMES)]

    def observe(self, item: Seen, layout_hint: str) -> None:
        salted_elsewhere = any(role_of(name) is Role.SALT for name in item.raw)
        for name, value in self._password_attributes(item):
            self.looked_at += 1
            verdict = assess(value)
            strength = verdict.strength
            if strength is Strength.UNSALTED and salted_elsewhere:
                strength = Strength.FAST
            if strength is Strength.STRONG:
                self.strong[verdict.format] += 1
            else:
                self.weak.add((strength, verdict.format, item.entity, name, verdict.detail),
                              {"item": item.label, "value": verdict.shown})
            if strength is not Strength.PLAINTEXT:
                digest = hashlib.sha256(value.encode()).hexdigest()
                self.values[digest] += 1
                self.shared_examples.setdefault(digest, item.label)

    def _findings(self) -> dict[str, list[Finding]]:
        found: dict[str, list[Finding]] = {spec.check: [] for spec in _SPEC.values()}
        for (strength, fmt, entity, name, detail), group in self.weak.groups.items():
            spec = _SPEC[strength]
            confidence = Confidence.TENTATIVE if strength is Strength.UNKNOWN else \
                Confidence.FIRM
            found[spec.check].append(spec.finding(
                _TITLE[strength].format(format=fmt), _SEVERITY[strength],
                f"{entity} {name} ({fmt})",
                {"item_kind": entity, "attribute": name, "format": fmt, "items": group.count,
                 "why": detail, "examples": group.examples}, confidence))
        shared = {d: n for d, n in self.values.items() if n > 1}
        if shared:
            found[UNSALTED.check].append(UNSALTED.finding(
                "The same password hash is stored for several accounts", Severity.HIGH,
                "password values shared between items",
                {"distinct_values_shared": len(shared), "items": sum(shared.values()),
                 "examples": [{"item": self.shared_examples[d]} for d in list(shared)[:3]],
                 "why": "a salted hash differs for every account, even for equal passwords"}))
        return found

    def results(self, context: AuditContext) -> list[CheckResult]:
        found = self._findings()
        strong = ", ".join(f"{fmt} x{n}" for fmt, n in self.strong.most_common())
        detail = (f"{self.looked_at} password values in {context.items} items"
                  + (f"; at or above the minimum: {strong}" if strong else "")
                  if self.looked_at else
                  f"no attribute holding passwords in {context.items} items")
        return [result_of(spec, found[spec.check], detail)
                for spec in (PLAINTEXT, UNSALTED, WEAK_HASH)]
