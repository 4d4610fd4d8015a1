"""Targets whose API description is not where FastAPI puts it: a Swagger 2.0 service, and
a service whose spec lives elsewhere (YAML, or only linked from its documentation page)."""

from __future__ import annotations

import json
import secrets
from typing import Any

import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.scan.docsapp import create_docs_app

SWAGGER2 = {
    "swagger": "2.0",
    "info": {"title": "shop", "version": "1"},
    "basePath": "/api/v1",
    "consumes": ["application/json"],
    "securityDefinitions": {
        "Bearer": {"type": "apiKey", "name": "Authorization", "in": "header"}},
    "parameters": {"Email": {"name": "email", "in": "formData", "type": "string",
                             "format": "email", "required": True}},
    "definitions": {"NewUser": {"type": "object", "required": ["email", "password"],
                                "properties": {"email": {"type": "string", "format": "email"},
                                               "password": {"type": "string"}}}},
    "paths": {
        "/users": {"post": {
            "parameters": [{"name": "body", "in": "body", "required": True,
                            "schema": {"$ref": "#/definitions/NewUser"}}],
            "responses": {"201": {"description": "created"}}}},
        "/auth/login": {"post": {
            "consumes": ["application/x-www-form-urlencoded"],
            "parameters": [{"$ref": "#/parameters/Email"},
                           {"name": "password", "in": "formData", "type": "string",
                            "required": True}],
            "responses": {"200": {"description": "token"}}}},
        "/auth/logout": {"post": {"security": [{"Bearer": []}],
                                  "responses": {"204": {"description": "gone"}}}},
        "/users/me": {"get": {"security": [{"Bearer": []}],
                              "responses": {"200": {"description": "me"}}}},
    },
}


def create_swagger2_app() -> Starlette:
    """A JSON API under ``/api/v1`` described by a Swagger 2.0 document at /swagger.json:
    JSON registration, form login, bearer tokens, a logout that ends the token."""
    users: dict[str, str] = {}
    tokens: dict[str, str] = {}

    def bearer(request: Request) -> str | None:
        value = request.headers.get("authorization", "")
        return tokens.get(value.removeprefix("Bearer ")) if value.startswith("Bearer ") else None

    async def spec(request: Request) -> Response:
        return JSONResponse(SWAGGER2)

    async def register(request: Request) -> Response:
        body = await request.json()
        email, password = str(body.get("email", "")), str(body.get("password", ""))
        if "@" not in email or len(password) < 12:
            return JSONResponse({"error": "invalid"}, status_code=400)
        users.setdefault(email, password)
        return JSONResponse({"status": "ok"}, status_code=201)

    async def login(request: Request) -> Response:
        form = await request.form()
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        if not secrets.compare_digest(users.get(email, "\0"), password):
            return JSONResponse({"error": "invalid credentials"}, status_code=401)
        token = secrets.token_urlsafe(24)
        tokens[token] = email
        return JSONResponse({"token": token})

    async def logout(request: Request) -> Response:
        value = request.headers.get("authorization", "").removeprefix("Bearer ")
        if tokens.pop(value, None) is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return Response(status_code=204)

    async def me(request: Request) -> Response:
        who = bearer(request)
        if who is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return JSONResponse({"email": who})

    return Starlette(routes=[
        Route("/swagger.json", spec),
        Route("/api/v1/users", register, methods=["POST"]),
        Route("/api/v1/auth/login", login, methods=["POST"]),
        Route("/api/v1/auth/logout", logout, methods=["POST"]),
        Route("/api/v1/users/me", me),
    ])


SWAGGER_UI_PAGE = """<!doctype html><html><head><title>API</title></head><body>
<div id="swagger-ui"></div>
<script src="/static/swagger-ui-bundle.js"></script>
<script>
const ui = SwaggerUIBundle({ url: '{spec}', dom_id: '#swagger-ui' })
</script></body></html>"""
REDOC_PAGE = """<!doctype html><html><head><title>API</title></head><body>
<redoc spec-url="{spec}"></redoc><script src="/static/redoc.standalone.js"></script>
</body></html>"""


class _Hiding:
    """Answers 404 on the wrapped app's own spec and docs paths."""

    def __init__(self, app: ASGIApp, hidden: set[str]) -> None:
        self.app, self.hidden = app, hidden

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.hidden:
            await PlainTextResponse("not found", status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_relocated_docs_app(spec_at: str, *, page: str | None = None,
                              hits: list[str] | None = None) -> ASGIApp:
    """The documents API (tests.scan.docsapp) with its spec only at ``spec_at`` (YAML when
    the path says ``yaml`` or ends with a slash, else JSON), and, with ``page``
    (``swagger-ui`` or ``redoc``), a documentation page at ``/docs`` linking to it.
    Each request for the spec is noted in ``hits``."""
    inner = create_docs_app()
    document: dict[str, Any] = inner.openapi()
    as_yaml = "yaml" in spec_at or spec_at.endswith("/")
    text = yaml.safe_dump(document) if as_yaml else json.dumps(document)
    media = "application/vnd.oai.openapi" if as_yaml else "application/json"
    template = {"swagger-ui": SWAGGER_UI_PAGE, "redoc": REDOC_PAGE}.get(page or "")
    hidden = {"/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == spec_at:
            if hits is not None:
                hits.append(path)
            await Response(text, media_type=media)(scope, receive, send)
        elif path == "/docs" and template is not None:
            await HTMLResponse(template.replace("{spec}", spec_at))(scope, receive, send)
        else:
            await _Hiding(inner, hidden)(scope, receive, send)

    return app
