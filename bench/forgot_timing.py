"""Does POST /auth/password/forgot take as long for an unknown email as for a real one?

Runs the real thing on loopback: the DynamoDB engine (``python -m dynaguard.store.engine``)
and the service (``dynaguard serve``, default Argon2 profile) in their own processes.
Seeds ``--pairs`` verified accounts, then sends ``--pairs`` pairs of requests, each pair
one existing and one unknown email in random order, timing each on the client. Prints
the median of the paired differences (existing - unknown) with a bootstrap interval, and
p-values: Wilcoxon signed-rank on the pairs, Mann-Whitney U on the two samples. The
target: |median difference| < 1 ms and p >= 0.05.

    .venv/bin/python bench/forgot_timing.py [--pairs 200] [--gap-ms 20] [--seed N]

Each request is timed alone: before sending it the client waits until the background
work of the one before (counting, lookup, token transaction, audit record) has reached
the table, then ``--gap-ms`` more. Without that, the embedded engine, which runs one
request at a time and copies the whole table for every transaction, would queue the
next request behind that work and the figures would measure the queue.
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
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import httpx
from scipy.stats import mannwhitneyu, wilcoxon

from dynaguard.guard.core import Guard
from dynaguard.settings import Settings
from dynaguard.store.engine import free_port

PASSWORD = "bench-quiet-harbor-lantern-97"
TABLE = "bench-forgot"
START_TIMEOUT_S = 60.0


@dataclass
class Timings:
    existing: list[float] = field(default_factory=list)
    unknown: list[float] = field(default_factory=list)
    sequence: list[tuple[str, float]] = field(default_factory=list)
    mails: int = 0
    void_pairs: int = 0

    def add(self, kind: str, ms: float) -> None:
        (self.existing if kind == "existing" else self.unknown).append(ms)
        self.sequence.append((kind, ms))


def _wait_until_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"process for {url} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1.0)
        except httpx.TransportError:
            time.sleep(0.1)
        else:
            return
    raise SystemExit(f"{url} did not answer within {START_TIMEOUT_S:.0f} s")


@contextmanager
def _process(args: list[str], env: dict[str, str], ready_url: str, log: Path) -> Iterator[None]:
    with log.open("ab") as stderr:
        proc = subprocess.Popen(args, env=env, stdout=stderr, stderr=stderr)  # noqa: S603 -- our own interpreter, fixed arguments
        try:
            _wait_until_up(ready_url, proc)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


async def _seed(settings: Settings, count: int) -> list[tuple[str, str]]:
    """Create ``count`` verified accounts sharing one real Argon2 hash (creation is not
    what is measured); returns their (email, id)."""
    guard = Guard(settings)
    accounts = []
    async with guard.lifespan():
        svc = guard.services()
        password_hash = await svc.passwords.hash(PASSWORD)
        for i in range(count):
            email = f"bench-{i}-{uuid.uuid4().hex[:6]}@example.com"
            user = svc.users.new_user(email, password_hash, ["notes:read"])
            await svc.users.create(user.model_copy(update={"email_verified": True}))
            accounts.append((email, user.id))
    return accounts


class Settle:
    """Waits until the audit record of a forgot request is in the table: the last write
    of its background work (for an unknown email it goes to the anonymous partition)."""

    def __init__(self, endpoint: str) -> None:
        self.client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                                   aws_access_key_id="local", aws_secret_access_key="local")
        self.anonymous = 0

    def _count(self, partition: str) -> int:
        page = self.client.query(
            TableName=TABLE, Select="COUNT", KeyConditionExpression="pk = :p",
            FilterExpression="#e = :e", ExpressionAttributeNames={"#e": "event"},
            ExpressionAttributeValues={":p": {"S": partition},
                                       ":e": {"S": "password_reset_requested"}})
        return int(page["Count"])

    def wait(self, user_id: str | None, timeout_s: float = 30.0) -> None:
        """Block until the request for ``user_id`` (None: an unknown email) is recorded."""
        partition, want = (f"AUDIT#{user_id}", 1) if user_id else ("AUDIT#-", self.anonymous + 1)
        deadline = time.monotonic() + timeout_s
        while (seen := self._count(partition)) < want and time.monotonic() < deadline:
            time.sleep(0.02)
        if user_id is None:
            self.anonymous = seen  # what is there, should a record never have come


def _forgot(client: httpx.Client, email: str) -> float | None:
    """Milliseconds from sending the request to having the whole answer; None when the
    service answered 503 (its DynamoDB engine did not keep up: the sample is void)."""
    started = time.perf_counter()
    response = client.post("/auth/password/forgot", json={"email": email})
    elapsed = time.perf_counter() - started
    if response.status_code == 503:
        return None
    if response.status_code != 202:
        raise SystemExit(f"unexpected answer {response.status_code}: {response.text[:200]}")
    return elapsed * 1000


def _unknown() -> str:
    return f"nobody-{uuid.uuid4().hex[:6]}@example.com"


def _measure(args: argparse.Namespace, rng: random.Random, tmp: Path) -> Timings:
    engine_port, service_port = free_port(), free_port()
    engine, service = f"http://127.0.0.1:{engine_port}", f"http://127.0.0.1:{service_port}"
    outbox, data, log = tmp / "outbox", tmp / "data", tmp / "processes.log"
    env = {
        **os.environ,
        "DYNAGUARD_DYNAMODB_ENDPOINT": engine, "DYNAGUARD_TABLE": TABLE,
        "DYNAGUARD_DATA_DIR": str(data), "DYNAGUARD_MAIL_URL": f"file://{outbox}",
        # Every forgot request counts against the caller's address; this client sends far
        # more than any real one, all from one address.
        "DYNAGUARD_ADDRESS_FAILURE_LIMIT": "1000000",
    }
    env.pop("DYNAGUARD_ARGON2_PROFILE", None)
    timings = Timings()
    engine_cmd = [sys.executable, "-m", "dynaguard.store.engine", "--port", str(engine_port)]
    serve_cmd = [sys.executable, "-c", "from dynaguard.cli import main; main()", "serve",
                 "--host", "127.0.0.1", "--port", str(service_port), "--no-demo"]
    with _process(engine_cmd, env, engine + "/moto-api/", log):
        settings = Settings(dynamodb_endpoint=engine, table=TABLE, data_dir=data,
                            mail_url=f"file://{outbox}", _env_file=None)
        accounts = asyncio.run(_seed(settings, args.pairs + args.warmup))
        settle = Settle(engine)
        with _process(serve_cmd, env, service + "/.well-known/jwks.json", log), \
                httpx.Client(base_url=service, timeout=30.0) as client:
            gap = args.gap_ms / 1000

            def timed(email: str, user_id: str | None) -> float | None:
                time.sleep(gap)
                took = _forgot(client, email)
                if took is not None and not args.no_settle:  # a 503 started no background work
                    settle.wait(user_id)
                return took

            for email, user_id in accounts[:args.warmup]:
                timed(email, user_id)
                timed(_unknown(), None)
            deadline = time.monotonic() + args.max_seconds
            for email, user_id in accounts[args.warmup:]:
                if time.monotonic() > deadline:
                    print("stopped early: --max-seconds reached")
                    break
                pair: list[tuple[str, str, str | None]] = [
                    ("existing", email, user_id), ("unknown", _unknown(), None)]
                rng.shuffle(pair)
                taken = [(kind, timed(address, uid)) for kind, address, uid in pair]
                if any(ms is None for _, ms in taken):
                    timings.void_pairs += 1
                    continue
                for kind, ms in taken:
                    timings.add(kind, ms or 0.0)
            time.sleep(1.0)
        timings.mails = len(list(outbox.glob("*.eml"))) if outbox.exists() else 0
    return timings


def _bootstrap_median_ci(diffs: list[float], rng: random.Random) -> tuple[float, float]:
    medians = sorted(statistics.median(rng.choices(diffs, k=len(diffs))) for _ in range(2000))
    return medians[49], medians[1949]


def _report(args: argparse.Namespace, seed: int, rng: random.Random, t: Timings) -> None:
    pairs = len(t.existing)
    diffs = [e - u for e, u in zip(t.existing, t.unknown, strict=True)]
    low, high = _bootstrap_median_ci(diffs, rng)
    median = statistics.median(diffs)
    w = wilcoxon(diffs)
    mw = mannwhitneyu(t.existing, t.unknown, alternative="two-sided")
    settled = "no settling" if args.no_settle else "settled"
    print(f"pairs: {pairs}  (seed {seed}, {settled}, gap {args.gap_ms:g} ms, "
          f"warm-up {args.warmup} pairs)")
    if t.void_pairs:
        print(f"void pairs (a 503 from an overloaded engine): {t.void_pairs}")
    asked = pairs + args.warmup + t.void_pairs
    print(f"mails written: {t.mails} for {asked} existing emails asked (unknown ones get none)")
    for name, sample in (("existing", t.existing), ("unknown", t.unknown)):
        q = statistics.quantiles(sample, n=10)
        print(f"{name:>9}: median {statistics.median(sample):7.3f} ms   "
              f"p10 {q[0]:7.3f}   p90 {q[-1]:7.3f}")
    print(f"median difference (existing - unknown): {median:+.3f} ms  "
          f"(95% bootstrap interval {low:+.3f} .. {high:+.3f})")
    print(f"Wilcoxon signed-rank p = {w.pvalue:.3f}   Mann-Whitney U p = {mw.pvalue:.3f}")
    met = abs(median) < 1.0 and w.pvalue >= 0.05
    print("target (|median difference| < 1 ms, not significant at 0.05):",
          "met" if met else "NOT met")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--gap-ms", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--no-settle", action="store_true",
                        help="do not wait for the previous request's background work")
    parser.add_argument("--raw", type=Path, default=None,
                        help="also write every timing, in order, to this JSON file")
    parser.add_argument("--max-seconds", type=float, default=900.0,
                        help="stop measuring after this long, whatever the count")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)  # noqa: S311 -- orders requests, guards nothing
    with tempfile.TemporaryDirectory(prefix="forgot-bench-") as tmp:
        timings = _measure(args, rng, Path(tmp))
    if args.raw is not None:
        args.raw.write_text(json.dumps({"seed": seed, "gap_ms": args.gap_ms,
                                        "sequence": timings.sequence}))
    _report(args, seed, rng, timings)


if __name__ == "__main__":
    main()
