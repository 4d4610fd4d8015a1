"""Schema-driven fuzzing of the service's published OpenAPI (schemathesis), bounded.

The app runs under uvicorn on 127.0.0.1 against the test engine. Every generated request
carries a live access token (a new one after a fuzzed logout ended the last), so
protected routes are exercised past the auth check. Checks: no 5xx,
documented status codes, content types and headers, bodies matching the schema.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, settings

from dynaguard.guard.app import create_app
from dynaguard.settings import Settings
from dynaguard.store.engine import free_port
from tests.conftest import TEST_PASSWORD, mail_text


@dataclass
class LiveApi:
    base: str
    email: str
    token: str = ""

    def live_token(self) -> str:
        """A token that works now (a fuzzed logout may have ended the last one)."""
        if self.token:
            me = httpx.get(self.base + "/auth/me", timeout=30,
                           headers={"Authorization": f"Bearer {self.token}"})
            if me.status_code == 200:
                return self.token
        r = httpx.post(self.base + "/auth/login", timeout=30,
                       json={"email": self.email, "password": TEST_PASSWORD})
        assert r.status_code == 200, r.text
        self.token = str(r.json()["access_token"])
        return self.token


def _mailed_token(outbox: Path) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for path in outbox.glob("*.eml"):
            found = re.search(r"Token: (\S+)", mail_text(message_from_bytes(path.read_bytes())))
            if found:
                return found.group(1)
        time.sleep(0.05)
    pytest.fail("no verification mail")


@pytest.fixture(scope="module")
def live_api(dynamodb_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    data: Path = tmp_path_factory.mktemp("fuzz")
    app_settings = Settings(
        dynamodb_endpoint=dynamodb_endpoint, table=f"fuzz-{uuid.uuid4().hex[:10]}",
        argon2_profile="insecure-test-only", mail_url=f"file://{data / 'outbox'}",
        data_dir=data, address_failure_limit=100_000,
        _env_file=None,  # type: ignore[call-arg]
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(app_settings), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True, name="fuzz-uvicorn")
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    email = "fuzz-owner@example.com"
    r = httpx.post(base + "/auth/register", json={"email": email, "password": TEST_PASSWORD})
    assert r.status_code == 202
    token = _mailed_token(data / "outbox")
    assert httpx.post(base + "/auth/verify-email", json={"token": token}).status_code == 204
    try:
        yield LiveApi(base, email)
    finally:
        server.should_exit = True
        thread.join(10)


def _published_schema() -> dict[str, object]:
    """The OpenAPI document the service publishes (no engine needed to render it)."""
    app = create_app(Settings(dynamodb_endpoint="http://127.0.0.1:9", table="unused",
                              _env_file=None))  # type: ignore[call-arg]
    return app.openapi()


# A schema cannot say which tokens are live or which passwords the policy takes, so a
# schema-valid body may be refused with the documented 400 ("refused"). Nor can
# `format: email` say that addresses under special-use domains (`.test`, `.invalid`,
# `.localhost`), which no mail can reach, are refused with a 422. A schema-violating body
# may also be refused for its size before it is parsed (413). Every other check runs with
# its defaults.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({"checks": {
    "positive_data_acceptance": {"expected-statuses": [
        "2xx", "400", "401", "403", "404", "409", "422", "429"]},
    "negative_data_rejection": {"expected-statuses": [
        "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]}}})
schema = schemathesis.openapi.from_dict(_published_schema(), config=CONFIG)


@schema.parametrize()
@settings(max_examples=3, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_keeps_to_its_schema(case: schemathesis.Case, live_api: LiveApi) -> None:
    """Any request the schema allows, or almost allows, gets a documented, well-formed
    answer and never a server error."""
    case.call_and_validate(base_url=live_api.base,
                           headers={"Authorization": f"Bearer {live_api.live_token()}"})
