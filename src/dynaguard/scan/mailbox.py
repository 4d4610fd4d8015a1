"""Reading the target's mail: a file outbox directory of ``.eml`` messages."""

from __future__ import annotations

import asyncio
import re
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

__all__ = ["FileMailbox", "extract_token"]

_TOKEN_LINE = re.compile(r"^\s*(?:token|code)\s*[:=]\s*(\S+)\s*$", re.IGNORECASE | re.MULTILINE)
_TOKEN_PARAM = re.compile(r"[?&](?:token|code|key)=([A-Za-z0-9._~%-]+)")
_LINK = re.compile(r"https?://[^\s<>\"']+")


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return str(part.get_content()) if part is not None else ""


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

    def _messages_to(self, address: str, since: float) -> list[EmailMessage]:
        found: list[EmailMessage] = []
        if not self.directory.is_dir():
            return found
        for path in sorted(self.directory.glob("*.eml")):
            try:
                if path.stat().st_mtime < since:
                    continue
                message = message_from_bytes(path.read_bytes(), policy=policy.default)
            except OSError:
                continue
            if isinstance(message, EmailMessage) and address.lower() in str(
                    message.get("To", "")).lower():
                found.append(message)
        return found

    async def wait_for(self, address: str, since: float, timeout_s: float = 5.0) -> str | None:
        """The text of the newest mail to ``address`` written after ``since``, or None."""
        deadline = time.monotonic() + timeout_s
        while True:
            messages = self._messages_to(address, since)
            if messages:
                return _text(messages[-1])
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.05)
