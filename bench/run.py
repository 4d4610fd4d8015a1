"""dynaguard against fastapi-users + fastapi-users-db-dynamodb, on one engine, in one run.

    ./dev bench            (or: .venv/bin/python -m bench.run [--quick])

Starts the DynamoDB engine, both services under identical uvicorn settings and a counting
proxy, all on 127.0.0.1; prints a table and writes docs/benchmarks.md. Behind the proxy
it also counts read capacity units and then measures latency with every engine call held
3 ms (a remote engine). Every load loop is
bounded in requests and in seconds; a full run takes about three minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import platform
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import httpx
from argon2 import PasswordHasher, Type

from bench.dynamo_proxy import DynamoProxy, ProxyThread
from bench.load import Result, Send, closed_loop, percentile
from bench.peer_env import peer_python
from bench.report import write_report
from bench.scanner import ScanFigures, measure_scanner
from dynaguard.guard.core import Guard
from dynaguard.guard.passwords import PROFILES
from dynaguard.settings import Settings
from dynaguard.store.engine import free_port

PROFILE = "rfc9106-low-memory"
REMOTE_DELAY_MS = 3.0  # added to every engine call in the remote-engine run
# The engine here is moto, one request at a time, on a shared machine: a burst of 50 logins
# queues over a hundred calls behind it, which DynamoDB never would. dynaguard's client
# deadline (1.2 s by default) would answer 503 there, and the peer's client waits up to
# a minute; both services get a client that waits (four attempts of 5 s, dynaguard's
# earlier setting), so the figures compare request paths, not failure policies.
PATIENT_CLIENT = {"DYNAGUARD_DYNAMODB_READ_TIMEOUT": "5", "DYNAGUARD_DYNAMODB_MAX_ATTEMPTS": "4",
                  "DYNAGUARD_DYNAMODB_CALL_TIMEOUT": "25"}
EMAIL = "bench@example.com"
PASSWORD = "quiet-harbor-lantern-97"
ROOT = Path(__file__).resolve().parent.parent


T0 = time.monotonic()


def progress(message: str) -> None:
    print(f"bench: [{time.monotonic() - T0:5.0f} s] {message}", file=sys.stderr, flush=True)


@dataclass
class Server:
    """One service process (dynaguard or the peer) and how to talk to it."""

    which: str
    proc: subprocess.Popen[bytes]
    base: str

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def login(self, client: httpx.AsyncClient) -> httpx.Response:
        if self.which == "peer":
            return await client.post(self.base + "/auth/jwt/login",
                                     data={"username": EMAIL, "password": PASSWORD})
        return await client.post(self.base + "/auth/login",
                                 json={"email": EMAIL, "password": PASSWORD})

    @property
    def me_path(self) -> str:
        return "/users/me" if self.which == "peer" else "/auth/me"


def _wait_http(url: str, proc: subprocess.Popen[bytes] | None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited at start")
        try:
            httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
        else:
            return
    raise RuntimeError(f"{url} did not come up")


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (0 when it is not known)."""
    if pid <= 0:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


ENGINE_PIDS: dict[str, int] = {}


