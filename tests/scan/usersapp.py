"""A users API with a listing at ``GET /users``: either scoped to the caller (as djoser
lists an ordinary account only itself) or every account, to anyone signed in.

State lives in dicts; it is a test target, not the lab.
"""

# No `from __future__ import annotations`: FastAPI must see the route-local aliases.

import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel


class Credentials(BaseModel):
    email: str
    password: str


def create_users_app(*, listing_scoped: bool) -> FastAPI:
    """``listing_scoped``: GET /users answers only the caller's own record (in a paginated
    envelope, as DRF's pagination does); else every account's."""
    app = FastAPI()
    users: dict[str, tuple[int, str]] = {}
    tokens: dict[str, str] = {}
    bearer = HTTPBearer(auto_error=False)
    Token = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]  # noqa: N806

    def caller(credentials: HTTPAuthorizationCredentials | None) -> str:
        who = tokens.get(credentials.credentials) if credentials else None
        if who is None:
            raise HTTPException(401, "not authenticated")
        return who

    def record(email: str) -> dict[str, str | int]:
        return {"id": users[email][0], "email": email}

    @app.post("/register", status_code=201)
    def register(body: Credentials) -> dict[str, str | int]:
        if body.email in users:
            raise HTTPException(400, "registration failed")
        users[body.email] = (len(users) + 1, body.password)
        return record(body.email)

    @app.post("/login")
    def login(body: Credentials) -> dict[str, str]:
        known = users.get(body.email, (0, "\0"))[1]
        if not secrets.compare_digest(known, body.password):
            raise HTTPException(401, "invalid credentials")
        token = secrets.token_urlsafe(16)
        tokens[token] = body.email
        return {"access_token": token, "token_type": "bearer"}

    @app.get("/users/me")
    def me(credentials: Token) -> dict[str, str | int]:
        return record(caller(credentials))

    @app.get("/users")
    def listing(credentials: Token) -> dict[str, object]:
        who = caller(credentials)
        shown = [record(who)] if listing_scoped else [record(e) for e in users]
        return {"count": len(shown), "next": None, "results": shown}

    return app
