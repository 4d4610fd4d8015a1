"""``create_app``: the standalone service (``dynaguard serve``)."""

from __future__ import annotations

from fastapi import FastAPI

from dynaguard import __version__
from dynaguard.guard.core import Guard
from dynaguard.guard.demo import build_notes_router
from dynaguard.guard.mail import Mailer
from dynaguard.guard.middleware import BodyLimit, SecurityHeaders
from dynaguard.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings, *, demo: bool = True, mailer: Mailer | None = None) -> FastAPI:
    """The auth service as an ASGI app; ``demo`` adds the ``/notes`` resource."""
    guard = Guard(settings, mailer=mailer)
    app = FastAPI(
        title="dynaguard", version=__version__, lifespan=guard.lifespan,
        description="Hardened authentication on DynamoDB.",
    )
    app.state.guard = guard
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit)
    guard.install(app)
    if demo:
        app.include_router(build_notes_router(
            guard.services, guard.current_user(["notes:read"]), guard.current_user(["notes:write"])
        ))
    return app
