"""``Guard``: the auth library's entry point, mountable in any FastAPI app.

    guard = Guard(Settings())
    app = FastAPI(lifespan=guard.lifespan)
    guard.install(app)                       # problem handlers, /auth and the /ui pages

    @app.get("/reports")
    async def reports(user: Annotated[Principal, guard.current_user(scopes=["reports:read"])]):
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

import structlog
from fastapi import APIRouter, FastAPI

from dynaguard import extras
from dynaguard.guard.account_routes import build_account_router
from dynaguard.guard.admin_routes import build_admin_router
from dynaguard.guard.deps import authenticator, bearer_scheme, require
from dynaguard.guard.introspection import build_introspection_router
from dynaguard.guard.keyring import KeyRing, load_kek
from dynaguard.guard.mail import Mailer, mailer_from_settings
from dynaguard.guard.mfa.routes import build_mfa_router
from dynaguard.guard.pages.routes import build_pages_router
from dynaguard.guard.passwords import PROFILES, Passwords
from dynaguard.guard.problems import install_problem_handlers
from dynaguard.guard.ratelimit import RateLimitHeaders
from dynaguard.guard.request_id import RequestIdMiddleware
from dynaguard.guard.routes import build_auth_router
from dynaguard.guard.services import Services
from dynaguard.guard.tokens import TokenService
from dynaguard.guard.ui.router import build_ui_router
from dynaguard.guard.ui.visit import UI
from dynaguard.settings import Settings
from dynaguard.store.client import ClientLimits, open_store
from dynaguard.store.keys import KeyRepository
from dynaguard.store.schema import ensure_table
from dynaguard.store.users import UserRepository

if TYPE_CHECKING:
    from dynaguard.store.engine import LocalEngine

__all__ = ["Guard"]

log = structlog.get_logger("dynaguard")


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class Guard:
    """Authentication on DynamoDB for a FastAPI app: routes, dependencies and lifecycle."""

    def __init__(self, settings: Settings, *, mailer: Mailer | None = None) -> None:
        self.settings = settings
        self._mailer = mailer
        self._services: Services | None = None
        self.engine: LocalEngine | None = None
        self.kek_path: str | None = None
        self._scheme = bearer_scheme("/auth/token")
        self._authenticate = authenticator(self.services, self._scheme)
        self.router: APIRouter = build_auth_router(self.services, self.current_user())
        self.router.include_router(build_introspection_router(self.services))
        self.router.include_router(build_admin_router(self.services, self.current_user(["admin"])))
        self.router.include_router(build_account_router(self.services, self.current_user()))
        self.router.include_router(build_pages_router(
            self.services, sign_in=f"{UI}/sign-in" if settings.ui else None))
        self.ui_router: APIRouter | None = None
        if settings.ui:
            self.ui_router = build_ui_router(self.services)
            self.router.include_router(self.ui_router)

    def services(self) -> Services:
        """The running services; only available inside the lifespan."""
        if self._services is None:
            raise RuntimeError("the guard is not started: use Guard.lifespan in your app")
        return self._services

    def current_user(self, scopes: Sequence[str] = ()) -> Any:
        """Dependency marker: a verified :class:`Principal` holding every scope in ``scopes``."""
        return require(self._authenticate, scopes)

    def install(self, app: FastAPI) -> None:
        """Add the problem-details error handlers and the auth router to ``app``."""
        install_problem_handlers(app)
        if self.settings.ratelimit_headers:
            app.add_middleware(RateLimitHeaders)
        app.add_middleware(RequestIdMiddleware)
        app.include_router(self.router)
        app.include_router(build_mfa_router(self.services, self.current_user()))

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: FastAPI | None = None) -> AsyncIterator[None]:
        """Connect to DynamoDB (or start the embedded engine), load keys, serve, clean up."""
        async with contextlib.AsyncExitStack() as stack:
            endpoint: str | None = self.settings.dynamodb_endpoint or None
            if self.settings.embedded:
                # moto is imported only when used: it is a quarter of a cold start on Lambda,
                # and an extra the service may not have installed.
                extras.require("embedded", "an embedded engine (no DYNAGUARD_DYNAMODB_ENDPOINT)")
                from dynaguard.store.engine import LocalEngine  # noqa: PLC0415

                self.engine = LocalEngine()
                self.engine.start()
                stack.callback(self.engine.stop)
                endpoint = self.engine.endpoint
                log.info("embedded_dynamodb", endpoint=endpoint, data="in memory")
            elif endpoint == "aws":
                endpoint = None
            limits = ClientLimits.from_settings(self.settings)
            db = await stack.enter_async_context(
                open_store(endpoint, self.settings.region, self.settings.table, limits))
            await ensure_table(db)
            kek, kek_path = load_kek(self.settings)
            self.kek_path = str(kek_path) if kek_path else None
            ring = KeyRing(KeyRepository(db), kek)
            await ring.load()
            interval = self.settings.key_refresh_interval
            refresher = asyncio.create_task(ring.refresh_forever(interval))
            stack.push_async_callback(_cancel, refresher)
            profile = PROFILES[self.settings.argon2_profile]
            passwords = Passwords(profile, self.settings.hash_concurrency)
            stack.callback(passwords.close)
            await UserRepository(db).ensure_decoy(await passwords.hash(secrets.token_urlsafe(32)))
            svc = Services(
                settings=self.settings, db=db, passwords=passwords,
                tokens=TokenService(self.settings, ring),
                mailer=self._mailer or mailer_from_settings(self.settings),
                kek=kek,
            )
            self._services = svc
            try:
                yield
            finally:
                await svc.drain_mail()
                self._services = None
