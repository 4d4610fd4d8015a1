"""``Lab``: one running lab: its settings, its flaws, its clock and its DynamoDB table."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import structlog

from dynaguard.extras import require
from dynaguard.guard.mail import Mailer, build_message, mailer_from_settings
from dynaguard.guard.passwords import PROFILES
from dynaguard.lab.passwords import LabPasswords
from dynaguard.lab.registry import FLAWS
from dynaguard.lab.store import LabStore
from dynaguard.lab.tokens import LabTokens
from dynaguard.settings import Settings
from dynaguard.store.client import ClientLimits, Dynamo, open_client
from dynaguard.store.schema import ensure_table

if TYPE_CHECKING:
    from dynaguard.store.engine import LocalEngine

__all__ = ["Clock", "Lab"]

Clock = Callable[[], float]
log = structlog.get_logger("dynaguard.lab")


class Lab:
    """The lab's parts; ``store`` exists only inside :meth:`lifespan`."""

    def __init__(self, settings: Settings, flaws: frozenset[str], clock: Clock = time.time,
                 mailer: Mailer | None = None, client: Any = None) -> None:
        self.settings = settings
        self.flaws = flaws
        self.clock = clock
        self.passwords = LabPasswords(PROFILES[settings.argon2_profile], fast=self.on("fast_hash"))
        self.tokens = LabTokens(settings, flaws, clock)
        self.mailer = mailer or mailer_from_settings(settings)
        self._store: LabStore | None = None
        self._client = client  # an open DynamoDB client to share, or None to open one
        self.engine: LocalEngine | None = None

    def on(self, flaw: str) -> bool:
        """Whether ``flaw`` is switched on; a misspelt name is a bug, not a "no"."""
        if flaw not in FLAWS:
            raise KeyError(flaw)
        return flaw in self.flaws

    def now(self) -> int:
        return int(self.clock())

    @property
    def store(self) -> LabStore:
        if self._store is None:
            raise RuntimeError("the lab is not started")
        return self._store

    async def send_mail(self, to: str, subject: str, text: str, *, deliver: bool = True) -> None:
        """Compose and send a mail; with ``deliver=False`` it is composed and dropped, for a
        branch that must cost what a mailing one does without mailing anyone."""
        message = build_message("lab@dynaguard.local", to, subject, text)
        if deliver:
            await self.mailer.send(message)
        else:
            bytes(message)  # serialising is most of a file outbox's work

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Any = None) -> AsyncIterator[None]:
        """Connect to DynamoDB (starting an embedded engine if none is set), seed, serve."""
        if self._client is not None:
            async with self._serving(self._client):
                yield
            return
        endpoint: str | None = self.settings.dynamodb_endpoint
        if self.settings.embedded:
            require("embedded", "the lab without DYNAGUARD_DYNAMODB_ENDPOINT")
            from dynaguard.store.engine import LocalEngine  # noqa: PLC0415 -- an extra's

            self.engine = LocalEngine()
            self.engine.start()
            endpoint = self.engine.endpoint
            log.warning("lab_embedded_engine", endpoint=endpoint)
        elif endpoint == "aws":
            endpoint = None
        try:
            limits = ClientLimits.from_settings(self.settings)
            async with open_client(endpoint, self.settings.region, limits) as client, \
                    self._serving(client):
                yield
        finally:
            if self.engine is not None:
                self.engine.stop()

    @contextlib.asynccontextmanager
    async def _serving(self, client: Any) -> AsyncIterator[None]:
        from dynaguard.lab.seed import seed_accounts  # noqa: PLC0415 -- seed imports Lab

        db = Dynamo(client, self.settings.table, ClientLimits.from_settings(self.settings))
        await ensure_table(db)
        self._store = LabStore(db)
        try:
            await seed_accounts(self)
            yield
        finally:
            self._store = None
