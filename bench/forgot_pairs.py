"""Forgot-password pairs sent the way the scanner sends them, against the lab or the guard.

    .venv/bin/python -m bench.forgot_pairs [--target lab|serve] [--flaws none] [--pairs 150]

Starts the target on loopback (the lab on its embedded engine, or ``dynaguard serve`` with
per-address limits raised), registers accounts, then sends pairs of
``POST /auth/password/forgot`` back to back on one connection, one existing and one unknown
email in random order, with no pause and no waiting for background work: what
``enumeration.forgot_timing`` does. Prints the scanner's own verdict on the pairs
(``dynaguard.scan.timing.compare``) and the carry-over: each kind's median split by the
kind of the request just before it. Work that an answer leaves behind for the existing
email only (a token write, a mail) slows whatever request comes next on the connection,
so it shows there, not in the answer that caused it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from dynaguard.scan.accounts import strong_password
from dynaguard.scan.timing import compare
from dynaguard.store.engine import free_port

START_TIMEOUT_S = 60.0
USES_PER_ACCOUNT = 1


def _start(target: str, flaws: str, port: int, tmp: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DYNAGUARD_DATA_DIR": str(tmp / "data"),
           "DYNAGUARD_MAIL_URL": f"file://{tmp / 'outbox'}",
           "DYNAGUARD_ADDRESS_FAILURE_LIMIT": "1000000",
           "DYNAGUARD_THROTTLE_FREE_FAILURES": "100"}
    env.pop("DYNAGUARD_DYNAMODB_ENDPOINT", None)
    if target == "lab":  # the service refuses the test-only profile; forgot hashes nothing
        env["DYNAGUARD_ARGON2_PROFILE"] = "insecure-test-only"
    args = (["lab", "--port", str(port), "--flaws", flaws] if target == "lab"
            else ["serve", "--host", "127.0.0.1", "--port", str(port), "--no-demo"])
    log = (tmp / "target.log").open("ab")
    return subprocess.Popen(  # noqa: S603 -- our own interpreter, fixed arguments
        [sys.executable, "-c", "from dynaguard.cli import main; main()", *args],
        env=env, stdout=log, stderr=log)


def _wait_up(client: httpx.Client, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the target exited with {proc.returncode}")
        try:
            client.get("/openapi.json", timeout=1.0)
        except httpx.TransportError:
            time.sleep(0.2)
        else:
            return
    raise SystemExit("the target did not answer in time")


def _forgot(client: httpx.Client, email: str) -> float:
    started = time.perf_counter()
    response = client.post("/auth/password/forgot", json={"email": email})
    elapsed = time.perf_counter() - started
    if response.status_code not in (200, 202):
        raise SystemExit(f"forgot answered {response.status_code}: {response.text[:200]}")
    return elapsed


def _run(args: argparse.Namespace, rng: random.Random, tmp: Path) -> list[tuple[str, float]]:
    port = free_port()
    proc = _start(args.target, args.flaws, port, tmp)
    sequence: list[tuple[str, float]] = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30.0) as client:
            _wait_up(client, proc)
            accounts = [f"pairs-{uuid.uuid4().hex[:8]}@example.com"
                        for _ in range(-(-args.pairs // USES_PER_ACCOUNT) + 1)]
            for email in accounts:
                answer = client.post("/auth/register",
                                     json={"email": email, "password": strong_password()})
                if answer.status_code not in (200, 201, 202):
                    raise SystemExit(f"register answered {answer.status_code}")
            _forgot(client, accounts[-1])  # warm-up
            _forgot(client, f"nobody-{uuid.uuid4().hex[:8]}@example.com")
            deadline = time.monotonic() + args.max_seconds
            for i in range(args.pairs):
                if time.monotonic() > deadline:
                    print("stopped early: --max-seconds reached")
                    break
                pair = [("existing", accounts[i // USES_PER_ACCOUNT]),
                        ("unknown", f"nobody-{uuid.uuid4().hex[:8]}@example.com")]
                rng.shuffle(pair)
                sequence.extend((kind, _forgot(client, email)) for kind, email in pair)
    finally:
        proc.terminate()
        proc.wait(10)
    return sequence


def _report(args: argparse.Namespace, seed: int, sequence: list[tuple[str, float]]) -> None:
    existing = [s for k, s in sequence if k == "existing"]
    unknown = [s for k, s in sequence if k == "unknown"]
    verdict = compare(existing, unknown)
    figures = verdict.evidence()
    print(f"target: {args.target} (flaws {args.flaws})  pairs: {verdict.pairs}  seed {seed}  "
          f"load {open('/proc/loadavg').read().split()[0]}")  # noqa: SIM115 -- one read
    print(f"scanner verdict: {'LEAK' if verdict.leak else 'no leak'}  median existing-unknown "
          f"{figures['median_diff_ms']} ms  p={figures['p_value']}  "
          f"low-quantile diff {figures['low_quantile_diff_ms']} ms  "
          f"quantile p={figures['quantile_p_value']}")
    print("carry-over: median ms of each kind by the kind sent just before it")
    for kind in ("existing", "unknown"):
        cells = []
        for before in ("existing", "unknown"):
            after = [s * 1000 for (k0, _), (k1, s) in itertools.pairwise(sequence)
                     if k0 == before and k1 == kind]
            cells.append(f"after {before}: {statistics.median(after):6.2f} ({len(after)})"
                         if after else f"after {before}: -")
        print(f"  {kind:>8}  " + "   ".join(cells))
    if args.raw is not None:
        args.raw.write_text(json.dumps({"seed": seed, "sequence": sequence}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("lab", "serve"), default="lab")
    parser.add_argument("--flaws", default="none", help="the lab's flaws (with --target lab)")
    parser.add_argument("--pairs", type=int, default=150)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--raw", type=Path, default=None,
                        help="also write every timing, in order, to this JSON file")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)  # noqa: S311 -- orders requests, guards nothing
    with tempfile.TemporaryDirectory(prefix="forgot-pairs-") as tmp:
        sequence = _run(args, rng, Path(tmp))
    _report(args, seed, sequence)


if __name__ == "__main__":
    main()
