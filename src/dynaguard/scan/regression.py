"""``--baseline`` and ``--fail-on-regression``: history recording and the regression gate."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dynaguard.history import History, Recorder, compare, from_document
from dynaguard.scan.errors import UsageError
from dynaguard.scan.findings import ScanResult

__all__ = ["RegressionGate"]


@dataclass
class RegressionGate:
    """Records the scan (unless told not to) and compares it with its baseline."""

    baseline: ScanResult | None
    use_previous: bool
    recorder: Recorder | None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def prepare(cls, baseline_file: Path | None, fail_on_regression: bool,
                record: bool) -> RegressionGate:
        baseline = None
        if baseline_file is not None:
            try:
                baseline = from_document(json.loads(baseline_file.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError) as error:
                raise UsageError(f"--baseline {baseline_file}: not a readable dynaguard JSON "
                                 f"report ({type(error).__name__})") from None
        use_previous = fail_on_regression and baseline is None
        if use_previous and not record:
            raise UsageError("--fail-on-regression compares with the history: drop --no-history "
                             "or give --baseline FILE")
        return cls(baseline, use_previous, Recorder(History()) if record else None)

    @property
    def scan_id(self) -> int | None:
        return self.recorder.scan_id if self.recorder else None

    @property
    def history_file(self) -> Path | None:
        return self.recorder.history.path if self.recorder else None

    def consumer(self, view: Callable[[object], None]) -> Callable[[object], None]:
        """The engine's event consumer: the terminal view, then the history."""
        recorder = self.recorder

        def consume(event: object) -> None:
            view(event)
            if recorder is not None:
                recorder(event)

        return consume

    def record(self, result: ScanResult) -> None:
        """Record a result that comes whole rather than as events (``dynaguard audit``)."""
        if self.recorder is not None:
            self.recorder.scan_id = self.recorder.history.record(result)

    def failures(self, result: ScanResult) -> list[str]:
        """Why the scan regressed against its baseline (empty: it did not)."""
        before = self.baseline
        if before is None and self.use_previous and self.recorder is not None:
            previous = self.recorder.history.previous(result.target, before_id=self.scan_id)
            before = previous[1] if previous else None
        if before is None:
            return []
        return compare(before, result).reasons()
