"""Guard fixtures: one running app shared by a test module, reached by each test through a
client of its own address, for tests that each make their own users.

Separate addresses keep one test's failed logins from counting against the next test's
client, as they would for independent clients of a real deployment.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dynaguard.guard.app import create_app
from dynaguard.guard.services import Services
from dynaguard.settings import Settings
from tests.conftest import Harness

_addresses = (f"127.0.{n // 250}.{n % 250 + 1}" for n in itertools.count(1000))


@dataclass
class SharedApp:
    """A started app with its own table, shared by the tests of one module."""

    app: FastAPI
    svc: Services
    settings: Settings

    async def clear(self) -> None:
        """Delete every item but the key ring.

        moto deep-copies a whole table for each transaction, so a table that grows over a
        module makes every login slower than the last; tests that write clear up after.
        """
        client, table = self.svc.db.client, self.settings.table
        kwargs: dict[str, Any] = {"TableName": table, "ProjectionExpression": "pk, sk",
                                  "ConsistentRead": True}
        keys: list[dict[str, Any]] = []
        while True:
            page = await client.scan(**kwargs)
            keys += [item for item in page["Items"] if item["pk"]["S"] != "KEYRING"]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        for start in range(0, len(keys), 25):
            batch = [{"DeleteRequest": {"Key": key}} for key in keys[start:start + 25]]
            await client.batch_write_item(RequestItems={table: batch})

    @asynccontextmanager
    async def harness(self) -> AsyncIterator[Harness]:
        """A harness whose client calls from a loopback address no other client uses."""
        transport = httpx.ASGITransport(app=self.app, client=(next(_addresses), 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Harness(client=client, svc=self.svc, settings=self.settings, app=self.app)


@pytest.fixture(scope="module")
async def shared_app(
    dynamodb_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SharedApp]:
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
        yield SharedApp(app=app, svc=guard.services(), settings=settings)


@pytest.fixture
async def shared_harness(shared_app: SharedApp) -> AsyncIterator[Harness]:
    """The module's app, through a client of this test's own."""
    async with shared_app.harness() as harness:
        yield harness
