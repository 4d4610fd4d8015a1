"""A small purpose-built target whose authentication flaws switch on one by one.

Not the lab (that is its own package): just enough API to prove each scanner check
fires on its flaw and stays quiet without it. State lives in dicts; it is a test target.
"""

# No `from __future__ import annotations`: FastAPI must see the route-local aliases.

import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

FLAWS = frozenset({
    "login_enum_message", "login_timing", "register_enum", "forgot_enum", "forgot_timing",
    "missing_auth", "weak_passwords", "long_tokens", "logout_noop", "change_keeps_sessions",
    "no_throttle",
})
WORK_S = 0.004  # stands in for a password hash or a mail send
COMMON = {"12345678", "password", "qwerty", "123456789012"}
THROTTLE_AFTER = 5


class Credentials(BaseModel):
    email: str
    password: str


class Forgot(BaseModel):
    email: str


class Refresh(BaseModel):
    refresh_token: str


class Change(BaseModel):
    current_password: str
    new_password: str


@dataclass
class State:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def create_vuln_app(flaws: set[str] | frozenset[str] = frozenset()) -> FastAPI:  # noqa: PLR0915 -- one closure per route keeps the target in one place
    unknown = set(flaws) - FLAWS
    if unknown:
        raise ValueError(f"unknown flaws {unknown}")
    on = set(flaws).__contains__
    secret = secrets.token_hex(32)
    state = State()
    app = FastAPI(title="vuln")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's default answer echoes every submitted value, passwords included.
        return JSONResponse({"detail": [{"loc": e["loc"], "msg": e["msg"]}
                                        for e in error.errors()]}, status_code=422)
    bearer = HTTPBearer(auto_error=False)

    def issue(email: str, family: str | None = None) -> dict[str, Any]:
        sid = uuid.uuid4().hex
        user = state.users[email]
        ttl = 30 * 86_400 if on("long_tokens") else 300
        now = int(time.time())
        token = jwt.encode({"sub": email, "sid": sid, "v": user["version"], "iat": now,
                            "exp": now + ttl}, secret, algorithm="HS256")
        refresh = secrets.token_urlsafe(32)
        state.sessions[sid] = {"email": email, "refresh": refresh, "live": True,
                               "family": family or sid}
        return {"access_token": token, "token_type": "bearer", "refresh_token": refresh}

    def current(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
                ) -> dict[str, Any]:
        if creds is None:
            raise HTTPException(401, "Not authenticated")
        try:
            claims = jwt.decode(creds.credentials, secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            raise HTTPException(401, "Not authenticated") from None
        session = state.sessions.get(claims["sid"])
        user = state.users.get(claims["sub"])
        if session is None or not session["live"] or user is None:
            raise HTTPException(401, "Not authenticated")
        if claims["v"] != user["version"] and not on("change_keeps_sessions"):
            raise HTTPException(401, "Not authenticated")
        return {"email": claims["sub"], "sid": claims["sid"]}

    def maybe_current(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
                      ) -> dict[str, Any] | None:
        if on("missing_auth"):
            return None
        return current(creds)

    User = Annotated[dict[str, Any], Depends(current)]  # noqa: N806 -- a type alias

    @app.post("/api/register", status_code=202)
    def register(body: Credentials) -> dict[str, str]:
        if not on("weak_passwords") and (len(body.password) < 12 or body.password in COMMON):
            raise HTTPException(400, "Password too weak")
        with state.lock:
            if body.email in state.users:
                if on("register_enum"):
                    raise HTTPException(409, "Email already registered")
                return {"status": "accepted"}
            state.users[body.email] = {"password": body.password, "version": 0}
        return {"status": "accepted"}

    @app.post("/api/login")
    def login(body: Credentials, response: Response) -> dict[str, Any]:
        with state.lock:
            fails = state.failures.get(body.email, 0)
        if fails >= THROTTLE_AFTER and not on("no_throttle"):
            raise HTTPException(429, "Too many attempts", headers={"Retry-After": "60"})
        user = state.users.get(body.email)
        if user is None and on("login_enum_message"):
            raise HTTPException(404, "No such user")
        if user is not None or not on("login_timing"):
            time.sleep(WORK_S)
        ok = user is not None and secrets.compare_digest(user["password"], body.password)
        if not ok:
            with state.lock:
                state.failures[body.email] = fails + 1
            raise HTTPException(401, "Invalid credentials")
        response.headers["Cache-Control"] = "no-store"
        return issue(body.email)

    @app.post("/api/refresh")
    def refresh(body: Refresh) -> dict[str, Any]:
        for session in list(state.sessions.values()):
            if secrets.compare_digest(session["refresh"], body.refresh_token):
                if not session["live"]:
                    # A used refresh token came back: end every session of its family.
                    for other in state.sessions.values():
                        if other["family"] == session["family"]:
                            other["live"] = False
                    break
                session["live"] = False
                return issue(session["email"], session["family"])
        raise HTTPException(401, "Not authenticated")

    @app.post("/api/logout", status_code=204)
    def logout(user: User) -> Response:
        if not on("logout_noop"):
            state.sessions[user["sid"]]["live"] = False
        return Response(status_code=204)

    @app.get("/api/me")
    def me(user: User) -> dict[str, str]:
        return {"email": user["email"]}

    @app.post("/api/password/forgot", status_code=202)
    def forgot(body: Forgot) -> dict[str, str]:
        exists = body.email in state.users
        if not exists and on("forgot_enum"):
            raise HTTPException(404, "No such user")
        if exists or not on("forgot_timing"):
            time.sleep(WORK_S)
        return {"status": "accepted"}

    @app.post("/api/password/change", status_code=204)
    def change(body: Change, user: User) -> Response:
        record = state.users[user["email"]]
        if not secrets.compare_digest(record["password"], body.current_password):
            raise HTTPException(400, "Wrong password")
        record["password"] = body.new_password
        record["version"] += 1
        return Response(status_code=204)

    @app.get("/api/reports")
    def reports(user: Annotated[dict[str, Any] | None, Depends(maybe_current)]
                ) -> list[dict[str, str]]:
        return [{"id": "r1", "title": "quarterly"}]

    @app.get("/api/admin/users")
    def admin_users(user: Annotated[dict[str, Any] | None, Depends(maybe_current)]
                    ) -> list[str]:
        if not on("missing_auth") and not (user or {}).get("admin"):
            raise HTTPException(403, "Administrators only")  # no account here is one
        return sorted(state.users)

    return app
