"""``create_lab_app``: the deliberately vulnerable app, one switch per flaw."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI

from dynaguard import __version__
from dynaguard.guard.mail import Mailer
from dynaguard.lab.account_routes import (
    build_profile_router,
    build_session_router,
    build_signup_router,
)
from dynaguard.lab.auth import LabAuth
from dynaguard.lab.browser import install_cors
from dynaguard.lab.errors import install_error_handlers
from dynaguard.lab.header_keys import build_jwks_router
from dynaguard.lab.notes import build_admin_router, build_notes_router
from dynaguard.lab.recovery import build_recovery_router
from dynaguard.lab.registry import parse_flaws
from dynaguard.lab.state import Clock, Lab
from dynaguard.settings import Settings

__all__ = ["create_lab_app"]


def create_lab_app(settings: Settings, flaws: Iterable[str] | str = (), *,
                   clock: Clock = time.time, mailer: Mailer | None = None,
                   dynamodb: Any = None) -> FastAPI:
    """The lab as an ASGI app with ``flaws`` switched on (names, ``"all"`` or ``"none"``).

    Run it inside its lifespan (uvicorn does; in tests use ``app.state.lab.lifespan()``).
    ``clock`` is the lab's notion of now, so tests can issue tokens "an hour ago".
    ``dynamodb`` is an open aiobotocore DynamoDB client to share (the lab then neither
    opens nor closes one), for harnesses that run many labs.
    """
    chosen = parse_flaws(flaws)
    lab = Lab(settings, chosen, clock, mailer, dynamodb)
    app = FastAPI(
        title="dynaguard lab", version=__version__, lifespan=lab.lifespan,
        description="A DELIBERATELY VULNERABLE app for learning and for testing scanners. "
                    f"Flaws on: {', '.join(sorted(chosen)) or 'none'}.",
    )
    app.state.lab = lab
    install_error_handlers(app, leak=lab.on("error_leak"))
    install_cors(app, lab)
    auth = LabAuth(lab)
    app.include_router(build_signup_router(lab))
    app.include_router(build_session_router(lab, auth))
    app.include_router(build_profile_router(lab, auth))
    app.include_router(build_recovery_router(lab))
    app.include_router(build_notes_router(lab, auth))
    app.include_router(build_admin_router(lab, auth))
    app.include_router(build_jwks_router(lab.tokens.header_keys))
    return app
