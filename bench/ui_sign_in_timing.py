"""Sign-in and registration pages' timing: an address with an account vs one without.

    .venv/bin/python bench/ui_sign_in_timing.py [--rounds 15] [--profile owasp-minimum]
                                                [--endpoint http://127.0.0.1:8001]

Posts the pages' forms as a browser would (cookie, CSRF token, same-origin headers),
alternating known and unknown addresses, each address once, and prints the median time of
each kind, their ratio (near 1.0: the page's timing says nothing about which accounts
exist) and the load average beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from dynaguard.guard.app import create_app
from dynaguard.settings import Settings
from dynaguard.store.engine import LocalEngine

PASSWORD = "quiet-harbor-lantern-97"
BASE = "https://bench.invalid"


async def _post(client: httpx.AsyncClient, path: str, data: dict[str, str]) -> float:
    page = await client.get(path)
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    started = time.perf_counter()
    answer = await client.post(path, data={"csrf": found.group(1), **data},
                               headers={"Origin": BASE, "Sec-Fetch-Site": "same-origin"})
    elapsed = time.perf_counter() - started
    assert answer.status_code in (200, 401), answer.status_code
    return elapsed


async def measure(endpoint: str, rounds: int, profile: str) -> dict[str, list[float]]:
    tmp = Path(tempfile.mkdtemp(prefix="ui-bench-"))
    settings = Settings(
        dynamodb_endpoint=endpoint, table=f"bench-{uuid.uuid4().hex[:8]}",
        argon2_profile=profile, mail_url=f"file://{tmp / 'outbox'}",  # type: ignore[arg-type]
        data_dir=tmp, address_failure_limit=10_000, throttle_free_failures=100,
        _env_file=None,  # type: ignore[call-arg]
    )
    app = create_app(settings)
    guard = app.state.guard
    async with guard.lifespan(app):
        svc = guard.services()
        known = []
        for _ in range(rounds * 2):
            user = svc.users.new_user(f"known-{uuid.uuid4().hex[:10]}@example.com",
                                      await svc.passwords.hash(PASSWORD), [])
            await svc.users.create(user.model_copy(update={"email_verified": True}))
            known.append(user.email)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            times: dict[str, list[float]] = {k: [] for k in (
                "sign-in, known", "sign-in, unknown", "register, known", "register, unknown")}
            for i in range(rounds):
                unknown = f"unknown-{uuid.uuid4().hex[:10]}@example.com"
                times["sign-in, known"].append(await _post(client, "/ui/sign-in", {
                    "email": known[i], "password": "wrong-password-1"}))
                times["sign-in, unknown"].append(await _post(client, "/ui/sign-in", {
                    "email": unknown, "password": "wrong-password-1"}))
                times["register, known"].append(await _post(client, "/ui/register", {
                    "email": known[rounds + i], "password": PASSWORD,
                    "confirm_password": PASSWORD}))
                times["register, unknown"].append(await _post(client, "/ui/register", {
                    "email": f"new-{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD,
                    "confirm_password": PASSWORD}))
        await svc.drain_mail()
    return times


def report(times: dict[str, list[float]], rounds: int, profile: str) -> None:
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average {' '.join(load)}; {rounds} rounds; Argon2 profile {profile}")
    for page in ("sign-in", "register"):
        a = statistics.median(times[f"{page}, known"])
        b = statistics.median(times[f"{page}, unknown"])
        print(f"{page:8} median known {a * 1000:7.1f} ms  unknown {b * 1000:7.1f} ms  "
              f"ratio {b / a:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, choices=range(3, 201),
                        metavar="3..200")
    parser.add_argument("--profile", default="owasp-minimum")
    parser.add_argument("--endpoint", default="")
    args = parser.parse_args()
    engine = None
    endpoint = args.endpoint
    if not endpoint:
        engine = LocalEngine()
        engine.start()
        endpoint = engine.endpoint
    try:
        report(asyncio.run(measure(endpoint, args.rounds, args.profile)), args.rounds,
               args.profile)
    finally:
        if engine is not None:
            engine.stop()


if __name__ == "__main__":
    main()