@contextlib.contextmanager
def engine() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 -- our own interpreter, fixed arguments
        [sys.executable, "-m", "dynaguard.store.engine", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_http(f"http://127.0.0.1:{port}/moto-api/", proc)
        ENGINE_PIDS[f"http://127.0.0.1:{port}"] = proc.pid
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def server(which: str, endpoint: str, table: str, kek: str, logs: Path) -> Iterator[Server]:
    """dynaguard (our environment) or the peer (``.venv-peer``) on a free loopback port."""
    port = free_port()
    env = {**os.environ, "DYNAGUARD_KEK": kek, "AWS_ACCESS_KEY_ID": "local",
           "AWS_SECRET_ACCESS_KEY": "local", "PYTHONPATH": str(ROOT), **PATIENT_CLIENT}
    common = ["--port", str(port), "--endpoint", endpoint, "--table", table]
    if which == "peer":
        p = PROFILES[PROFILE]
        argv = [str(peer_python(ROOT)), "-m", "bench.peer_app", *common, "--argon2",
                f"{p.time_cost},{p.memory_cost_kib},{p.parallelism}"]
    else:
        argv = [sys.executable, "-m", "bench.serve", *common, "--profile", PROFILE]
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{which}-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(argv, env=env, cwd=ROOT,  # noqa: S603 -- our own modules
                                stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            _wait_http(base + "/openapi.json", proc)
        except RuntimeError:
            sys.stderr.write(log_path.read_text(errors="replace")[-3000:])
            raise
        yield Server(which, proc, base)
    finally:
        proc.terminate()
        proc.wait(10)


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of a process, in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(rest.split()[0])
    return found


async def seed_dynaguard(endpoint: str, table: str, kek: str, data_dir: Path) -> None:
    """The table, the key ring and one verified account, hashed with the real profile."""
    settings = Settings(dynamodb_endpoint=endpoint, table=table, argon2_profile=PROFILE,
                        kek=kek, data_dir=data_dir, dynamodb_read_timeout=5,
                        dynamodb_call_timeout=25, _env_file=None)  # type: ignore[call-arg]
    guard = Guard(settings)
    async with guard.lifespan():
        svc = guard.services()
        user = svc.users.new_user(EMAIL, await svc.passwords.hash(PASSWORD), ["notes:read"])
        await svc.users.create(user.model_copy(update={"email_verified": True}))


async def seed_peer(peer: Server) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        r = await client.post(peer.base + "/auth/register",
                              json={"email": EMAIL, "password": PASSWORD})
        if r.status_code != 201:
            raise RuntimeError(f"peer registration failed: {r.status_code}")


async def access_token(srv: Server) -> str:
    async with httpx.AsyncClient(timeout=60) as client:
        r = await srv.login(client)
        r.raise_for_status()
        return str(r.json()["access_token"])


def argon2_ceiling(seconds: float, workers: int) -> tuple[float, float]:
    """Verifications per second with every core busy, and one verification's median ms."""
    p = PROFILES[PROFILE]
    hasher = PasswordHasher(time_cost=p.time_cost, memory_cost=p.memory_cost_kib,
                            parallelism=p.parallelism, type=Type.ID)
    stored = hasher.hash(PASSWORD)
    single = []
    for _ in range(5):
        t0 = time.perf_counter()
        hasher.verify(stored, PASSWORD)
        single.append((time.perf_counter() - t0) * 1000)
    deadline = time.perf_counter() + seconds
    counts = Counter[int]()

    def spin(slot: int) -> None:
        while time.perf_counter() < deadline and counts[slot] < 500:
            hasher.verify(stored, PASSWORD)
            counts[slot] += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(spin, range(workers)))
    return sum(counts.values()) / (time.perf_counter() - start), percentile(single, 50)


@dataclass
class Figures:
    """Everything measured, as the report renders it."""

    quick: bool
    auth: dict[str, Result] = field(default_factory=dict)
    login_seq: dict[str, Result] = field(default_factory=dict)
    login_tput: dict[str, Result] = field(default_factory=dict)
    ceiling_per_s: float = 0.0
    verify_ms: float = 0.0
    hash_workers: int = 0
    memory: dict[str, dict[str, int]] = field(default_factory=dict)
    round_trips: dict[str, dict[str, Counter[str]]] = field(default_factory=dict)
    per_request: dict[str, dict[str, float]] = field(default_factory=dict)
    # per service, per "authenticated request" / "login": units as "engine" / "rules"
    read_units: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    remote_delay_ms: float = REMOTE_DELAY_MS
    remote_auth: dict[str, Result] = field(default_factory=dict)
    remote_login: dict[str, Result] = field(default_factory=dict)
    scanner: ScanFigures | None = None
    load: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    engine_pid: int = 0
    # per service: CPU ms per authenticated request of the service and of the engine
    cpu_ms: dict[str, dict[str, float]] = field(default_factory=dict)


def _add(into: dict[str, Result], name: str, result: Result) -> None:
    into[name] = into[name].merge(result) if name in into else result


async def measure_speed(fig: Figures, servers: dict[str, Server]) -> None:
    tokens = {name: await access_token(srv) for name, srv in servers.items()}
    rounds, seconds, cap = (1, 3.0, 1500) if fig.quick else (2, 8.0, 4000)

    def me(name: str) -> Send:
        headers = {"Authorization": f"Bearer {tokens[name]}"}
        path = servers[name].me_path
        return lambda client: client.get(path, headers=headers)

    progress("authenticated requests")
    for name, srv in servers.items():  # warm both up before anything is timed
        await closed_loop(srv.base, me(name), concurrency=4, max_requests=100, max_seconds=5)
    spent: dict[str, list[float]] = {name: [0.0, 0.0] for name in servers}
    for _ in range(rounds):  # interleaved, so drift in the shared machine hits both alike
        for name, srv in servers.items():
            before = cpu_seconds(srv.pid), cpu_seconds(fig.engine_pid)
            result = await closed_loop(srv.base, me(name), concurrency=16,
                                       max_requests=cap, max_seconds=seconds)
            spent[name][0] += cpu_seconds(srv.pid) - before[0]
            spent[name][1] += cpu_seconds(fig.engine_pid) - before[1]
            _add(fig.auth, name, result)
    for name, (service, engine_s) in spent.items():
        count = max(1, fig.auth[name].requests)
        fig.cpu_ms[name] = {"service": 1000 * service / count,
                            "engine": 1000 * engine_s / count}

    progress("logins one at a time")
    for _ in range(8 if fig.quick else 20):  # one at a time: latency, not queueing
        for name, srv in servers.items():
            _add(fig.login_seq, name, await closed_loop("", srv.login, concurrency=1,
                                                        max_requests=1, max_seconds=30))

    progress("concurrent logins and the raw Argon2 ceiling, alternately")
    workers = max(2, os.cpu_count() or 2)  # the guard's default hash_concurrency
    fig.hash_workers = workers
    for _ in range(1 if fig.quick else 2):
        ceiling, verify_ms = await asyncio.to_thread(argon2_ceiling, 4.0, workers)
        # The best round is the ceiling: other load on a shared machine only lowers it.
        fig.ceiling_per_s = max(fig.ceiling_per_s, ceiling)
        fig.verify_ms = min(fig.verify_ms or verify_ms, verify_ms)
        for name, srv in servers.items():
            _add(fig.login_tput, name, await closed_loop(
                "", srv.login, concurrency=8, max_requests=40, max_seconds=6))


@contextlib.asynccontextmanager
async def sampling(pid: int) -> AsyncIterator[list[int]]:
    samples: list[int] = []

    async def sample() -> None:
        while True:
            samples.append(memory_kib(pid)["VmRSS"])
            await asyncio.sleep(0.01)

    task = asyncio.create_task(sample())
    try:
        yield samples
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def measure_memory_and_round_trips(
    fig: Figures, servers: dict[str, Server], proxy: DynamoProxy
) -> None:
    progress("memory under 50 concurrent logins")
    for name, srv in servers.items():
        await access_token(srv)  # first login: lazy imports and pools are in place
        before = memory_kib(srv.pid)["VmRSS"]
        async with sampling(srv.pid) as samples:
            burst = await closed_loop("", srv.login, concurrency=50, max_requests=50,
                                      max_seconds=120)
        fig.memory[name] = {"before": before, "peak_sampled": max(samples, default=0),
                            "hwm": memory_kib(srv.pid)["VmHWM"], "errors": burst.errors,
                            "burst_s": round(burst.seconds, 1)}

    progress("DynamoDB round trips and read units")
    proxy.meter_reads = True
    for name, srv in servers.items():
        token = await access_token(srv)
        counts: dict[str, Counter[str]] = {}
        units: dict[str, dict[str, float]] = {}
        async with httpx.AsyncClient(base_url=srv.base, timeout=60) as client:
            proxy.reset()
            for _ in range(20):
                r = await client.get(srv.me_path, headers={"Authorization": f"Bearer {token}"})
                r.raise_for_status()
            counts["authenticated request"] = Counter(proxy.calls)
            units["authenticated request"] = {k: v / 20 for k, v in proxy.read_units.items()}
            proxy.reset()
            for _ in range(5):
                (await srv.login(client)).raise_for_status()
            counts["login"] = Counter(proxy.calls)
            units["login"] = {k: v / 5 for k, v in proxy.read_units.items()}
        fig.round_trips[name] = counts
        fig.read_units[name] = units
        fig.per_request[name] = {
            "authenticated request": counts["authenticated request"].total() / 20,
            "login": counts["login"].total() / 5}


async def measure_remote(fig: Figures, servers: dict[str, Server], proxy: DynamoProxy) -> None:
    """Latency with every engine call held ``REMOTE_DELAY_MS`` at the proxy, as a
    DynamoDB a network hop away would hold it."""
    progress(f"authenticated requests and logins, {REMOTE_DELAY_MS:g} ms per engine call")
    proxy.meter_reads = False
    proxy.delay = REMOTE_DELAY_MS / 1000
    tokens = {name: await access_token(srv) for name, srv in servers.items()}
    rounds, seconds, cap = (1, 3.0, 1000) if fig.quick else (2, 6.0, 3000)

    def me(name: str) -> Send:
        headers = {"Authorization": f"Bearer {tokens[name]}"}
        path = servers[name].me_path
        return lambda client: client.get(path, headers=headers)

    for name, srv in servers.items():
        await closed_loop(srv.base, me(name), concurrency=4, max_requests=100, max_seconds=5)
    for _ in range(rounds):
        for name, srv in servers.items():
            _add(fig.remote_auth, name, await closed_loop(
                srv.base, me(name), concurrency=16, max_requests=cap, max_seconds=seconds))
    for _ in range(6 if fig.quick else 15):
        for name, srv in servers.items():
            _add(fig.remote_login, name, await closed_loop("", srv.login, concurrency=1,
                                                           max_requests=1, max_seconds=30))


async def main(quick: bool, scanner: bool) -> Figures:
    fig = Figures(quick=quick)
    fig.load["start"] = os.getloadavg()
    kek = base64.b64encode(secrets.token_bytes(32)).decode()
    data_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"dynaguard-bench-{os.getpid()}"  # noqa: S108
    logs = data_dir / "logs"
    peer_python(ROOT)  # install the peer's environment before anything is timed
    with engine() as endpoint:
        tables = {"dynaguard": "bench-dynaguard", "peer": "bench-peer"}
        await seed_dynaguard(endpoint, tables["dynaguard"], kek, data_dir)
        with server("dynaguard", endpoint, tables["dynaguard"], kek, logs) as ours, \
                server("peer", endpoint, tables["peer"], kek, logs) as peer:
            await seed_peer(peer)
            fig.engine_pid = ENGINE_PIDS.get(endpoint, 0)
            progress("servers up")
            await measure_speed(fig, {"dynaguard": ours, "peer": peer})
        progress("fresh servers behind the counting (later: delaying) proxy")
        with ProxyThread(DynamoProxy(endpoint)) as proxy, \
                server("dynaguard", proxy.endpoint, tables["dynaguard"], kek, logs) as ours, \
                server("peer", proxy.endpoint, tables["peer"], kek, logs) as peer:
            await measure_memory_and_round_trips(fig, {"dynaguard": ours, "peer": peer}, proxy)
            await measure_remote(fig, {"dynaguard": ours, "peer": peer}, proxy)
    fig.load["services measured"] = os.getloadavg()
    if scanner:
        progress("scans of `dynaguard serve` and the lab, then the timing detector")
        fig.scanner = await asyncio.to_thread(measure_scanner, data_dir / "scan", quick=quick)
        fig.load["scanner measured"] = os.getloadavg()
    return fig


def machine() -> dict[str, str]:
    free = subprocess.run(["free", "-m"], capture_output=True, text=True, check=False).stdout  # noqa: S607 -- a system tool
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout  # noqa: S607
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    ours = ["dynaguard", "fastapi", "pydantic", "uvicorn", "aiobotocore", "moto", "argon2-cffi"]
    theirs = ["fastapi-users", "fastapi-users-db-dynamodb", "as-aiopynamodb", "pwdlib",
              "aiobotocore", "fastapi", "pydantic", "uvicorn", "argon2-cffi"]
    script = ("import sys, importlib.metadata as m; "
              "print(', '.join(f'{p} {m.version(p)}' for p in sys.argv[1:]))")
    peer = subprocess.run([str(peer_python(ROOT)), "-c", script, *theirs],  # noqa: S603
                          capture_output=True, text=True, check=True).stdout.strip()
    return {"nproc": nproc.strip(), "free": free.strip("\n"), "cpu": model,
            "python": platform.python_version(), "kernel": platform.release(),
            "packages": ", ".join(f"{p} {version(p)}" for p in ours), "peer_packages": peer}


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter loops (a smoke run)")
    parser.add_argument("--no-scanner", action="store_true",
                        help="skip the scans and the timing detector (their rows say so)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    started = time.monotonic()
    fig = asyncio.run(main(args.quick, scanner=not args.no_scanner))
    text = write_report(fig, machine(), args.out, time.monotonic() - started)
    print(text)
    print(f"bench: wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    cli()
