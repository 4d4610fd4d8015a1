"""Scale-out: several service processes on one table agree at once (CWE-613)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx

from dynaguard.guard.core import Guard
from dynaguard.settings import Settings
from tests.conftest import TEST_PASSWORD, bearer
from tests.reliability.conftest import ServeProcess


async def test_logout_through_one_process_is_refused_by_the_other(
    dynamodb_endpoint: str, tmp_path: Path
) -> None:
    """A token logged out at process A is refused by process B on its very next request;
    a session of the same user that was not logged out keeps working at both."""
    table = f"scale-{uuid.uuid4().hex[:10]}"
    env = {
        "DYNAGUARD_DYNAMODB_ENDPOINT": dynamodb_endpoint,
        "DYNAGUARD_TABLE": table,
        "DYNAGUARD_DATA_DIR": str(tmp_path),
        "DYNAGUARD_ARGON2_PROFILE": "owasp-minimum",
    }
    # The table, the key ring and the account exist before either process starts.
    settings = Settings(dynamodb_endpoint=dynamodb_endpoint, table=table, data_dir=tmp_path,
                        argon2_profile="owasp-minimum", _env_file=None)  # type: ignore[call-arg]
    guard = Guard(settings)
    async with guard.lifespan():
        svc = guard.services()
        user = svc.users.new_user("scale@example.com", await svc.passwords.hash(TEST_PASSWORD),
                                  ["notes:read"])
        await svc.users.create(user.model_copy(update={"email_verified": True}))

    a, b = ServeProcess(env), ServeProcess(env)
    try:
        await asyncio.gather(a.wait_up(), b.wait_up())
        async with httpx.AsyncClient(timeout=10) as http:
            body = {"email": "scale@example.com", "password": TEST_PASSWORD}
            first = (await http.post(a.base + "/auth/login", json=body)).json()
            second = (await http.post(b.base + "/auth/login", json=body)).json()
            for base in (a.base, b.base):
                for pair in (first, second):
                    me = await http.get(base + "/auth/me", headers=bearer(pair["access_token"]))
                    assert me.status_code == 200

            out = await http.post(a.base + "/auth/logout", headers=bearer(first["access_token"]))
            assert out.status_code == 204
            after = await http.get(b.base + "/auth/me", headers=bearer(first["access_token"]))
            assert after.status_code == 401
            assert after.headers["www-authenticate"] == "Bearer"
            refreshed = await http.post(b.base + "/auth/refresh",
                                        json={"refresh_token": first["refresh_token"]})
            assert refreshed.status_code == 401
            still = await http.get(b.base + "/auth/me", headers=bearer(second["access_token"]))
            assert still.status_code == 200
    finally:
        a.stop()
        b.stop()
