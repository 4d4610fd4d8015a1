"""The scanner's exception tree: tool failures, never findings (those are data).

    ScanError                  never raised itself
    ├── UsageError             exit 2: bad options or a bad profile file
    │   └── ProfileError       the profile file is unreadable or invalid
    ├── TargetUnreachable      exit 3: the target did not answer at all
    ├── OffTarget              a request for a host other than the target (refused)
    ├── BudgetExhausted        the request budget is spent; the running check ends as `error`
    └── Skip                   a check cannot run here; it ends as `skipped` with the reason
                               and the missing prerequisite
"""

from __future__ import annotations

from dynaguard.scan.prerequisites import Prerequisite

__all__ = [
    "BudgetExhausted",
    "OffTarget",
    "ProfileError",
    "ScanError",
    "Skip",
    "TargetUnreachable",
    "UsageError",
]


class ScanError(Exception):
    """Root of every error the scanner raises on purpose."""

    exit_code = 1


class UsageError(ScanError):
    """Bad options: the scan does not start."""

    exit_code = 2


class ProfileError(UsageError):
    """The profile file cannot be read or does not validate."""


class TargetUnreachable(ScanError):
    """The target did not answer (connection refused, DNS, timeout)."""

    exit_code = 3


class OffTarget(ScanError):
    """The scanner was about to talk to a host it was not pointed at."""


class BudgetExhausted(ScanError):
    """The request budget is spent."""


class Skip(ScanError):
    """A check (or a helper it called) cannot run against this target; says why, and
    which prerequisite was missing (``needs``)."""

    def __init__(self, reason: str, *,
                 needs: Prerequisite = Prerequisite.UNSPECIFIED) -> None:
        super().__init__(reason)
        self.reason = reason
        self.needs = needs
