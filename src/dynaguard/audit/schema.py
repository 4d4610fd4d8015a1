"""Items that fail the schema: the data behind ``KeyError`` bypasses (CWE-287, CWE-20).

On dynaguard's own layout every item is held to its strict model. On any other layout,
account items (those with a password or an identity attribute) are compared with each
other: a flag such as ``enabled`` or ``email_confirmed`` that some accounts carry and
others lack, or that is not a boolean, is what hand-written code reads as "yes" by
mistake (``item.get("enabled", {}).get("BOOL") is not False``, ``"false"`` being truthy).
"""

from __future__ import annotations

from collections import Counter

from dynaguard.audit.layout import dynaguard_model, schema_problems
from dynaguard.audit.names import Role, role_of
from dynaguard.audit.tally import AuditContext, CheckSpec, Seen, Tally, result_of
from dynaguard.scan.findings import CheckResult, Finding, Severity
from dynaguard.store.items import KeyItem, UserItem

__all__ = ["SCHEMA", "SchemaAuditor"]

SCHEMA = CheckSpec(
    "audit.user_schema", "Items that fail the schema", (287, 20), ("API2:2023",), ("CC6.1",),
    "Repair the items (write every flag explicitly, as a boolean) and read them through a "
    "strict model that treats a missing or mistyped attribute as a deny.")
EXAMPLES = 3


class SchemaAuditor:
    def __init__(self) -> None:
        self.strict = Tally()
        self.strict_checked = 0
        self.markers = 0
        self.accounts = 0
        self.flag_sets: Counter[frozenset[str]] = Counter()
        self.flag_set_examples: dict[frozenset[str], list[dict[str, str]]] = {}
        self.flag_types = Tally()
        self.flag_roles: dict[str, Role] = {}

    def observe(self, item: Seen, layout_hint: str) -> None:
        if layout_hint != "generic" and len(item.keys) == 2:
            self._observe_strict(item)
        self._observe_generic(item)

    def _observe_strict(self, item: Seen) -> None:
        model = dynaguard_model(item.keys[0], item.keys[1])
        if model is None:
            return
        self.strict_checked += 1
        problems = schema_problems(model, item.raw)
        if problems:
            self.strict.add((item.entity, model.__name__, tuple(problems)), {"item": item.label})
        elif model in (UserItem, KeyItem):
            self.markers += 1

    def _observe_generic(self, item: Seen) -> None:
        roles = {name: role_of(name) for name in item.raw}
        has_password = any(role is Role.PASSWORD and "S" in item.raw[name]
                           for name, role in roles.items())
        if not has_password and not (Role.IDENTITY in roles.values()
                                     and item.entity.startswith("USER")):
            return
        self.accounts += 1
        flags = frozenset(name for name, role in roles.items()
                          if role in (Role.POSITIVE_FLAG, Role.NEGATIVE_FLAG))
        self.flag_sets[flags] += 1
        examples = self.flag_set_examples.setdefault(flags, [])
        if len(examples) < EXAMPLES:
            examples.append({"item": item.label})
        for name in flags:
            role = roles[name]
            assert role is not None  # noqa: S101 -- flags were chosen by role above
            self.flag_roles[name] = role
            value = item.raw[name]
            kind = next(iter(value), "?") if isinstance(value, dict) and value else "?"
            if kind != "BOOL":
                self.flag_types.add((name, kind), {"item": item.label})

    def _strict_findings(self) -> list[Finding]:
        findings = []
        for (entity, model, problems), group in self.strict.groups.items():
            severity = Severity.HIGH if model == "UserItem" else Severity.MEDIUM
            findings.append(SCHEMA.finding(
                f"{entity} items that fail dynaguard's {model}", severity,
                f"{entity} ({', '.join(problems)})",
                {"item_kind": entity, "model": model, "problems": list(problems),
                 "items": group.count, "examples": group.examples}))
        return findings

    def _generic_findings(self) -> list[Finding]:
        findings = []
        for flag, role in sorted(self.flag_roles.items()):
            if role is not Role.POSITIVE_FLAG:
                continue
            lacking = [s for s in self.flag_sets if flag not in s]
            count = sum(self.flag_sets[s] for s in lacking)
            if count:
                examples = [e for s in lacking for e in self.flag_set_examples[s]][:EXAMPLES]
                findings.append(SCHEMA.finding(
                    f"Account items without `{flag}`", Severity.HIGH, f"accounts missing {flag}",
                    {"attribute": flag, "items": count, "accounts": self.accounts,
                     "why": f"other accounts carry `{flag}`; code that reads a missing flag "
                            "as not-false lets these accounts through",
                     "examples": examples}))
        for (flag, kind), group in self.flag_types.groups.items():
            severity = Severity.HIGH if self.flag_roles[flag] is Role.POSITIVE_FLAG else \
                Severity.MEDIUM
            findings.append(SCHEMA.finding(
                f"Account flag `{flag}` stored as {kind}, not a boolean", severity,
                f"accounts {flag} typed {kind}",
                {"attribute": flag, "stored_as": kind, "items": group.count,
                 "why": 'a string "false" or a number 0 read raw is truthy',
                 "examples": group.examples}))
        return findings

    def is_dynaguard(self) -> bool:
        return self.markers > 0

    def results(self, context: AuditContext) -> list[CheckResult]:
        if context.layout == "dynaguard":
            findings = self._strict_findings()
            detail = (f"{self.strict_checked} items held to dynaguard's models "
                      f"(store/items.py)")
        else:
            findings = self._generic_findings()
            flags = ", ".join(sorted(self.flag_roles)) or "none"
            detail = f"{self.accounts} account items compared; flags seen: {flags}"
        return [result_of(SCHEMA, findings, detail)]
