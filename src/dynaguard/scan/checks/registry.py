"""The check registry: every check registers itself with ``@check`` and has one signature,
``async def run(ctx: CheckContext) -> Outcome``; raising ``Skip`` ends it as skipped.

Checks run side by side unless registered ``alone``: a check that times answers, spends a
throttling budget on purpose, or may end the sessions other checks hold runs with nothing
else in flight, after every check ordered before it and before every check after it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dynaguard.scan.findings import CheckStatus, Finding, Severity

if TYPE_CHECKING:
    from dynaguard.scan.context import CheckContext

__all__ = ["CheckFunction", "CheckSpec", "Outcome", "Registry", "check", "failed", "passed",
           "registry"]


@dataclass(frozen=True)
class Outcome:
    status: CheckStatus
    detail: str
    findings: tuple[Finding, ...] = ()


def passed(detail: str) -> Outcome:
    return Outcome(CheckStatus.PASSED, detail)


def failed(detail: str, *findings: Finding) -> Outcome:
    return Outcome(CheckStatus.FAILED, detail, findings)


CheckFunction = Callable[["CheckContext"], Awaitable[Outcome]]


@dataclass(frozen=True)
class CheckSpec:
    """What a check is: its id, what it looks for, and how to fix what it finds."""

    id: str
    title: str
    cwe: tuple[int, ...]
    severity: Severity
    remediation: str
    run: CheckFunction
    order: int
    alone: bool = False


class Registry:
    """Checks by id, iterated in run order (non-destructive first, lockout-prone last)."""

    def __init__(self) -> None:
        self._checks: dict[str, CheckSpec] = {}

    def add(self, spec: CheckSpec) -> None:
        if spec.id in self._checks:
            raise ValueError(f"check {spec.id} is registered twice")
        self._checks[spec.id] = spec

    def __iter__(self) -> Iterator[CheckSpec]:
        return iter(sorted(self._checks.values(), key=lambda s: (s.order, s.id)))

    def __len__(self) -> int:
        return len(self._checks)

    def select(self, prefixes: tuple[str, ...] = ()) -> list[CheckSpec]:
        """The checks whose id starts with one of ``prefixes`` (all when none given)."""
        return [s for s in self if not prefixes or s.id.startswith(prefixes)]


registry = Registry()


def check(id: str, *, title: str, cwe: tuple[int, ...], severity: Severity,
          remediation: str, order: int = 50,
          alone: bool = False) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated coroutine as a check (``alone``: see the module's note)."""

    def register(run: CheckFunction) -> CheckFunction:
        registry.add(CheckSpec(id, title, cwe, severity, remediation, run, order, alone))
        return run

    return register
