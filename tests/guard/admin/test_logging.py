"""Structured JSON logs with request ids, and never a secret, through a whole
register / verify / login / refresh / logout flow."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
import structlog

from dynaguard.logs import REDACTED, configure_logging
from tests.conftest import TEST_PASSWORD, Harness, bearer, mail_text


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Configure logging as ``dynaguard serve`` does, into a buffer; restore afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    configure_logging("debug", stream)
    yield stream
    structlog.reset_defaults()
    root.handlers, root.level = saved[0], saved[1]


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def test_no_secret_reaches_the_logs(harness: Harness, log_stream: io.StringIO) -> None:
    c = harness.client
    email = "logged@example.com"
    await c.post("/auth/register", json={"email": email, "password": TEST_PASSWORD})
    (mail,) = await harness.mails_to(email)
    verify = re.search(r"Token: (\S+)", mail_text(mail))
    assert verify
    await c.post("/auth/verify-email", json={"token": verify.group(1)})
    await c.post("/auth/login", json={"email": email, "password": "wrong-" + TEST_PASSWORD})
    pair = await harness.login(email)
    fresh = (await c.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})).json()
    await c.get("/auth/me", params={"access_token": fresh["access_token"]},
                headers=bearer(fresh["access_token"]))
    await c.post("/auth/logout", headers=bearer(fresh["access_token"]))
    await c.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})  # reuse
    structlog.get_logger("test").info("probe", password=TEST_PASSWORD,
                                      note=f"bearer {fresh['access_token']}")

    user_id = await harness.svc.users.user_id_for_email(email)
    assert user_id is not None
    user = await harness.svc.users.get(user_id)
    assert user is not None
    kek = (harness.settings.data_dir / "kek").read_bytes()
    secrets = [TEST_PASSWORD, verify.group(1), str(pair["access_token"]),
               str(pair["refresh_token"]), fresh["access_token"], fresh["refresh_token"],
               user.password_hash, base64.b64encode(kek).decode(), kek.hex()]
    text = log_stream.getvalue()
    for secret in secrets:
        assert secret not in text
        assert secret.split(".")[-1] not in text  # not even a JWT's signature part

    lines = _lines(log_stream)
    requests = [line for line in lines if line["event"] == "request"]
    assert len(requests) >= 8
    assert all(line["request_id"] and line["timestamp"] and line["level"] for line in requests)
    audit = {line["audit_event"] for line in lines if line["event"] == "audit"}
    assert {"login_failed", "login_succeeded", "refresh_token_reuse", "logout"} <= audit
    probe = next(line for line in lines if line["event"] == "probe")
    assert probe["password"] == REDACTED
    assert probe["note"] == f"bearer {REDACTED}"


async def test_request_ids_are_returned_and_logged(
    harness: Harness, log_stream: io.StringIO
) -> None:
    c = harness.client
    r = await c.get("/.well-known/jwks.json", headers={"X-Request-ID": "proxy-id-1234"})
    assert r.headers["x-request-id"] == "proxy-id-1234"
    r = await c.get("/.well-known/jwks.json", headers={"X-Request-ID": "bad id\" injected"})
    generated = r.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    ids = [line["request_id"] for line in _lines(log_stream) if line["event"] == "request"]
    assert ids == ["proxy-id-1234", generated]
