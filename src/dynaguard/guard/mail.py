"""Outgoing mail: a ``Mailer`` protocol, a file outbox and an SMTP transport."""

from __future__ import annotations

import os
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import structlog

from dynaguard.settings import Settings

__all__ = ["FileOutbox", "Mailer", "SmtpMailer", "build_message", "mailer_from_settings"]

log = structlog.get_logger("dynaguard.mail")


class Mailer(Protocol):
    """Delivers one message; failures are logged by the caller, never shown to clients."""

    async def send(self, message: EmailMessage) -> None: ...


def build_message(
    sender: str, to: str, subject: str, text: str, html: str | None = None
) -> EmailMessage:
    """A text mail, or multipart/alternative with ``html`` as the preferred part."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="dynaguard.local")
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


class FileOutbox:
    """Writes each message as one ``.eml`` file (mode 0600: links in it are secrets)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def send(self, message: EmailMessage) -> None:
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        path = self.directory / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(bytes(message))


class SmtpMailer:
    """Sends through an SMTP server (``smtp://host:port`` or ``smtps://``)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.tls else 25)
        self.username = parts.username
        self.password = parts.password

    async def send(self, message: EmailMessage) -> None:
        import aiosmtplib  # noqa: PLC0415 -- optional transport, imported when used

        await aiosmtplib.send(
            message, hostname=self.host, port=self.port, use_tls=self.tls,
            username=self.username, password=self.password, timeout=10,
        )


def mailer_from_settings(settings: Settings) -> Mailer:
    outbox = settings.outbox_dir
    if outbox is not None:
        return FileOutbox(outbox)
    return SmtpMailer(settings.mail_url)
