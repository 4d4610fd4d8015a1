"""Reading the target's mail: a file outbox directory of ``.eml`` messages, or an SMTP
sink the scan starts (:mod:`dynaguard.scan.smtp_sink`); both are a :class:`Mailbox`."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

__all__ = ["FileMailbox", "Mailbox", "extract_token", "mail_text", "poll"]

_TOKEN_LINE = re.compile(r"^\s*(?:token|code)\s*[:=]\s*(\S+)\s*$", re.IGNORECASE | re.MULTILINE)
_TOKEN_PARAM = re.compile(r"[?&](?:token|code|key)=([A-Za-z0-9._~%-]+)")
_LINK = re.compile(r"https?://[^\s<>\"']+")


class Mailbox(Protocol):
    """Where the scanner reads the mail the target sends to scanner-owned accounts."""

    @property
    def where(self) -> str:
        """Names the mailbox in skip reasons."""
        ...

    async def wait_for(self, address: str, since: float, timeout_s: float = 5.0,
                       accept: Callable[[str], bool] | None = None) -> str | None:
        """The text of the newest mail to ``address`` since ``since`` (epoch seconds) that
        ``accept`` takes (any, when None); None when none arrives within ``timeout_s``."""
        ...


def mail_text(message: EmailMessage) -> str:
    """A ``Subject: …`` line, a blank line, and the plain-text body of a message (its HTML
    when it has no text part): what checks read to tell one kind of mail from another."""
    part = message.get_body(preferencelist=("plain", "html"))
    body = str(part.get_content()) if part is not None else ""
    return f"Subject: {message.get('Subject', '')}\n\n{body}"


async def poll(texts: Callable[[], list[str]], timeout_s: float,
               accept: Callable[[str], bool] | None = None) -> str | None:
    """Look at ``texts()`` every 50 ms until one is accepted (newest wins) or time runs out."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = [text for text in texts() if accept is None or accept(text)]
        if found:
            return found[-1]
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(0.05)


def extract_token(text: str) -> tuple[str | None, str | None]:
    """The token and the first link in a mail: a ``Token: …`` line or a ``?token=`` link."""
    links = _LINK.findall(text)
    line = _TOKEN_LINE.search(text)
    if line:
        return line.group(1), links[0] if links else None
    for link in links:
        match = _TOKEN_PARAM.search(link)
        if match:
            return match.group(1), link
    return None, links[0] if links else None


class FileMailbox:
    """A directory where the target writes one ``.eml`` file per message."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        # Each file is parsed once per version (modification time and size): checks
        # waiting side by side poll the same, growing directory.
        self._parsed: dict[Path, tuple[tuple[int, int], EmailMessage | None]] = {}

    @property
    def where(self) -> str:
        return str(self.directory)

    def _messages_to(self, address: str, since: float) -> list[EmailMessage]:
        found: list[EmailMessage] = []
        if not self.directory.is_dir():
            return found
        for path in sorted(self.directory.glob("*.eml")):
            try:
                stat = path.stat()
                if stat.st_mtime < since:
                    continue
                message = self._parse(path, (stat.st_mtime_ns, stat.st_size))
            except OSError:
                continue
            if message is not None and address.lower() in str(message.get("To", "")).lower():
                found.append(message)
        return found

    def _parse(self, path: Path, version: tuple[int, int]) -> EmailMessage | None:
        known = self._parsed.get(path)
        if known is not None and known[0] == version:
            return known[1]
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        parsed = message if isinstance(message, EmailMessage) else None
        self._parsed[path] = (version, parsed)
        return parsed

    async def wait_for(self, address: str, since: float, timeout_s: float = 5.0,
                       accept: Callable[[str], bool] | None = None) -> str | None:
        """The text of the newest (accepted) mail to ``address`` written after ``since``."""
        return await poll(lambda: [mail_text(m) for m in self._messages_to(address, since)],
                          timeout_s, accept)
