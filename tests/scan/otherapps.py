"""Targets that look nothing like dynaguard: other frameworks, field names and sessions."""

# No `from __future__ import annotations`: FastAPI must see the route-local aliases.

import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, Form, HTTPException
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SESSION_COOKIE = "kb_session"


def create_cookie_app(*, logout_noop: bool = False) -> Starlette:
    """A Starlette API without OpenAPI: form fields ``username``/``pass``, cookie sessions."""
    users: dict[str, str] = {}
    sessions: dict[str, str] = {}

    async def signup(request: Request) -> Response:
        form = await request.form()
        name, password = str(form.get("username", "")), str(form.get("pass", ""))
        if not name or len(password) < 12:
            return JSONResponse({"ok": False, "why": "bad input"}, status_code=400)
        users.setdefault(name, password)
        return JSONResponse({"ok": True}, status_code=201)

    async def open_session(request: Request) -> Response:
        form = await request.form()
        name, password = str(form.get("username", "")), str(form.get("pass", ""))
        if name not in users or not secrets.compare_digest(users[name], password):
            return JSONResponse({"ok": False}, status_code=401)
        sid = secrets.token_urlsafe(24)
        sessions[sid] = name
        response = JSONResponse({"ok": True})
        response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="lax")
        return response

    async def whoami(request: Request) -> Response:
        name = sessions.get(request.cookies.get(SESSION_COOKIE, ""))
        if name is None:
            return JSONResponse({"ok": False}, status_code=401)
        return JSONResponse({"ok": True, "user": name})

    async def close_session(request: Request) -> Response:
        sid = request.cookies.get(SESSION_COOKIE, "")
        if sid not in sessions:
            return JSONResponse({"ok": False}, status_code=401)
        if not logout_noop:
            del sessions[sid]
        response = JSONResponse({"ok": True})
        response.delete_cookie(SESSION_COOKIE)
        return response

    return Starlette(routes=[
        Route("/account/new", signup, methods=["POST"]),
        Route("/account/session", open_session, methods=["POST"]),
        Route("/account/session/end", close_session, methods=["POST"]),
        Route("/account/whoami", whoami, methods=["GET"]),
    ])


COOKIE_PROFILE = """
[endpoints.login]
path = "/account/session"
body = "form"
identifier = "username"
password = "pass"

[endpoints.register]
path = "/account/new"
body = "form"
identifier = "username"
password = "pass"

[endpoints.logout]
path = "/account/session/end"
body = "none"

[endpoints.me]
path = "/account/whoami"
method = "GET"
body = "none"

[session]
token_from = "cookie"
token_name = "kb_session"

[accounts]
identifier = "username"
"""


class SignIn(BaseModel):
    login: str
    passwd: str


class SignUp(BaseModel):
    login: str
    passwd: str
    display_name: str


def create_api_key_app() -> FastAPI:
    """A FastAPI service with other names: ``login``/``passwd``, an ``X-Session`` header."""
    app = FastAPI()
    key = APIKeyHeader(name="X-Session")

    @app.post("/v1/accounts/sign-up")
    def sign_up(body: SignUp) -> dict[str, str]:
        return {"ok": "yes"}

    @app.post("/v1/accounts/sign-in")
    def sign_in(body: SignIn) -> dict[str, str]:
        return {"session": "s"}

    @app.post("/v1/accounts/sign-out")
    def sign_out(session: Annotated[str, Depends(key)]) -> dict[str, str]:
        return {}

    @app.get("/v1/accounts/whoami")
    def whoami(session: Annotated[str, Depends(key)]) -> dict[str, str]:
        return {}

    @app.get("/v1/projects/{project_id}")
    def project(project_id: int, session: Annotated[str, Depends(key)]) -> dict[str, int]:
        return {"id": project_id}

    @app.get("/v1/status")
    def status() -> dict[str, str]:
        return {"ok": "yes"}

    return app


def create_oauth_form_app() -> FastAPI:
    """A FastAPI service whose only login is the OAuth2 password form at its tokenUrl."""
    app = FastAPI()
    scheme = OAuth2PasswordBearer(tokenUrl="/oauth/token")

    @app.post("/oauth/token")
    def token(username: Annotated[str, Form()], password: Annotated[str, Form()]
              ) -> dict[str, str]:
        raise HTTPException(401)

    @app.get("/users/current")
    def current(token: Annotated[str, Depends(scheme)]) -> dict[str, str]:
        return {}

    return app
