"""Events the engine emits; the terminal view, report writers and history consume them."""

from __future__ import annotations

from dataclasses import dataclass

from dynaguard.scan.findings import CheckResult, ScanResult

__all__ = ["CheckFinished", "CheckStarted", "Event", "MailSinkStarted", "ScanFinished",
           "ScanStarted", "SurfaceDiscovered"]


@dataclass(frozen=True)
class ScanStarted:
    target: str
    checks: tuple[str, ...]


@dataclass(frozen=True)
class SurfaceDiscovered:
    spec_url: str | None
    operations: int
    endpoints: dict[str, str]


@dataclass(frozen=True)
class MailSinkStarted:
    """The scan's SMTP sink listens here: the target's mail must be sent to it."""

    url: str


@dataclass(frozen=True)
class CheckStarted:
    check: str
    title: str
    index: int
    total: int


@dataclass(frozen=True)
class CheckFinished:
    """``index``: the check's place in run order; ``completed``: checks finished so far
    (checks run side by side, so they finish out of order)."""

    result: CheckResult
    index: int
    total: int
    requests: int
    completed: int


@dataclass(frozen=True)
class ScanFinished:
    result: ScanResult


Event = (ScanStarted | SurfaceDiscovered | MailSinkStarted | CheckStarted | CheckFinished
         | ScanFinished)
