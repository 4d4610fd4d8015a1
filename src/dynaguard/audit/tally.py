"""The shared parts of the audit's checks: what one item looks like to them, what each
check is (its taxonomy and advice), and the bounded tallies findings are built from.

A table of a million weak hashes gives one finding per weakness and place, with a count
and at most three redacted examples, never one finding per item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from dynaguard.audit.names import entity_of, key_part, redact
from dynaguard.scan.findings import CheckResult, CheckStatus, Confidence, Finding, Severity

__all__ = ["AuditContext", "CheckSpec", "Group", "ItemAuditor", "Seen", "Tally", "result_of"]

EXAMPLES = 3


@dataclass(frozen=True)
class Seen:
    """One scanned item, as every check sees it."""

    raw: Mapping[str, Any]
    keys: list[str]
    entity: str
    label: str

    @classmethod
    def of(cls, raw: Mapping[str, Any], keys: list[str]) -> Seen:
        return cls(raw, keys, entity_of(keys), "/".join(_label(k) for k in keys))

    def strings(self) -> list[tuple[str, str]]:
        """The item's string attributes: (name, value)."""
        return [(name, value["S"]) for name, value in self.raw.items()
                if isinstance(value, dict) and isinstance(value.get("S"), str)]


def _label(key: str) -> str:
    kind, rest = key_part(key)
    if kind is None:
        return redact(rest)
    return kind + ("#" + redact(rest) if rest else "")


@dataclass(frozen=True)
class AuditContext:
    """What the checks learn only at the end of the scan."""

    layout: str  # "dynaguard" or "generic"
    ttl_attribute: str | None
    items: int


class ItemAuditor(Protocol):
    def observe(self, item: Seen, layout_hint: str) -> None: ...

    def results(self, context: AuditContext) -> list[CheckResult]: ...


@dataclass(frozen=True)
class CheckSpec:
    check: str
    title: str
    cwe: tuple[int, ...]
    owasp: tuple[str, ...]
    soc2: tuple[str, ...]
    remediation: str

    def finding(self, title: str, severity: Severity, endpoint: str,
                evidence: Mapping[str, Any], confidence: Confidence = Confidence.FIRM,
                ) -> Finding:
        return Finding(check=self.check, title=title, severity=severity, confidence=confidence,
                       cwe=self.cwe, owasp=self.owasp, soc2=self.soc2, endpoint=endpoint,
                       evidence=dict(evidence), remediation=self.remediation)


@dataclass
class Group:
    count: int = 0
    examples: list[dict[str, str]] = field(default_factory=list)


class Tally:
    """Counts per key, with a few examples each."""

    def __init__(self) -> None:
        self.groups: dict[tuple[Any, ...], Group] = {}

    def add(self, key: tuple[Any, ...], example: dict[str, str]) -> None:
        group = self.groups.setdefault(key, Group())
        group.count += 1
        if len(group.examples) < EXAMPLES:
            group.examples.append(example)


def result_of(spec: CheckSpec, findings: list[Finding], detail: str) -> CheckResult:
    status = CheckStatus.FAILED if findings else CheckStatus.PASSED
    return CheckResult(check=spec.check, title=spec.title, status=status, detail=detail,
                       findings=tuple(findings))
