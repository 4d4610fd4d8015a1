"""Fixtures for the Lambda tests: a LambdaService fed API Gateway (HTTP API 2.0) events.

Lambda calls a container's handler on one thread, one invocation after another; the
harness does the same with a single worker thread, which also keeps the service's event
loop apart from the test runner's.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import SecretStr

from dynaguard.deploy.lambda_service import LambdaService
from dynaguard.settings import Settings

SOURCE_IP = "203.0.113.9"
USER_AGENT = "lambda-test/1.0"


def new_kek() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def http_api_event(
    method: str, path: str, *, body: object = None, headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API event (payload format 2.0), as Lambda receives it."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "auth.example.com",
                    "user-agent": USER_AGENT, "x-forwarded-proto": "https", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012", "apiId": "api1", "domainName": "auth.example.com",
            "requestId": uuid.uuid4().hex, "routeKey": "$default", "stage": "$default",
            "timeEpoch": int(time.time() * 1000),
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": SOURCE_IP, "userAgent": USER_AGENT},
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


@dataclass
class LambdaResult:
    status: int
    headers: dict[str, str]
    text: str
    base64_encoded: bool

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class LambdaHarness:
    service: LambdaService
    settings: Settings
    worker: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1))

    def invoke(self, method: str, path: str, body: object = None,
               token: object = None) -> LambdaResult:
        headers = {"authorization": f"Bearer {token}"} if token is not None else None
        event = http_api_event(method, path, body=body, headers=headers)
        raw = self.worker.submit(self.service, event, None).result(timeout=30)
        text = raw.get("body", "")
        encoded = bool(raw.get("isBase64Encoded"))
        if encoded:
            text = base64.b64decode(text).decode()
        return LambdaResult(raw["statusCode"], raw.get("headers", {}), text, encoded)


@pytest.fixture
def aws_settings(settings: Settings) -> Settings:
    """The shared test settings plus the key-encryption key Lambda insists on."""
    return settings.model_copy(update={"kek": SecretStr(new_kek())})


@pytest.fixture
def lambda_harness(aws_settings: Settings) -> Iterator[LambdaHarness]:
    harness = LambdaHarness(LambdaService(aws_settings), aws_settings)
    yield harness
    harness.worker.submit(harness.service.close).result(timeout=30)
    harness.worker.shutdown()
