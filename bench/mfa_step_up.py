"""Figures for the second-factor flows: latency and DynamoDB calls per request.

Runs the service in process on the embedded engine (moto, in memory, on loopback) with the
cheap Argon2 profile, so the figures are the MFA work itself, not password hashing. moto
copies the whole table for each transaction, so times grow with the rounds; the DynamoDB
call counts are the figures that carry over to AWS.

    PYTHONPATH=. .venv/bin/python bench/mfa_step_up.py [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import httpx
import pyotp
from tests.guard.mfa.softauthn import SoftAuthenticator

from dynaguard.guard.app import create_app
from dynaguard.guard.mfa.passkeys import relying_party
from dynaguard.guard.services import Services
from dynaguard.settings import Settings

PASSWORD = "quiet-harbor-lantern-97"
MAX_ROUNDS = 100


class Meter:
    """Collects wall time and DynamoDB calls of each measured step."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.figures: dict[str, list[tuple[float, int]]] = {}

    async def measure(self, name: str, request: Awaitable[httpx.Response]) -> Any:
        """Await ``request`` (nothing is sent before) and record its time and calls."""
        calls = self.svc.db.calls
        started = time.perf_counter()
        response = await request
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code < 300, (name, response.status_code, response.text)
        self.figures.setdefault(name, []).append((elapsed, self.svc.db.calls - calls))
        return response.json() if response.content else None

    def report(self) -> None:
        print(f"{'step':34} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'DynamoDB calls':>15}")
        for name, rows in self.figures.items():
            times = sorted(t for t, _ in rows)
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            calls = statistics.median(c for _, c in rows)
            print(f"{name:34} {len(rows):>4} {statistics.median(times):>10.1f} {p95:>8.1f} "
                  f"{calls:>15.0f}")


async def run(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(argon2_profile="insecure-test-only", data_dir=Path(tmp),
                            mail_url=f"file://{tmp}/outbox", _env_file=None)  # type: ignore[call-arg]
        app = create_app(settings)
        guard = app.state.guard
        async with guard.lifespan(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
                await _bench(c, guard.services(), settings, rounds)


async def _bench(c: httpx.AsyncClient, svc: Services, settings: Settings, rounds: int) -> None:
    meter = Meter(svc)
    _, origins = relying_party(settings)
    login = {"password": PASSWORD}
    for i in range(rounds):
        email = f"bench-{i}@example.com"
        user = svc.users.new_user(email, await svc.passwords.hash(PASSWORD), ["notes:read"])
        await svc.users.create(user.model_copy(update={"email_verified": True}))
        pair = (await c.post("/auth/login", json={**login, "email": email})).json()
        auth = {"Authorization": f"Bearer {pair['access_token']}"}
        setup = await meter.measure("totp setup", c.post(
            "/auth/mfa/totp/setup", json=login, headers=auth))
        totp = pyotp.TOTP(setup["secret"])
        step = int(time.time() // 30)
        confirmed = await meter.measure("totp confirm (+10 recovery codes)", c.post(
            "/auth/mfa/totp/confirm", json={"code": totp.generate_otp(step - 1)}, headers=auth))
        ticket = await meter.measure("login -> mfa_required", c.post(
            "/auth/login", json={**login, "email": email}))
        stepped = await meter.measure("mfa/verify with TOTP", c.post(
            "/auth/mfa/verify", json={"mfa_token": ticket["mfa_token"],
                                      "code": totp.generate_otp(step)}))
        ticket = (await c.post("/auth/login", json={**login, "email": email})).json()
        await meter.measure("mfa/verify with recovery code", c.post(
            "/auth/mfa/verify", json={"mfa_token": ticket["mfa_token"],
                                      "code": confirmed["recovery_codes"][0]}))
        strong = {"Authorization": f"Bearer {stepped['access_token']}"}
        key = SoftAuthenticator(origins[0])
        options = await meter.measure("passkey register options", c.post(
            "/auth/mfa/passkeys/register/options", json=login, headers=strong))
        await meter.measure("passkey register", c.post(
            "/auth/mfa/passkeys", json={"credential": key.create(options)}, headers=strong))
        ticket = (await c.post("/auth/login", json={**login, "email": email})).json()
        options = await meter.measure("mfa/passkey/options", c.post(
            "/auth/mfa/passkey/options", json={"mfa_token": ticket["mfa_token"]}))
        await meter.measure("mfa/verify with passkey", c.post(
            "/auth/mfa/verify", json={"mfa_token": ticket["mfa_token"],
                                      "credential": key.get(options)}))
        options = await meter.measure("passkey/login/options", c.post(
            "/auth/passkey/login/options"))
        await meter.measure("passkey/login (passwordless)", c.post(
            "/auth/passkey/login", json={"credential": key.get(options)}))
    meter.report()


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(run(max(1, min(args.rounds, MAX_ROUNDS))))


if __name__ == "__main__":
    main()
