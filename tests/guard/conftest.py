"""Guard fixtures: one running app shared by a module, for tests that each make their own
users and leave nothing behind that another test could trip on."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from dynaguard.guard.app import create_app
from dynaguard.settings import Settings
from tests.conftest import Harness


@pytest.fixture(scope="module")
async def shared_harness(
    dynamodb_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Harness]:
    """A running app with its own table for a whole test module (cheap Argon2)."""
    root = tmp_path_factory.mktemp("shared")
    settings = Settings(
        dynamodb_endpoint=dynamodb_endpoint,
        table=f"t-{uuid.uuid4().hex[:12]}",
        argon2_profile="insecure-test-only",
        mail_url=f"file://{root / 'outbox'}",
        data_dir=root / "data",
        hash_concurrency=4,
        _env_file=None,  # type: ignore[call-arg]
    )
    app = create_app(settings)
    guard = app.state.guard
    async with guard.lifespan(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Harness(client=client, svc=guard.services(), settings=settings)
