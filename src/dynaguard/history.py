"""The scan history: every scan and every finding in one SQLite file.

The file is the ``history`` setting (``DYNAGUARD_HISTORY`` or ``.env``), else
``history.sqlite3`` in the user's data directory.
:class:`Recorder` consumes the engine's events and stores the scan when it finishes;
:func:`compare` tells what changed between two scans (the regression gate's question).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dynaguard.scan.errors import UsageError
from dynaguard.scan.findings import (
    CheckResult,
    CheckStatus,
    Confidence,
    Finding,
    ScanResult,
    Severity,
)
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.report.json import SCHEMA, to_document
from dynaguard.settings import Settings, describe_validation_error

__all__ = ["Diff", "History", "Recorder", "ScanRow", "compare", "from_document",
           "history_path"]

_DDL = """
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    started_at TEXT NOT NULL,
    duration_s REAL NOT NULL,
    requests INTEGER NOT NULL,
    score INTEGER NOT NULL,
    grade TEXT NOT NULL,
    findings INTEGER NOT NULL,
    document TEXT NOT NULL,
    ran INTEGER,
    applicable INTEGER
);
CREATE INDEX IF NOT EXISTS scans_by_target ON scans (target, id);
CREATE TABLE IF NOT EXISTS findings (
    scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    check_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    severity TEXT NOT NULL,
    confidence TEXT NOT NULL,
    title TEXT NOT NULL,
    cwe TEXT NOT NULL,
    owasp TEXT NOT NULL,
    soc2 TEXT NOT NULL,
    PRIMARY KEY (scan_id, position)
);
"""
_ROW = "id, target, started_at, duration_s, requests, score, grade, findings, ran, applicable"
# Columns added since the first history files were written: (name, SQL type).
_ADDED = (("ran", "INTEGER"), ("applicable", "INTEGER"))


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a history file written by an older version up to date: add the coverage
    columns and fill them from each stored document (its checks' statuses)."""
    def missing() -> list[tuple[str, str]]:
        have = {row[1] for row in db.execute("PRAGMA table_info(scans)")}
        return [(name, kind) for name, kind in _ADDED if name not in have]

    if not missing():
        return
    db.execute("BEGIN IMMEDIATE")  # one writer migrates; the others then find it done
    try:
        for name, kind in missing():
            db.execute(f"ALTER TABLE scans ADD COLUMN {name} {kind}")
        for scan_id, document in db.execute("SELECT id, document FROM scans").fetchall():
            coverage = from_document(json.loads(document)).coverage
            db.execute("UPDATE scans SET ran = ?, applicable = ? WHERE id = ?",
                       (coverage.ran, coverage.applicable, scan_id))
    except BaseException:
        db.rollback()
        raise
    db.commit()


def history_path(settings: Settings | None = None) -> Path:
    """The ``history`` setting (``DYNAGUARD_HISTORY``, also from ``.env``), else
    ``history.sqlite3`` in the user's data directory; bad settings are a usage error."""
    if settings is None:
        try:
            settings = Settings()
        except ValidationError as error:
            raise UsageError(describe_validation_error(error)) from None
    return settings.history_file


@dataclass(frozen=True)
class ScanRow:
    id: int
    target: str
    started_at: str
    duration_s: float
    requests: int
    score: int
    grade: str
    findings: int
    ran: int | None = None
    applicable: int | None = None

    @property
    def coverage(self) -> str:
        """``31/38 checks (81%)``, or a dash for a row stored without coverage."""
        if self.ran is None or not self.applicable:
            return "-" if self.ran is None else f"{self.ran}/0 checks"
        return f"{self.ran}/{self.applicable} checks ({self.ran * 100 // self.applicable}%)"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "target": self.target, "started_at": self.started_at,
                "duration_s": self.duration_s, "requests": self.requests, "score": self.score,
                "grade": self.grade, "findings": self.findings,
                "coverage": None if self.ran is None else {"ran": self.ran,
                                                           "applicable": self.applicable}}


def _prerequisite(value: Any) -> Prerequisite | None:
    """A skipped check's prerequisite as stored; documents from before prerequisites were
    recorded (or naming one this version does not know) read as unspecified."""
    try:
        return Prerequisite(value) if value is not None else None
    except ValueError:
        return Prerequisite.UNSPECIFIED


def from_document(document: dict[str, Any]) -> ScanResult:
    """A :class:`ScanResult` back from its ``dynaguard.scan/1`` document."""
    if document.get("schema") != SCHEMA:
        raise ValueError(f"not a {SCHEMA} document")
    by_check: dict[str, list[Finding]] = {}
    for raw in document["findings"]:
        finding = Finding(
            check=raw["check"], title=raw["title"], severity=Severity(raw["severity"]),
            confidence=Confidence(raw["confidence"]), cwe=tuple(raw["cwe"]),
            owasp=tuple(raw["owasp"]), soc2=tuple(raw["soc2"]), endpoint=raw["endpoint"],
            evidence=raw["evidence"], remediation=raw["remediation"])
        by_check.setdefault(finding.check, []).append(finding)
    checks = []
    for raw in document["checks"]:
        found = by_check.pop(raw["check"], [])
        checks.append(CheckResult(raw["check"], raw.get("title", raw["check"]),
                                  CheckStatus(raw["status"]), raw["detail"], tuple(found),
                                  needs=_prerequisite(raw.get("needs"))))
    for check_id, found in by_check.items():  # findings of a check the document did not list
        checks.append(CheckResult(check_id, check_id, CheckStatus.FAILED, "", tuple(found)))
    started = datetime.fromisoformat(document["started_at"].replace("Z", "+00:00"))
    return ScanResult(target=document["target"], started_at=started,
                      duration_s=float(document["duration_s"]),
                      requests=int(document["requests"]), score=int(document["score"]),
                      grade=document["grade"], checks=tuple(checks))


