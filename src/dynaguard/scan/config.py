"""``ScanConfig``: everything one scan is told, validated before anything is sent."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

import httpx

from dynaguard.scan.accounts import Account
from dynaguard.scan.errors import UsageError
from dynaguard.scan.profile import Profile
from dynaguard.scan.smtp_sink import parse_smtp_address

__all__ = ["DEFAULT_BUDGET", "ScanConfig", "is_loopback"]

DEFAULT_BUDGET = 1500


def is_loopback(url: str) -> bool:
    host = httpx.URL(url).host
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ScanConfig:
    target: str
    profile: Profile | None = None
    accounts: tuple[Account, ...] = ()
    register: bool | None = None
    mailbox: Path | str | None = None
    """A file outbox directory, or ``smtp://127.0.0.1:PORT`` for an SMTP sink."""
    budget: int = DEFAULT_BUDGET
    concurrency: int = 8
    timeout_s: float = 10.0
    checks: tuple[str, ...] = ()
    timing_max_pairs: int = 300
    seed: int | None = None

    def __post_init__(self) -> None:
        try:
            url = httpx.URL(self.target)
        except httpx.InvalidURL:
            raise UsageError(f"{self.target!r} is not an http(s) URL") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise UsageError(f"{self.target!r} is not an http(s) URL")
        if not 10 <= self.budget <= 100_000:
            raise UsageError("the request budget must be between 10 and 100000")
        if not 1 <= self.concurrency <= 64:
            raise UsageError("concurrency must be between 1 and 64")
        if not 30 <= self.timing_max_pairs <= 300:
            raise UsageError("timing pairs must be between 30 and 300")
        if isinstance(self.mailbox, str) and "://" in self.mailbox:
            parse_smtp_address(self.mailbox)
        elif self.mailbox is not None and not Path(self.mailbox).is_dir():
            raise UsageError(f"mailbox {self.mailbox} is not a directory")

    @property
    def may_register(self) -> bool:
        """--register as given, else on only for loopback targets."""
        return is_loopback(self.target) if self.register is None else self.register
