"""A full scan of a real ``dynaguard serve`` (default settings and Argon2 profile), as figures.

    .venv/bin/python bench/scan_guard.py [--runs 3] [--by-endpoint]

Each run starts a fresh ``dynaguard serve`` process (embedded engine, its own data
directory, so no throttle counter carries over from an earlier run), waits for it, runs
``dynaguard scan URL --register --mailbox OUTBOX --format json`` as a process and reads
the report; then one more scan, in-process against a fresh server and with one check at a
time, times each check and counts its requests by endpoint. Prints, per run: the scan's
own duration, the wall time of the scan command (interpreter start included), requests,
score, grade, findings above info; then the slowest checks. Bounded: one scan per run,
each within its request budget and a ``--max-seconds`` (default 120) timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher, Type

from dynaguard.guard.passwords import PROFILES
from dynaguard.scan.config import ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.scan.events import CheckFinished, Event
from dynaguard.scan.http import ScanHTTP
from dynaguard.settings import Settings
from dynaguard.store.engine import free_port

BIN = Path(sys.executable).parent


def _argon2_ms() -> float:
    """The median cost of one hash under the default profile, on this machine, now."""
    profile = PROFILES[Settings.model_fields["argon2_profile"].default]
    hasher = PasswordHasher(time_cost=profile.time_cost, memory_cost=profile.memory_cost_kib,
                            parallelism=profile.parallelism, type=Type.ID)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        hasher.hash("bench-password")
        times.append(time.perf_counter() - start)
    return sorted(times)[1] * 1000


def _start_serve(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "DYNAGUARD_DATA_DIR": str(data)}
    for name in list(env):
        if name.startswith("DYNAGUARD_") and name != "DYNAGUARD_DATA_DIR":
            del env[name]
    process = subprocess.Popen(  # noqa: S603 -- our own entry point, fixed arguments
        [str(BIN / "dynaguard"), "serve", "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/openapi.json", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError("dynaguard serve did not start within 60 s")


def _cli_scan(url: str, outbox: Path, report: Path, max_seconds: float) -> float:
    start = time.perf_counter()
    subprocess.run(  # noqa: S603 -- our own entry point, fixed arguments
        [str(BIN / "dynaguard"), "scan", url, "--register", "--mailbox", str(outbox),
         "--format", "json", "--output", str(report), "--no-history", "--quiet"],
        check=False, timeout=max_seconds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


async def _profiled_scan(url: str, outbox: Path) -> list[tuple[str, str, int, float, Counter[str]]]:
    """Each check's status, requests, seconds and requests by endpoint."""
    calls: Counter[str] = Counter()
    original = ScanHTTP.timed

    async def counted(self: ScanHTTP, method: str, path: str,
                      **kwargs: Any) -> tuple[httpx.Response, float]:
        calls[f"{method} {path.removeprefix(self.target)}"] += 1
        return await original(self, method, path, **kwargs)

    rows: list[tuple[str, str, int, float, Counter[str]]] = []

    def on_event(event: Event) -> None:
        if isinstance(event, CheckFinished):
            r = event.result
            rows.append((r.check, str(r.status), r.requests, r.duration_s, Counter(calls)))
            calls.clear()

    ScanHTTP.timed = counted  # type: ignore[method-assign]
    try:
        # One request in flight, so one check at a time: each check's seconds and
        # requests are its own (the timed scans above run checks side by side).
        await run_scan(ScanConfig(url, register=True, mailbox=outbox, concurrency=1), on_event)
    finally:
        ScanHTTP.timed = original  # type: ignore[method-assign]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--by-endpoint", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    print("run  load  argon2_ms  scan_s  wall_s  requests  score grade  findings above info")
    for run in range(1, args.runs + 1):
        data = Path(tempfile.mkdtemp(prefix="dynaguard-scan-bench-"))
        process, url = _start_serve(data)
        try:
            outbox = data / "outbox"
            outbox.mkdir(parents=True, exist_ok=True)
            load, hash_ms = os.getloadavg()[0], _argon2_ms()
            wall = _cli_scan(url, outbox, data / "report.json", args.max_seconds)
            report = json.loads((data / "report.json").read_text())
            serious = [f"{f['severity']} {f['check']} {f['endpoint']}"
                       for f in report["findings"] if f["severity"] != "info"]
            print(f"{run:>3}  {load:4.1f}  {hash_ms:9.0f}  {report['duration_s']:6.1f}  "
                  f"{wall:6.1f}  {report['requests']:8}  "
                  f"{report['score']:5} {report['grade']:>5}  {'; '.join(serious) or '-'}",
                  flush=True)
        finally:
            process.terminate()
            process.wait(10)
    data = Path(tempfile.mkdtemp(prefix="dynaguard-scan-bench-"))
    process, url = _start_serve(data)
    try:
        (data / "outbox").mkdir(parents=True, exist_ok=True)
        profile = asyncio.run(_profiled_scan(url, data / "outbox"))
    finally:
        process.terminate()
        process.wait(10)
    print("\nper check (one more scan, in-process, of a fresh server):")
    print("check                                   status   requests  seconds")
    for check, status, requests, seconds, calls in sorted(profile, key=lambda r: -r[3]):
        print(f"{check:40} {status:8} {requests:8} {seconds:8.2f}")
        if args.by_endpoint:
            for label, count in calls.most_common(4):
                print(f"{'':44}{count:5}  {label}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
