"""Targets in the shapes other people's APIs take, for the scanner's account bootstrap:
FastAPI's OAuth2 password form with email usernames, registrations that need more than
an identifier and a password, a target that fails its first requests, and protected
routes with no identity endpoint. Each keeps its users in memory and signs HS256 JWTs
with a random key of its own (nothing here is meant to be weak unless it says so)."""

# No `from __future__ import annotations`: FastAPI must see the route-local aliases.

import secrets
import time
from typing import Annotated, Literal

import jwt
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel, EmailStr, Field


class _Tokens:
    """Users, passwords and the tokens they are issued; logout revokes unless told not to."""

    def __init__(self) -> None:
        self.key = secrets.token_bytes(32)
        self.passwords: dict[str, str] = {}
        self.revoked: set[str] = set()

    def issue(self, subject: str) -> str:
        now = int(time.time())
        return jwt.encode({"sub": subject, "iat": now, "exp": now + 300,
                           "jti": secrets.token_hex(8)}, self.key, algorithm="HS256")

    def check_password(self, subject: str, password: str) -> bool:
        known = self.passwords.get(subject)
        return known is not None and secrets.compare_digest(known, password)

    def subject(self, token: str) -> str:
        try:
            claims = jwt.decode(token, self.key, algorithms=["HS256"],
                                options={"require": ["exp", "sub"]})
        except jwt.PyJWTError:
            raise HTTPException(401, "invalid token") from None
        if claims.get("jti") in self.revoked or claims["sub"] not in self.passwords:
            raise HTTPException(401, "invalid token")
        return str(claims["sub"])


class EmailSignUp(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8)


def create_email_form_app() -> FastAPI:
    """fastapi-users' shape: JSON registration whose schema says ``format: email``, login
    by ``OAuth2PasswordRequestForm`` whose ``username`` holds that email."""
    app = FastAPI()
    tokens = _Tokens()
    scheme = OAuth2PasswordBearer(tokenUrl="/auth/jwt/login")

    @app.post("/auth/register", status_code=201)
    async def register(body: EmailSignUp) -> dict[str, str]:
        if body.email in tokens.passwords:
            raise HTTPException(400, "REGISTER_USER_ALREADY_EXISTS")
        tokens.passwords[body.email] = body.password
        return {"email": body.email}

    @app.post("/auth/jwt/login")
    async def login(form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, str]:
        if not tokens.check_password(form.username, form.password):
            raise HTTPException(400, "LOGIN_BAD_CREDENTIALS")
        return {"access_token": tokens.issue(form.username), "token_type": "bearer"}

    @app.get("/users/me")
    async def me(token: Annotated[str, Depends(scheme)]) -> dict[str, str]:
        return {"email": tokens.subject(token)}

    return app


class Profile(BaseModel):
    display_name: str = Field(min_length=2, max_length=40)
    newsletter: bool = False


class FullSignUp(BaseModel):
    username: str = Field(min_length=3, max_length=20, pattern=r"^[a-z0-9_]+$")
    email: EmailStr
    password: str = Field(min_length=10)
    profile: Profile
    plan: Literal["free", "team"]


def create_full_signup_app() -> FastAPI:
    """A registration that needs username, email and password (and a nested profile and a
    plan), all required; the OAuth2 form login takes the username."""
    app = FastAPI()
    tokens = _Tokens()
    emails: set[str] = set()
    scheme = OAuth2PasswordBearer(tokenUrl="/token")

    @app.post("/users", status_code=201)
    async def register(body: FullSignUp) -> dict[str, str]:
        if body.username in tokens.passwords or body.email in emails:
            raise HTTPException(400, "taken")
        tokens.passwords[body.username] = body.password
        emails.add(body.email)
        return {"username": body.username}

    @app.post("/token")
    async def login(form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, str]:
        if not tokens.check_password(form.username, form.password):
            raise HTTPException(401, "bad credentials")
        return {"access_token": tokens.issue(form.username), "token_type": "bearer"}

    @app.get("/users/me")
    async def me(token: Annotated[str, Depends(scheme)]) -> dict[str, str]:
        return {"username": tokens.subject(token)}

    return app


