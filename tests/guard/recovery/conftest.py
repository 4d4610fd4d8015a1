"""Fixtures for the recovery and credential-change tests: mailed tokens, apps started
with adjusted settings, and a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from dynaguard.guard.app import create_app
from dynaguard.guard.tokens import hash_token
from dynaguard.settings import Settings
from dynaguard.store.engine import free_port
from dynaguard.store.items import UserItem
from dynaguard.store.schema import token_key
from tests.conftest import TEST_PASSWORD, Harness, mail_text

__all__ = ["SmtpSink", "add_user", "expire_token", "running", "token_from"]


def token_from(mail: Message) -> str:
    """The token of a mail's ``Token: …`` line."""
    match = re.search(r"^Token: (\S+)\s*$", mail_text(mail), re.MULTILINE)
    assert match, mail_text(mail)
    return match.group(1)


async def expire_token(harness: Harness, token: str) -> None:
    """Move a stored token's expiry into the past, as the clock eventually would."""
    await harness.svc.db.client.update_item(
        TableName=harness.settings.table, Key=token_key(hash_token(token)),
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
    )


async def add_user(harness: Harness, *, verified: bool = True) -> UserItem:
    """A new enabled account with the shared test password, written straight to the table."""
    svc = harness.svc
    email = f"user-{uuid.uuid4().hex[:8]}@example.com"
    user = svc.users.new_user(email, await svc.passwords.hash(TEST_PASSWORD), ["notes:read"])
    user = user.model_copy(update={"email_verified": verified})
    await svc.users.create(user)
    return user


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Harness]:
    """The app started with ``settings``, as the ``harness`` fixture starts it."""
    app = create_app(settings)
    guard = app.state.guard
    async with guard.lifespan(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Harness(client=client, svc=guard.services(), settings=settings, app=app)


@dataclass
class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps every message it accepts."""

    port: int
    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(  # noqa: N802 -- the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        self.messages.append(message_from_bytes(content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
