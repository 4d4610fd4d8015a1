"""How much the optional session micro-cache speeds up authenticated requests.

Serves ``GET /auth/me`` (token verification + the per-request session check) in-process
against moto's DynamoDB server in its own process, once with the cache off (the default:
one DynamoDB round trip per request) and once on, and prints requests per second and
their ratio. Bounded: a fixed number of requests and an overall time limit.

    .venv/bin/python bench/session_cache.py [--requests 400] [--concurrency 8] [--ttl 1]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from dynaguard.guard.app import create_app
from dynaguard.logs import configure_logging
from dynaguard.settings import Settings
from dynaguard.store.engine import free_port

PASSWORD = "bench-harbor-lantern-97"
TIME_LIMIT_S = 180


def start_engine() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 -- our own interpreter, fixed arguments
        [sys.executable, "-m", "dynaguard.store.engine", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(endpoint + "/moto-api/", timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
        else:
            return proc, endpoint
    proc.kill()
    raise SystemExit("the DynamoDB engine did not start")


async def measure(endpoint: str, ttl: float, requests: int, concurrency: int) -> float:
    """Requests per second of GET /auth/me with the cache's ``ttl`` (0 = off)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            dynamodb_endpoint=endpoint, table=f"bench-{uuid.uuid4().hex[:8]}",
            argon2_profile="insecure-test-only", data_dir=Path(tmp),
            mail_url=f"file://{tmp}/outbox", session_cache_ttl=ttl,
            _env_file=None,  # type: ignore[call-arg]
        )
        app = create_app(settings)
        guard = app.state.guard
        async with guard.lifespan(app):
            svc = guard.services()
            user = svc.users.new_user("bench@example.com", await svc.passwords.hash(PASSWORD),
                                      ["notes:read"])
            await svc.users.create(user.model_copy(update={"email_verified": True}))
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
                pair = (await c.post("/auth/login", json={"email": user.email,
                                                          "password": PASSWORD})).json()
                headers = {"Authorization": f"Bearer {pair['access_token']}"}
                for _ in range(20):  # warm up
                    assert (await c.get("/auth/me", headers=headers)).status_code == 200
                queue = list(range(requests))

                async def client() -> None:
                    while queue:
                        queue.pop()
                        r = await c.get("/auth/me", headers=headers)
                        assert r.status_code == 200, r.status_code

                started = time.perf_counter()
                await asyncio.gather(*(client() for _ in range(concurrency)))
                return requests / (time.perf_counter() - started)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--ttl", type=float, default=1.0, help="cache lifetime when on, s")
    args = parser.parse_args()
    configure_logging("warning")  # per-request log lines would be measured too
    proc, endpoint = start_engine()
    try:
        off = await measure(endpoint, 0.0, args.requests, args.concurrency)
        on = await measure(endpoint, args.ttl, args.requests, args.concurrency)
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"GET /auth/me, {args.requests} requests, concurrency {args.concurrency}")
    print(f"session cache off (default): {off:8.1f} requests/s")
    print(f"session cache on (ttl {args.ttl:g} s): {on:8.1f} requests/s")
    print(f"ratio on/off: {on / off:.2f}x")


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(main(), TIME_LIMIT_S))