class SignIn(BaseModel):
    email: EmailStr
    password: str


def create_cold_start_app(failures: int = 2) -> FastAPI:
    """A target whose storage is made on first use: its first ``failures`` requests that
    touch users fail (a 500, then a 503 with Retry-After), as a table being created."""
    app = FastAPI()
    tokens = _Tokens()
    scheme = OAuth2PasswordBearer(tokenUrl="/login")
    cold = {"left": failures}

    def warm_up() -> JSONResponse | None:
        if cold["left"] <= 0:
            return None
        cold["left"] -= 1
        if cold["left"] % 2:
            return JSONResponse({"detail": "table is being created"}, status_code=500)
        return JSONResponse({"detail": "busy"}, status_code=503, headers={"Retry-After": "1"})

    @app.post("/register", status_code=201, response_model=None)
    async def register(body: SignIn) -> dict[str, str] | JSONResponse:
        failure = warm_up()
        if failure is not None:
            return failure
        tokens.passwords.setdefault(body.email, body.password)
        return {"ok": "yes"}

    @app.post("/login", response_model=None)
    async def login(body: SignIn) -> dict[str, str] | JSONResponse:
        failure = warm_up()
        if failure is not None:
            return failure
        if not tokens.check_password(body.email, body.password):
            raise HTTPException(401, "bad credentials")
        return {"access_token": tokens.issue(body.email), "token_type": "bearer"}

    @app.get("/me")
    async def me(token: Annotated[str, Depends(scheme)]) -> dict[str, str]:
        return {"email": tokens.subject(token)}

    return app


class Book(BaseModel):
    title: str = Field(min_length=1, max_length=80)
    pages: int = Field(ge=1, le=5000)


class Order(BaseModel):
    book_id: int = Field(ge=1)
    quantity: int = Field(ge=1, le=10)


def create_bookshop_app(*, logout_noop: bool = False, listing: bool = True) -> FastAPI:
    """Protected routes and nothing like ``me``: ``/books`` and ``/orders/{id}``; login
    answers ``{"data": {"token": …}}``. With ``logout_noop`` logout revokes nothing;
    without ``listing`` there is no ``GET /books``, only orders by id."""
    app = FastAPI()
    tokens = _Tokens()
    scheme = OAuth2PasswordBearer(tokenUrl="/api/login")
    books: list[dict[str, object]] = []
    orders: dict[int, dict[str, object]] = {}

    def reader(token: Annotated[str, Depends(scheme)]) -> str:
        return tokens.subject(token)

    @app.post("/api/signup", status_code=201)
    async def signup(body: SignIn) -> dict[str, str]:
        tokens.passwords.setdefault(body.email, body.password)
        return {"ok": "yes"}

    @app.post("/api/login")
    async def login(body: SignIn) -> dict[str, dict[str, str]]:
        if not tokens.check_password(body.email, body.password):
            raise HTTPException(401, "bad credentials")
        return {"data": {"token": tokens.issue(body.email)}}

    @app.post("/api/logout", status_code=204)
    async def logout(request: Request, token: Annotated[str, Depends(scheme)]) -> None:
        tokens.subject(token)
        if not logout_noop:
            tokens.revoked.add(jwt.decode(token, options={"verify_signature": False})["jti"])

    if listing:
        @app.get("/books")
        async def list_books(user: Annotated[str, Depends(reader)]
                             ) -> list[dict[str, object]]:
            return books

    @app.post("/books", status_code=201)
    async def add_book(body: Book, user: Annotated[str, Depends(reader)]
                       ) -> dict[str, object]:
        book = {"id": len(books) + 1, **body.model_dump()}
        books.append(book)
        return book

    @app.post("/orders", status_code=201)
    async def order(body: Order, user: Annotated[str, Depends(reader)]) -> dict[str, object]:
        number = len(orders) + 1
        orders[number] = {"id": number, "owner": user, **body.model_dump()}
        return orders[number]

    @app.get("/orders/{order_id}")
    async def get_order(order_id: int, user: Annotated[str, Depends(reader)]
                        ) -> dict[str, object]:
        found = orders.get(order_id)
        if found is None or found["owner"] != user:
            raise HTTPException(404)
        return found

    return app

