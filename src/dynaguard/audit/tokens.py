"""Tokens and secrets in clear (CWE-312, CWE-522), and token items that never expire (CWE-613).

A refresh or reset token kept in clear is a working credential for whoever reads the
table (a backup, an export, a support tool). It is spotted three ways: a token kind in the
key (``REFRESH#…``, ``TOKEN#…``) followed by anything but a digest; an attribute named
like a token or secret (``refresh_token``, ``api_key``, ``mfa_secret``) holding a string;
a JWT anywhere. An item of a token kind must also carry the table's TTL attribute as epoch
seconds, or it outlives every logout.
"""

from __future__ import annotations

import re

from dynaguard.audit.layout import HASHED_KEY_KINDS, TOKEN_KINDS, is_digest
from dynaguard.audit.names import Role, key_part, redact, role_of
from dynaguard.audit.tally import AuditContext, CheckSpec, Seen, Tally, result_of
from dynaguard.scan.findings import CheckResult, Confidence, Finding, Severity

__all__ = ["CLEAR", "EXPIRY", "TokenAuditor"]

CLEAR = CheckSpec(
    "audit.tokens_in_clear", "Tokens or secrets stored in clear", (312, 522), ("API2:2023",),
    ("CC6.1",),
    "Store only a SHA-256 digest of each token (look it up by the digest of what the client "
    "sends) and encrypt long-lived secrets such as TOTP seeds under a key outside the table.")
EXPIRY = CheckSpec(
    "audit.token_expiry", "Token or session items without expiry", (613,), ("API2:2023",),
    ("CC6.1", "CC6.2"),
    "Give every token and session item an expiry in the table's TTL attribute (a Number, "
    "epoch seconds) and check it on every read: TTL deletion can lag by up to 48 hours.")
JWT = re.compile(r"^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$")
B64_DIGEST = re.compile(r"^(?:[A-Za-z0-9+/_-]{43}=?|[A-Za-z0-9+/_-]{86}(?:==)?)$")
MIN_SECRET = 8
EPOCH_MS = 10**11  # epoch seconds stay below this until the year 5138


def _digest_shaped(value: str) -> bool:
    return is_digest(value) or bool(B64_DIGEST.match(value)) or value.startswith("$")


class TokenAuditor:
    def __init__(self, ttl_attribute: str | None) -> None:
        self.ttl_attribute = ttl_attribute
        self.clear = Tally()
        self.token_items = 0
        self.token_keys = 0
        self.secret_attributes = 0
        self.expiry: dict[str, Tally] = {}

    def observe(self, item: Seen, layout_hint: str) -> None:
        self._keys(item)
        self._attributes(item)
        kinds = {key_part(k)[0] for k in item.keys}
        roles = {name: role_of(name) for name in item.raw}
        token_item = bool(kinds & TOKEN_KINDS) or (
            Role.SECRET in roles.values() and Role.PASSWORD not in roles.values()
            and Role.IDENTITY not in roles.values())
        if token_item:
            self.token_items += 1
            self.expiry.setdefault(item.entity, Tally())
            self._expiry_reason(item, roles)

    def _keys(self, item: Seen) -> None:
        for position, value in enumerate(item.keys):
            kind, rest = key_part(value)
            if kind not in HASHED_KEY_KINDS or not rest:
                continue
            self.token_keys += 1
            token = rest.split("#", 1)[0]
            if not is_digest(token):
                where = ("partition" if position == 0 else "sort") + " key"
                self.clear.add((item.entity, where, "a token in the key"),
                               {"item": f"{kind}#{redact(token)}"})

    def _attributes(self, item: Seen) -> None:
        for name, value in item.strings():
            role = role_of(name)
            if JWT.match(value) and role is not Role.PASSWORD:
                self.clear.add((item.entity, name, "a JWT"),
                               {"item": item.label, "value": redact(value)})
            elif role is Role.SECRET and len(value) >= MIN_SECRET:
                self.secret_attributes += 1
                shape = "a digest-shaped value" if _digest_shaped(value) else "a secret"
                self.clear.add((item.entity, name, shape),
                               {"item": item.label, "value": redact(value)})
            elif role is Role.HASHED_SECRET:
                self.secret_attributes += 1

    def _expiry_reason(self, item: Seen, roles: dict[str, Role | None]) -> None:
        ttl = self.ttl_attribute
        names = [ttl] if ttl else [n for n, r in roles.items() if r is Role.EXPIRY]
        present = [n for n in names if n in item.raw]
        reason = None
        if not present:
            reason = f"no {ttl}" if ttl else "no expiry attribute"
        else:
            raw = item.raw[present[0]]
            number = raw.get("N") if isinstance(raw, dict) else None
            if number is None:
                reason = f"{present[0]} is not a Number, which TTL ignores"
            elif number.isdigit() and int(number) >= EPOCH_MS:
                reason = f"{present[0]} is in milliseconds: TTL reads it as far in the future"
        if reason is not None:
            self.expiry[item.entity].add((reason,), {"item": item.label})

    def _clear_findings(self) -> list[Finding]:
        findings = []
        for (entity, where, shape), group in self.clear.groups.items():
            tentative = shape == "a digest-shaped value"
            findings.append(CLEAR.finding(
                f"{entity}: {shape} stored in clear in {where}",
                Severity.MEDIUM if tentative else Severity.HIGH, f"{entity} {where}",
                {"item_kind": entity, "where": where, "shape": shape, "items": group.count,
                 "examples": group.examples},
                Confidence.TENTATIVE if tentative else Confidence.FIRM))
        return findings

    def _expiry_findings(self) -> list[Finding]:
        findings = []
        for entity, tally in self.expiry.items():
            for (reason,), group in tally.groups.items():
                findings.append(EXPIRY.finding(
                    f"{entity} items that never expire ({reason})", Severity.MEDIUM,
                    f"{entity} expiry", {"item_kind": entity, "reason": reason,
                                         "items": group.count, "examples": group.examples}))
        return findings

    def results(self, context: AuditContext) -> list[CheckResult]:
        clear_detail = (f"{self.token_keys} token keys and {self.secret_attributes} secret "
                        f"attributes in {context.items} items")
        kinds = ", ".join(sorted(self.expiry)) or "none"
        expiry_detail = (f"{self.token_items} token or session items (kinds: {kinds}) held to "
                         f"the TTL attribute {context.ttl_attribute or '(none set)'}")
        return [result_of(CLEAR, self._clear_findings(), clear_detail),
                result_of(EXPIRY, self._expiry_findings(), expiry_detail)]
