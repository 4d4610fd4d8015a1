"""The corpus of third-party targets: start one, scan it with ``dynaguard scan``, and
compare the report with the verdicts established by hand in its ``expected.toml``.

Each target is a directory beside this module holding ``app.py`` (run with the corpus'
own interpreter, ``--port P --data DIR``), ``expected.toml`` and ``EXPECTED.md`` (the
evidence), and, for a target without an API description, the profile a user would write.
An ``assisted.toml`` is what a user could add for what the scanner misses there today; the
test never uses it, ``bench/corpus.py`` scans with it too, to tell missing discovery from
missing checks.
The test suite (``test_corpus.py``) and ``bench/corpus.py`` both use what is here.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from dynaguard.store.engine import free_port

__all__ = ["HERE", "TARGETS", "Comparison", "Expectation", "compare", "load", "running",
           "scan"]

HERE = Path(__file__).parent
TARGETS = ("fastapi_users_jwt", "drf_djoser", "flask_jwt_extended", "fastapi_oauth2_email")
SEVERITIES = ("info", "low", "medium", "high", "critical")
START_TIMEOUT_S = 90.0
SCAN_TIMEOUT_S = 300.0
SCAN_BUDGET = 1500


@dataclass(frozen=True)
class Expectation:
    """What a target has and has not, by check id, as established by hand."""

    name: str
    title: str
    directory: Path
    must_find: dict[str, str]
    may_find: dict[str, str]
    must_not_find: dict[str, str]
    unreached: dict[str, str]
    cwe_present: tuple[int, ...]
    cwe_absent: tuple[int, ...]
    profile: Path | None
    assisted: Path | None

    @property
    def app(self) -> Path:
        return self.directory / "app.py"


def load(name: str) -> Expectation:
    directory = HERE / name
    raw = tomllib.loads((directory / "expected.toml").read_text())
    profile = raw.get("profile")
    return Expectation(
        name=name, title=raw["title"], directory=directory,
        must_find=dict(raw.get("must_find", {})), may_find=dict(raw.get("may_find", {})),
        must_not_find=dict(raw.get("must_not_find", {})),
        unreached=dict(raw.get("unreached", {})),
        cwe_present=tuple(raw["cwe"]["present"]), cwe_absent=tuple(raw["cwe"]["absent"]),
        profile=directory / profile if profile else None,
        assisted=directory / "assisted.toml" if (directory / "assisted.toml").exists() else None)


@contextlib.contextmanager
def running(expectation: Expectation, python: Path, data: Path) -> Iterator[str]:
    """The target as a process of its own on a free loopback port; yields its base URL."""
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (data / "target.log").open("wb")
    proc = subprocess.Popen(  # noqa: S603 -- the corpus interpreter, our own app file
        [str(python), str(expectation.app), "--port", str(port), "--data", str(data)],
        stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                httpx.get(base + "/", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    tail = (data / "target.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"{expectation.name} did not start:\n{tail}") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def scan(expectation: Expectation, base: str, out: Path,
         profile: Path | None = None) -> dict[str, Any]:
    """``dynaguard scan`` as a user runs it (its own process), the JSON report parsed;
    ``profile`` replaces the target's own (e.g. its ``assisted.toml``)."""
    command = [str(Path(sys.executable).with_name("dynaguard")), "scan", base, "--register",
               "--format", "json", "--output", str(out), "--quiet", "--no-history",
               "--budget", str(SCAN_BUDGET)]
    profile = profile or expectation.profile
    if profile is not None:
        command += ["--profile", str(profile)]
    done = subprocess.run(command, capture_output=True, text=True,  # noqa: S603
                          timeout=SCAN_TIMEOUT_S, check=False)
    if done.returncode not in (0, 1) or not out.exists():
        raise RuntimeError(f"dynaguard scan exited {done.returncode}: {done.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(out.read_text())
    return report


@dataclass(frozen=True)
class FalseFinding:
    check: str
    severity: str
    title: str
    endpoint: str


@dataclass(frozen=True)
class Comparison:
    """One scan against one target's expectation."""

    expectation: Expectation
    found: tuple[str, ...]
    missed: tuple[str, ...]
    false: tuple[FalseFinding, ...]
    statuses: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    duration_s: float = 0.0
    score: int | None = None
    grade: str | None = None

    @property
    def false_above_low(self) -> tuple[FalseFinding, ...]:
        return tuple(f for f in self.false
                     if SEVERITIES.index(f.severity) > SEVERITIES.index("low"))

    @property
    def ran(self) -> int:
        return sum(1 for s in self.statuses.values() if s in ("passed", "failed"))

    @property
    def skipped(self) -> int:
        return sum(1 for s in self.statuses.values() if s not in ("passed", "failed"))

    @property
    def meets_target(self) -> bool:
        """Everything expected found, and no false finding above low."""
        return not self.missed and not self.false_above_low


def compare(expectation: Expectation, report: dict[str, Any]) -> Comparison:
    findings = report.get("findings", [])
    flagged = {f["check"] for f in findings}
    allowed = set(expectation.must_find) | set(expectation.may_find)
    false = tuple(FalseFinding(f["check"], f["severity"], f.get("title", ""),
                               f.get("endpoint", ""))
                  for f in findings if f["check"] not in allowed)
    return Comparison(
        expectation=expectation,
        found=tuple(c for c in expectation.must_find if c in flagged),
        missed=tuple(c for c in expectation.must_find if c not in flagged),
        false=false,
        statuses={c["check"]: c["status"] for c in report.get("checks", [])},
        requests=int(report.get("requests", 0)),
        duration_s=float(report.get("duration_s", 0.0)),
        score=report.get("score"), grade=report.get("grade"))
