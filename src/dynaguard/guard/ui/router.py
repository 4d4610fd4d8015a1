"""``build_ui_router``: the sign-in pages and their two static files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from dynaguard.guard.ui.account_routes import add_account_routes
from dynaguard.guard.ui.security_routes import add_security_routes
from dynaguard.guard.ui.sign_in_routes import add_sign_in_routes
from dynaguard.guard.ui.signup_routes import add_signup_routes
from dynaguard.guard.ui.visit import visitor

__all__ = ["build_ui_router"]

STATIC = Path(__file__).parent / "static"
STATIC_TYPES = {"ui.css": "text/css; charset=utf-8",
                "webauthn.js": "text/javascript; charset=utf-8"}


def build_ui_router(services: Any) -> APIRouter:
    """The pages under ``/ui``; ``services`` returns the running Services. Pages, not API:
    they stay out of the OpenAPI document."""
    router = APIRouter(include_in_schema=False)
    visit = visitor(services)
    add_sign_in_routes(router, visit)
    add_signup_routes(router, visit)
    add_account_routes(router, visit)
    add_security_routes(router, visit)
    files = {name: (STATIC / name).read_bytes() for name in STATIC_TYPES}

    def static_file(name: str) -> Any:
        async def serve() -> Response:
            return Response(files[name], media_type=STATIC_TYPES[name], headers={
                "Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff",
                "Cross-Origin-Resource-Policy": "same-origin"})
        return serve

    for name in STATIC_TYPES:
        router.add_api_route(f"/ui/static/{name}", static_file(name), methods=["GET"],
                             name=f"ui_static_{name.replace('.', '_')}")
    return router
