"""``SmtpMailbox``: an SMTP server on loopback that keeps the mail a target sends it.

Started by the scan (``--mailbox smtp://127.0.0.1:PORT``) in the scan's own event loop and
stopped when the scan ends. It listens on the loopback interface only: it accepts mail for
any address, keeps it in memory, relays nothing, and refuses messages over 1 MiB.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from dynaguard.scan.errors import UsageError
from dynaguard.scan.mailbox import mail_text, poll

if TYPE_CHECKING:
    from aiosmtpd.smtp import SMTP, Envelope, Session

__all__ = ["SmtpMailbox", "parse_smtp_address", "smtp_mailbox"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})
MAX_MESSAGE_BYTES = 1 << 20


def parse_smtp_address(value: str) -> tuple[str, int]:
    """``smtp://127.0.0.1:PORT`` as (host, port); anything but a loopback host is refused."""
    rest = value.removeprefix("smtp://")
    if rest == value:
        raise UsageError(f"--mailbox {value!r}: an SMTP sink is given as smtp://127.0.0.1:PORT")
    host, sep, port_text = rest.rstrip("/").rpartition(":")
    if not sep or not port_text.isdigit() or not 0 <= int(port_text) <= 65_535:
        raise UsageError(f"--mailbox {value!r}: give a port (0 picks a free one), as in "
                         "smtp://127.0.0.1:2525")
    if host.lower() not in LOOPBACK_HOSTS:
        raise UsageError(f"--mailbox {value!r}: the SMTP sink listens on 127.0.0.1 or "
                         "localhost only, never on a network interface")
    return "127.0.0.1", int(port_text)


@dataclass(frozen=True)
class _Received:
    at: float
    recipients: tuple[str, ...]
    message: EmailMessage


class SmtpMailbox:
    """Mail delivered to the sink, read like the file outbox (:class:`FileMailbox`)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._received: list[_Received] = []

    @property
    def where(self) -> str:
        return f"the SMTP sink smtp://{self.host}:{self.port}"

    async def handle_DATA(  # noqa: N802 -- the name aiosmtpd calls
            self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        if isinstance(message, EmailMessage):
            self._received.append(_Received(time.time(), tuple(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def texts_to(self, address: str, since: float) -> list[str]:
        """The text of every message to ``address`` received at or after ``since``."""
        wanted = address.lower()
        return [mail_text(item.message) for item in self._received if item.at >= since and (
            any(wanted == r.lower() for r in item.recipients)
            or wanted in str(item.message.get("To", "")).lower())]

    async def wait_for(self, address: str, since: float, timeout_s: float = 5.0,
                       accept: Callable[[str], bool] | None = None) -> str | None:
        """The text of the newest (accepted) mail to ``address`` since ``since``, or None."""
        return await poll(lambda: self.texts_to(address, since), timeout_s, accept)


@contextlib.asynccontextmanager
async def smtp_mailbox(host: str, port: int) -> AsyncIterator[SmtpMailbox]:
    """Listen on ``host:port`` (0: a free port, then ``.port`` says which) until exit."""
    from aiosmtpd.smtp import SMTP  # noqa: PLC0415 -- only scans given an smtp:// mailbox need it

    loop = asyncio.get_running_loop()
    mailbox = SmtpMailbox(host, port)
    conversations: list[SMTP] = []

    def protocol() -> Any:
        conversation = SMTP(mailbox, hostname="dynaguard-scan",
                            data_size_limit=MAX_MESSAGE_BYTES, timeout=30, loop=loop)
        conversations[:] = [c for c in conversations
                            if c.transport is None or not c.transport.is_closing()]
        conversations.append(conversation)
        return conversation

    try:
        server = await loop.create_server(protocol, host=host, port=port)
    except OSError as error:
        raise UsageError(f"cannot listen on smtp://{host}:{port} ({error.strerror})") from None
    mailbox.port = server.sockets[0].getsockname()[1]
    try:
        yield mailbox
    finally:
        server.close()
        # Hang up on senders still talking: a target mailing as the scan ends must not
        # wait out its SMTP timeout against a loop that no longer serves the sink.
        for conversation in conversations:
            if conversation.transport is not None and not conversation.transport.is_closing():
                conversation.transport.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 5)
