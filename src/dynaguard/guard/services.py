"""The guard's running parts, created once at startup and shared by every request."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from email.message import EmailMessage

import aiosmtplib
import structlog

from dynaguard.guard.letters import render_letter
from dynaguard.guard.mail import Mailer, build_message
from dynaguard.guard.passwords import Passwords
from dynaguard.guard.session_cache import SessionCache
from dynaguard.guard.throttle import Throttle
from dynaguard.guard.tokens import TokenService
from dynaguard.settings import Settings
from dynaguard.store.account_sync import AccountSync
from dynaguard.store.audit import AuditRepository
from dynaguard.store.client import Dynamo
from dynaguard.store.counters import CounterRepository
from dynaguard.store.email_changes import EmailChangeRepository
from dynaguard.store.mfa import MfaRepository
from dynaguard.store.notes import NoteRepository
from dynaguard.store.onetime import OneTimeTokenRepository
from dynaguard.store.resets import PasswordResetRepository
from dynaguard.store.sessions import SessionRepository
from dynaguard.store.users import UserRepository

__all__ = ["Services"]

log = structlog.get_logger("dynaguard.mail")


@dataclass
class Services:
    settings: Settings
    db: Dynamo
    passwords: Passwords
    tokens: TokenService
    mailer: Mailer
    session_cache: SessionCache = field(init=False)
    kek: bytes = field(default=b"", repr=False)
    users: UserRepository = field(init=False)
    sessions: SessionRepository = field(init=False)
    account_sync: AccountSync = field(init=False)
    onetime: OneTimeTokenRepository = field(init=False)
    notes: NoteRepository = field(init=False)
    audit: AuditRepository = field(init=False)
    throttle: Throttle = field(init=False)
    mfa: MfaRepository = field(init=False)
    resets: PasswordResetRepository = field(init=False)
    email_changes: EmailChangeRepository = field(init=False)
    _mail_tasks: set[asyncio.Task[None]] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        self.users = UserRepository(self.db)
        self.sessions = SessionRepository(self.db)
        self.account_sync = AccountSync(self.db, self.users, self.sessions)
        self.session_cache = SessionCache(self.sessions, self.settings.session_cache_ttl)
        self.onetime = OneTimeTokenRepository(self.db)
        self.notes = NoteRepository(self.db)
        self.audit = AuditRepository(self.db, self.settings.audit_retention)
        self.throttle = Throttle(CounterRepository(self.db), self.settings)
        self.mfa = MfaRepository(self.db)
        self.resets = PasswordResetRepository(self.db)
        self.email_changes = EmailChangeRepository(self.db)

    def post_mail(self, to: str, subject: str, text: str, html: str | None = None, *,
                  deliver: bool = True) -> None:
        """Send a mail off the request path, so no response waits on (or times) delivery.

        ``deliver=False`` composes and serialises the mail and drops it: for a branch that
        must cost the loop what a mailing one does (work left behind by one answer slows
        the next, so it must not differ by whether an account exists)."""
        message = build_message(f"{self.settings.service_name} <no-reply@dynaguard.local>",
                                to, subject, text, html)
        if deliver:
            self.background(asyncio.create_task(self._deliver(message)))
        else:
            bytes(message)  # serialising is most of a file outbox's work

    def post_letter(self, to: str, name: str, **context: object) -> None:
        """Render the ``name`` mail template (text + HTML) and post it."""
        letter = render_letter(name, service=self.settings.service_name, **context)
        self.post_mail(to, letter.subject, letter.text, letter.html)

    def background(self, task: asyncio.Task[None]) -> None:
        """Keep a reference to work done off the request path until it ends."""
        self._mail_tasks.add(task)
        task.add_done_callback(self._mail_tasks.discard)

    async def _deliver(self, message: EmailMessage) -> None:
        try:
            await self.mailer.send(message)
        except (OSError, aiosmtplib.SMTPException) as error:
            log.error("mail_failed", error=type(error).__name__)

    async def drain_mail(self) -> None:
        """Wait for mails still being delivered (at shutdown)."""
        while self._mail_tasks:
            await asyncio.gather(*list(self._mail_tasks), return_exceptions=True)

    def link(self, path: str, token: str) -> str:
        """The absolute URL, under the public URL, of the page at ``path`` (one of
        ``dynaguard.guard.links``) carrying ``token``."""
        return f"{self.settings.public_url.rstrip('/')}{path}?token={token}"
