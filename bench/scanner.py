"""The scanner's figures for the bench run: real targets, the real command, and the detector.

* ``dynaguard serve`` (default Argon2 profile, embedded engine) and ``dynaguard lab
  --flaws all``, each a process of its own on a free loopback port, each scanned once by
  ``dynaguard scan URL --register --format json`` run as a process: wall time measured
  around the command, the request count, score and grade read from its JSON report;
* the timing detector's power and false-positive rate, from ``bench/timing_detector.py``.

Bounded: each scan has the scanner's own request budget (1500) and a timeout here.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.timing_detector import DetectorFigures, measure_detector
from dynaguard.store.engine import free_port

__all__ = ["ScanFigures", "ScanRow", "measure_scanner"]

SCAN_TIMEOUT_S = 300


@dataclass(frozen=True)
class ScanRow:
    """One scan of one target, as measured."""

    target: str
    command: str
    wall_s: float
    duration_s: float
    requests: int
    score: int
    grade: str
    failed_checks: int
    checks: int


@dataclass(frozen=True)
class ScanFigures:
    rows: list[ScanRow]
    detector: DetectorFigures


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@contextlib.contextmanager
def _target(argv: list[str], port: int, env: dict[str, str], log: Path) -> Iterator[str]:
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603 -- our own command
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[1]} exited at start: "
                                   f"{log.read_text(errors='replace')[-2000:]}")
            try:
                httpx.get(base + "/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(20)


def _scan(label: str, base: str, extra: list[str], env: dict[str, str]) -> ScanRow:
    argv = [_bin("dynaguard"), "scan", base, "--register", "--format", "json", "--quiet",
            "--no-history", *extra]
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True,  # noqa: S603
                          timeout=SCAN_TIMEOUT_S, check=False)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1) or not done.stdout.strip():
        raise RuntimeError(f"scan of {label} failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    checks = report["checks"]
    shown = " ".join(["dynaguard scan URL --register --format json",
                      *(["--mailbox OUTBOX"] if "--mailbox" in extra else [])])
    return ScanRow(
        target=label, command=shown, wall_s=wall,
        duration_s=float(report["duration_s"]), requests=int(report["requests"]),
        score=int(report["score"]), grade=str(report["grade"]),
        failed_checks=sum(c["status"] == "failed" for c in checks), checks=len(checks))


def measure_scanner(work: Path, *, quick: bool) -> ScanFigures:
    """Scan ``dynaguard serve`` and the lab with every flaw on, then run the detector."""
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    serve_data = work / "serve"
    env = {**os.environ, "DYNAGUARD_DATA_DIR": str(serve_data), "DYNAGUARD_DYNAMODB_ENDPOINT": "",
           "DYNAGUARD_MAIL_URL": "", "DYNAGUARD_HISTORY": str(work / "history.db")}
    for name in ("DYNAGUARD_ARGON2_PROFILE", "DYNAGUARD_KEK", "DYNAGUARD_TABLE"):
        env.pop(name, None)  # the service's own defaults: rfc9106-low-memory, a local KEK
    port = free_port()
    env["DYNAGUARD_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    with _target([_bin("dynaguard"), "serve", "--port", str(port)], port, env,
                 work / "serve.log") as base:
        rows.append(_scan("`dynaguard serve` (default Argon2, embedded engine)", base,
                          ["--mailbox", str(serve_data / "outbox")], env))
    lab_env = {**env, "DYNAGUARD_DATA_DIR": str(work / "lab")}
    port = free_port()
    lab_env.pop("DYNAGUARD_PUBLIC_URL")
    with _target([_bin("dynaguard"), "lab", "--flaws", "all", "--port", str(port)], port,
                 lab_env, work / "lab.log") as base:
        rows.append(_scan("lab, every flaw on (`dynaguard lab --flaws all`)", base, [], lab_env))
    leak_runs, constant_runs = (8, 16) if quick else (20, 50)
    detector = measure_detector(leak_runs, constant_runs, max_seconds=180 if quick else 480)
    return ScanFigures(rows, detector)
