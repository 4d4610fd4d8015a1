"""Where an authenticated request's CPU goes: the service, the DynamoDB engine, the client.

    .venv/bin/python -m bench.cpu_per_request [--requests 1500] [--py-spy OUT]

For dynaguard and the peer in turn (each on a fresh engine, as ``bench.run`` starts them):
a closed loop of ``GET /auth/me`` (``/users/me``) with 16 clients, and the CPU time each
process spent per request, read from ``/proc``. On a shared machine throughput follows the
load average, while CPU per request stays put: this is the figure to compare. With
``--py-spy OUT``, py-spy (a dev tool, not a dependency) samples dynaguard's service process
into ``OUT`` as collapsed stacks. Bounded: at most ``--requests`` per service and 60 s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.load import closed_loop
from bench.run import access_token, cpu_seconds, engine, seed_dynaguard, seed_peer, server


def _engine_pid(port: str) -> int:
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"dynaguard.store.engine" in argv and port.encode() in argv:
                return int(proc.name)
    raise RuntimeError("engine process not found")


async def measure(which: str, requests: int, spy: Path | None) -> str:
    kek = base64.b64encode(secrets.token_bytes(32)).decode()
    data = Path(tempfile.mkdtemp(prefix="dynaguard-cpu-"))
    with engine() as endpoint:
        engine_pid = _engine_pid(endpoint.rsplit(":", 1)[1])
        if which == "dynaguard":
            await seed_dynaguard(endpoint, "bench-cpu", kek, data)
        with server(which, endpoint, "bench-cpu", kek, data / "logs") as srv:
            if which == "peer":
                await seed_peer(srv)
            headers = {"Authorization": f"Bearer {await access_token(srv)}"}
            path = srv.me_path

            def send(client):  # type: ignore[no-untyped-def]
                return client.get(path, headers=headers)

            await closed_loop(srv.base, send, concurrency=4, max_requests=200, max_seconds=10)
            sampler = None
            if spy is not None and which == "dynaguard" and shutil.which("py-spy"):
                sampler = subprocess.Popen(  # noqa: S603, ASYNC220 -- a dev tool, started once
                    ["py-spy", "record", "-r", "250", "-f", "raw", "-o", str(spy),  # noqa: S607
                     "-p", str(srv.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                await asyncio.sleep(1)
            before = cpu_seconds(srv.pid), cpu_seconds(engine_pid), time.process_time()
            result = await closed_loop(srv.base, send, concurrency=16, max_requests=requests,
                                       max_seconds=60)
            after = cpu_seconds(srv.pid), cpu_seconds(engine_pid), time.process_time()
            if sampler is not None:
                sampler.send_signal(2)
                sampler.wait(30)
    per = [1000 * (b - a) / max(1, result.requests) for a, b in zip(before, after, strict=True)]
    return (f"| {which} | {result.requests} | {result.errors} | {result.rps:.0f} "
            f"| {per[0]:.2f} | {per[1]:.2f} | {per[2]:.2f} | {sum(per):.2f} |")


async def main(requests: int, spy: Path | None) -> None:
    print(f"load average at start: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print("| service | requests | errors | req/s | CPU ms/req service | engine | client "
          "| total |")
    print("|---|---|---|---|---|---|---|---|")
    for which in ("dynaguard", "peer"):
        print(await measure(which, requests, spy), flush=True)
    print(f"load average at end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--py-spy", type=Path, default=None, dest="spy")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.spy))
