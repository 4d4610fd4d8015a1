"""The library-mode example of the docs runs as written."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_PASSWORD
from tests.docs.conftest import DOCS


def _first_python_block(page: Path) -> str:
    match = re.search(r"```python\n(.*?)```", page.read_text(), re.DOTALL)
    assert match is not None
    return match.group(1)


async def test_library_mode_example_protects_its_route(
    dynamodb_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """/reports answers its owner's id with the scope, 403 without it, 401 without a token."""
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "DYNAMODB_ENDPOINT": dynamodb_endpoint, "TABLE": f"t-{uuid.uuid4().hex[:12]}",
        "ARGON2_PROFILE": "insecure-test-only", "MAIL_URL": f"file://{tmp_path / 'outbox'}",
        "DATA_DIR": str(tmp_path / "data"),
    }.items():
        monkeypatch.setenv(f"DYNAGUARD_{name}", value)
    namespace: dict[str, Any] = {}
    exec(_first_python_block(DOCS / "library.md"), namespace)  # noqa: S102 -- our own docs
    app, guard = namespace["app"], namespace["guard"]

    async with guard.lifespan(app):
        svc = guard.services()
        users = {}
        for scopes in (["reports:read"], ["notes:read"]):
            email = f"{uuid.uuid4().hex[:8]}@example.com"
            user = svc.users.new_user(email, await svc.passwords.hash(TEST_PASSWORD), scopes)
            await svc.users.create(user.model_copy(update={"email_verified": True}))
            users[scopes[0]] = user
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            tokens = {}
            for scope, user in users.items():
                r = await c.post("/auth/login", json={"email": user.email,
                                                      "password": TEST_PASSWORD})
                tokens[scope] = r.json()["access_token"]
            allowed = await c.get("/reports",
                                  headers={"Authorization": f"Bearer {tokens['reports:read']}"})
            assert (allowed.status_code, allowed.json()) == (
                200, {"owner": users["reports:read"].id})
            denied = await c.get("/reports",
                                 headers={"Authorization": f"Bearer {tokens['notes:read']}"})
            assert denied.status_code == 403
            assert (await c.get("/reports")).status_code == 401