def _key(finding: Finding) -> tuple[str, str]:
    return finding.check, finding.endpoint


@dataclass(frozen=True)
class Diff:
    """What changed from ``before`` to ``after``. A finding of ``before`` whose check did
    not run in ``after`` is ``untested``, not fixed."""

    score_before: int
    score_after: int
    new: tuple[Finding, ...]
    fixed: tuple[Finding, ...]
    untested: tuple[Finding, ...] = ()

    @property
    def regressed(self) -> bool:
        """The score dropped, a finding is new, or a known finding went untested (a scan
        that skipped the check must not pass for one that fixed it)."""
        return self.score_after < self.score_before or bool(self.new) or bool(self.untested)

    def reasons(self) -> list[str]:
        reasons = []
        if self.score_after < self.score_before:
            reasons.append(f"score dropped from {self.score_before} to {self.score_after}")
        reasons.extend(f"new finding: {f.title} ({f.endpoint}) [{f.check}]" for f in self.new)
        reasons.extend(f"finding no longer tested: {f.title} ({f.endpoint}) [{f.check} did "
                       "not run]" for f in self.untested)
        return reasons

    def to_dict(self) -> dict[str, Any]:
        return {"score_before": self.score_before, "score_after": self.score_after,
                "regressed": self.regressed, "new": [f.to_dict() for f in self.new],
                "fixed": [f.to_dict() for f in self.fixed],
                "untested": [f.to_dict() for f in self.untested]}


def compare(before: ScanResult, after: ScanResult) -> Diff:
    """New, fixed and untested findings (by check and endpoint) and the two scores."""
    old = {_key(f) for f in before.findings}
    now = {_key(f) for f in after.findings}
    ran = {c.check for c in after.checks if c.ran}
    gone = [f for f in before.findings if _key(f) not in now]
    return Diff(before.score, after.score,
                tuple(f for f in after.findings if _key(f) not in old),
                tuple(f for f in gone if f.check in ran),
                tuple(f for f in gone if f.check not in ran))


class History:
    """The SQLite store; one connection per operation, so it is safe across threads."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or history_path()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path)) as db:
            db.execute("PRAGMA foreign_keys = ON")
            db.executescript(_DDL)
            _migrate(db)
            with db:  # one transaction
                yield db

    def record(self, result: ScanResult) -> int:
        """Store a scan and its findings; returns the scan's id."""
        document = to_document(result)
        coverage = result.coverage
        with self._db() as db:
            cursor = db.execute(
                "INSERT INTO scans (target, started_at, duration_s, requests, score, grade, "
                "findings, document, ran, applicable) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (result.target, document["started_at"], result.duration_s, result.requests,
                 result.score, result.grade, len(result.findings),
                 json.dumps(document, default=str), coverage.ran, coverage.applicable))
            scan_id = cursor.lastrowid
            assert scan_id is not None  # noqa: S101 -- an INSERT always sets it
            db.executemany(
                "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(scan_id, n, f.check, f.endpoint, str(f.severity), str(f.confidence),
                  f.title, json.dumps(f.cwe), json.dumps(f.owasp), json.dumps(f.soc2))
                 for n, f in enumerate(result.findings)])
        return scan_id

    def scans(self, target: str | None = None, limit: int = 100) -> list[ScanRow]:
        """The newest scans first (of one target, or of all)."""
        query = f"SELECT {_ROW} FROM scans"  # noqa: S608 -- a fixed column list
        args: tuple[Any, ...] = ()
        if target is not None:
            query += " WHERE target = ?"
            args = (target,)
        with self._db() as db:
            rows = db.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [ScanRow(*row) for row in rows]

    def get(self, scan_id: int) -> ScanResult | None:
        with self._db() as db:
            row = db.execute("SELECT document FROM scans WHERE id = ?", (scan_id,)).fetchone()
        return from_document(json.loads(row[0])) if row else None

    def previous(self, target: str, before_id: int | None = None) -> tuple[int, ScanResult] | None:
        """The latest scan of ``target`` (older than ``before_id`` when given)."""
        query = "SELECT id, document FROM scans WHERE target = ?"
        args: tuple[Any, ...] = (target,)
        if before_id is not None:
            query += " AND id < ?"
            args = (target, before_id)
        with self._db() as db:
            row = db.execute(query + " ORDER BY id DESC LIMIT 1", args).fetchone()
        return (int(row[0]), from_document(json.loads(row[1]))) if row else None

    def row(self, scan_id: int) -> ScanRow | None:
        """One scan's summary, without its findings."""
        with self._db() as db:
            row = db.execute(f"SELECT {_ROW} FROM scans WHERE id = ?",  # noqa: S608 -- fixed columns
                             (scan_id,)).fetchone()
        return ScanRow(*row) if row else None

    def targets(self) -> list[tuple[ScanRow, int]]:
        """Each target's latest scan and how many scans it has, most recently scanned first."""
        with self._db() as db:
            rows = db.execute(
                f"SELECT {_ROW}, counted.n FROM scans JOIN"  # noqa: S608 -- fixed columns
                " (SELECT MAX(id) AS last, COUNT(*) AS n FROM scans "
                "GROUP BY target) AS counted ON scans.id = counted.last ORDER BY id DESC"
            ).fetchall()
        return [(ScanRow(*row[:-1]), int(row[-1])) for row in rows]


class Recorder:
    """An event consumer: stores the scan when :class:`ScanFinished` arrives."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.scan_id: int | None = None

    def __call__(self, event: object) -> None:
        from dynaguard.scan.events import ScanFinished  # noqa: PLC0415 -- no cycle at import

        if isinstance(event, ScanFinished):
            self.scan_id = self.history.record(event.result)
