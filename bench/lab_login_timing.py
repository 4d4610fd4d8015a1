"""Login timing of the lab, unknown vs known emails, with and without ``timing_enum``.

    .venv/bin/python bench/lab_login_timing.py [--rounds 15] [--profile owasp-minimum]
                                               [--endpoint http://127.0.0.1:8001]

Prints the median time of a failed login for unknown and for known emails and their
ratio: near 1.0 means the answer's timing says nothing about which accounts exist.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from dynaguard.lab import create_lab_app
from dynaguard.lab.accounts import new_user_item
from dynaguard.settings import Settings
from dynaguard.store.engine import LocalEngine


async def measure(endpoint: str, flaws: set[str], rounds: int, profile: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="lab-bench-"))
    settings = Settings(
        dynamodb_endpoint=endpoint, table=f"bench-{uuid.uuid4().hex[:8]}",
        argon2_profile=profile, mail_url=f"file://{tmp / 'outbox'}", data_dir=tmp,  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )
    app = create_lab_app(settings, flaws)
    lab = app.state.lab
    async with lab.lifespan():
        password_hash = await lab.passwords.hash("bench-Password-Correct-1")
        known = []
        for _ in range(rounds):
            email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
            item = new_user_item(uuid.uuid4().hex, email, password_hash, [], lab.now())
            await lab.store.create_user({**item, "email_confirmed": {"BOOL": True}})
            known.append(email)
        transport = httpx.ASGITransport(app=app)
        times: dict[str, list[float]] = {"unknown": [], "known": []}
        async with httpx.AsyncClient(transport=transport, base_url="http://lab") as client:
            for i in range(rounds):
                for kind, email in (("unknown", f"nobody-{uuid.uuid4().hex}@example.com"),
                                    ("known", known[i])):
                    start = time.perf_counter()
                    await client.post("/auth/login", json={"email": email, "password": "wrong"})
                    times[kind].append(time.perf_counter() - start)
    unknown, known_ms = (statistics.median(times[k]) * 1000 for k in ("unknown", "known"))
    label = ",".join(sorted(flaws)) or "none"
    print(f"flaws={label:12} unknown {unknown:7.1f} ms  known {known_ms:7.1f} ms  "
          f"ratio {unknown / known_ms:.2f}  ({rounds} pairs, {profile})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, choices=range(3, 101),
                        metavar="3..100")
    parser.add_argument("--profile", default="owasp-minimum",
                        choices=["rfc9106-low-memory", "owasp-minimum", "insecure-test-only"])
    parser.add_argument("--endpoint", default="",
                        help="a running DynamoDB engine (default: an embedded one)")
    args = parser.parse_args()
    engine = None
    if not args.endpoint:
        engine = LocalEngine()
        engine.start()
    try:
        for flaws in (set(), {"timing_enum"}):
            asyncio.run(measure(args.endpoint or engine.endpoint,  # type: ignore[union-attr]
                                flaws, args.rounds, args.profile))
    finally:
        if engine is not None:
            engine.stop()


if __name__ == "__main__":
    main()
