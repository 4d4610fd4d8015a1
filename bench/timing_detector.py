"""Benchmark of the timing detector (dynaguard.scan.timing), printed as figures.

Starts two small loopback HTTP servers in their own processes: one whose login spends an
extra 1 ms on a known account (the leak), one that spends the same time on every request
(constant time). Then runs the detector the way the login-timing check does:

* detection: 40 runs against the leaky server, each with at most 300 pairs;
* false positives: 100 runs against the constant-time server.

Bounded: each run sends at most 2 x (300 + 3) requests, and the whole bench stops after
``--max-seconds`` (default 900). Usage: ``.venv/bin/python bench/timing_detector.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx

from dynaguard.scan.timing import TimingVerdict, measure
from dynaguard.store.engine import free_port

KNOWN = "known@example.com"
BASE_WORK_S = 0.0005
LEAK_S = 0.001


async def _serve(port: int, leak: bool) -> None:
    body = json.dumps({"detail": "Invalid credentials"}).encode()
    head = (b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n\r\n")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                headers = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in headers.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                payload = await reader.readexactly(length)
                # A blocking sleep (nanosleep) is precise to ~0.1 ms; asyncio.sleep is not.
                work = BASE_WORK_S + (LEAK_S if leak and KNOWN.encode() in payload else 0.0)
                time.sleep(work)  # noqa: ASYNC251 -- the simulated work; one client at a time
                writer.write(head + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def _start(leak: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 -- our own interpreter and script
        [sys.executable, __file__, "--serve", "leak" if leak else "constant", str(port)])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.post(url + "/login", json={}, timeout=1)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
        else:
            return proc, url


async def _run(client: httpx.AsyncClient, url: str, rng: random.Random) -> TimingVerdict:
    def probe(email: str):  # type: ignore[no-untyped-def]
        async def once() -> float:
            start = time.perf_counter()
            response = await client.post(url + "/login",
                                         json={"email": email, "password": "wrong-password"})
            response.read()
            return time.perf_counter() - start
        return once

    unknown = f"nobody-{rng.randrange(10**9)}@example.com"
    return await measure(probe(KNOWN), probe(unknown), max_pairs=300, rng=rng)


async def _series(url: str, runs: int, rng: random.Random, deadline: float
                  ) -> list[TimingVerdict]:
    verdicts = []
    async with httpx.AsyncClient(timeout=5) as client:
        for _ in range(runs):
            if time.monotonic() > deadline:
                break
            verdicts.append(await _run(client, url, rng))
    return verdicts


def _report(name: str, verdicts: list[TimingVerdict], runs: int) -> None:
    found = sum(v.leak for v in verdicts)
    pairs = [v.pairs for v in verdicts]
    print(f"{name}: {len(verdicts)}/{runs} runs done, leak reported in {found} "
          f"({100 * found / max(1, len(verdicts)):.1f}%)")
    if pairs:
        print(f"  pairs per run: median {statistics.median(pairs):.0f}, max {max(pairs)}, "
              f"runs at the 300-pair cap: {sum(p >= 300 for p in pairs)}")
        for label, values in (
                ("median difference (ms)", [v.median_diff_s * 1000 for v in verdicts]),
                ("low-quantile difference (ms)", [v.low_quantile_diff_s * 1000 for v in verdicts]),
                ("wilcoxon p", [v.p_value for v in verdicts]),
                ("quantile p", [v.quantile_p_value for v in verdicts])):
            print(f"  {label}: median {statistics.median(values):.3g}, "
                  f"min {min(values):.3g}, max {max(values):.3g}")


@dataclass(frozen=True)
class DetectorFigures:
    """What the bench run reports: detections among leak runs, false positives among
    constant-time runs, pairs per leak run, and how long it all took."""

    leak_runs: int
    leaks_found: int
    leak_pairs_median: float
    leak_pairs_max: int
    constant_runs: int
    false_positives: int
    wall_s: float


def _series_of(leak: bool, runs: int, rng: random.Random, deadline: float
               ) -> tuple[list[TimingVerdict], float]:
    proc, url = _start(leak)
    try:
        t0 = time.perf_counter()
        verdicts = asyncio.run(_series(url, runs, rng, deadline))
        return verdicts, time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(10)


def measure_detector(leak_runs: int, constant_runs: int, max_seconds: float = 900,
                     seed: int = 20261128) -> DetectorFigures:
    """Run the detector against the leaky and the constant-time server (bounded)."""
    rng = random.Random(seed)  # noqa: S311 -- sampling order, not secrecy
    deadline = time.monotonic() + max_seconds
    leaky, leak_s = _series_of(True, leak_runs, rng, deadline)
    constant, constant_s = _series_of(False, constant_runs, rng, deadline)
    pairs = [v.pairs for v in leaky] or [0]
    return DetectorFigures(
        leak_runs=len(leaky), leaks_found=sum(v.leak for v in leaky),
        leak_pairs_median=statistics.median(pairs), leak_pairs_max=max(pairs),
        constant_runs=len(constant), false_positives=sum(v.leak for v in constant),
        wall_s=leak_s + constant_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", nargs=2, metavar=("MODE", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--leak-runs", type=int, default=40)
    parser.add_argument("--constant-runs", type=int, default=100)
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(int(args.serve[1]), args.serve[0] == "leak"))
        return
    rng = random.Random(args.seed)  # noqa: S311 -- sampling order, not secrecy
    deadline = time.monotonic() + args.max_seconds
    started = time.perf_counter()
    print(f"load average at start {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs")
    for leak, runs in ((True, args.leak_runs), (False, args.constant_runs)):
        verdicts, wall = _series_of(leak, runs, rng, deadline)
        name = (f"1 ms leak ({LEAK_S * 1000:.0f} ms on {BASE_WORK_S * 1000:.1f} ms base)"
                if leak else "constant-time target (false positives)")
        _report(name, verdicts, runs)
        print(f"  wall time {wall:.1f} s")
    print(f"total wall time {time.perf_counter() - started:.1f} s; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
