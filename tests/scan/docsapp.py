"""A documents API for the missing-authentication check: objects by id, and three ways
an operation can answer 404 without credentials (it hides, it forgot, it never checked).

State lives in dicts; it is a test target, not the lab.
"""

# No `from __future__ import annotations`: FastAPI must see the route-local aliases.

import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel


class Credentials(BaseModel):
    email: str
    password: str


class NewDoc(BaseModel):
    text: str


def create_docs_app(*, delete_forgets_auth: bool = False, can_create: bool = True) -> FastAPI:
    """Reads answer 404 without credentials (hiding that a document exists), as with
    someone else's id. ``delete_forgets_auth``: DELETE /docs/{doc_id} is declared secured
    in the spec but never checks the token; ``can_create``: POST /docs exists."""
    app = FastAPI()
    users: dict[str, str] = {}
    tokens: dict[str, str] = {}
    docs: dict[str, tuple[str, str]] = {}
    bearer = HTTPBearer(auto_error=False)
    Token = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]  # noqa: N806

    def owner_of(credentials: HTTPAuthorizationCredentials | None) -> str | None:
        return tokens.get(credentials.credentials) if credentials else None

    @app.post("/register", status_code=201)
    def register(body: Credentials) -> dict[str, str]:
        users.setdefault(body.email, body.password)
        return {"status": "ok"}

    @app.post("/login")
    def login(body: Credentials) -> dict[str, str]:
        if not secrets.compare_digest(users.get(body.email, "\0"), body.password):
            raise HTTPException(401, "invalid credentials")
        token = secrets.token_urlsafe(16)
        tokens[token] = body.email
        return {"access_token": token, "token_type": "bearer"}

    @app.get("/me")
    def me(credentials: Token) -> dict[str, str]:
        who = owner_of(credentials)
        if who is None:
            raise HTTPException(401, "not authenticated")
        return {"email": who}

    if can_create:
        @app.post("/docs", status_code=201)
        def create(body: NewDoc, credentials: Token) -> dict[str, str]:
            who = owner_of(credentials)
            if who is None:
                raise HTTPException(401, "not authenticated")
            doc_id = secrets.token_hex(8)
            docs[doc_id] = (who, body.text)
            return {"id": doc_id, "text": body.text}

    @app.get("/docs/{doc_id}")
    def read(doc_id: str, credentials: Token) -> dict[str, str]:
        doc = docs.get(doc_id)
        if doc is None or doc[0] != owner_of(credentials):
            raise HTTPException(404, "no such document")
        return {"id": doc_id, "text": doc[1]}

    @app.delete("/docs/{doc_id}", status_code=204)
    def delete(doc_id: str, credentials: Token) -> Response:
        doc = docs.get(doc_id)
        if doc is None or (not delete_forgets_auth and doc[0] != owner_of(credentials)):
            raise HTTPException(404, "no such document")
        del docs[doc_id]
        return Response(status_code=204)

    return app
