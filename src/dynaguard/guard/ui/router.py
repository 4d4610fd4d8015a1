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

__all__ = ["UI_ROUTES", "build_ui_router"]

# Every operation of the pages. None takes a bearer token: the signed-in ones read the
# browser's cookie (and send a browser without one to the sign-in page), every POST needs
# the CSRF token of that cookie. A test checks this list against the router.
UI_ROUTES = frozenset({
    ("GET", "/ui"), ("GET", "/ui/sign-in"), ("POST", "/ui/sign-in"),
    ("GET", "/ui/sign-in/second-step"), ("POST", "/ui/sign-in/second-step"),
    ("POST", "/ui/sign-in/second-step/passkey"), ("POST", "/ui/passkey"),
    ("POST", "/ui/passkey/finish"), ("POST", "/ui/sign-out"),
    ("GET", "/ui/register"), ("POST", "/ui/register"), ("GET", "/ui/forgot"),
    ("POST", "/ui/forgot"), ("GET", "/ui/account"), ("POST", "/ui/account/password"),
    ("POST", "/ui/account/email"), ("GET", "/ui/sessions"), ("POST", "/ui/sessions/revoke"),
    ("POST", "/ui/sessions/sign-out-everywhere"), ("GET", "/ui/security"),
    ("POST", "/ui/security/totp/setup"), ("POST", "/ui/security/totp/confirm"),
    ("POST", "/ui/security/totp/disable"), ("POST", "/ui/security/recovery-codes"),
    ("POST", "/ui/security/passkeys/options"), ("POST", "/ui/security/passkeys"),
    ("POST", "/ui/security/passkeys/remove"), ("GET", "/ui/static/ui.css"),
    ("GET", "/ui/static/webauthn.js"), ("GET", "/ui/static/icon.svg"),
})

STATIC = Path(__file__).parent / "static"
STATIC_TYPES = {"ui.css": "text/css; charset=utf-8",
                "webauthn.js": "text/javascript; charset=utf-8",
                "icon.svg": "image/svg+xml"}


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
