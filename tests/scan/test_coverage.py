"""What counts as applicable: a check leaves the coverage only on evidence (the target's
answers or its OpenAPI document), never because the scanner did not find something."""

from __future__ import annotations

import secrets
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from dynaguard.scan.accounts import Account, AccountPool
from dynaguard.scan.config import ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import CheckStatus, ScanResult
from dynaguard.scan.http import ScanHTTP
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.profile import Endpoint, Profile
from tests.scan.conftest import Serve

CHECKS = ("refresh.", "jwt.alg_none", "session.access_token_lifetime")


BEARER = HTTPBearer()
Bearer = Annotated[HTTPAuthorizationCredentials, Depends(BEARER)]


class Credentials(BaseModel):
    email: str
    password: str


def create_opaque_app(*, spec: bool = True, refresh_in_login: bool = False) -> FastAPI:
    """Registration, a login answering an opaque bearer token (and, when asked, a refresh
    token no operation accepts), and a `me`; no refresh endpoint."""
    app = FastAPI(openapi_url="/openapi.json" if spec else None)
    users: dict[str, str] = {}
    sessions: dict[str, str] = {}

    @app.post("/auth/register", status_code=201)
    def register(body: Credentials) -> dict[str, str]:
        users[body.email] = body.password
        return {"email": body.email}

    @app.post("/auth/login")
    def login(body: Credentials) -> dict[str, str]:
        if users.get(body.email) != body.password:
            raise HTTPException(401)
        token = secrets.token_urlsafe(24)
        sessions[token] = body.email
        answer = {"access_token": token, "token_type": "bearer"}
        if refresh_in_login:
            answer["refresh_token"] = secrets.token_urlsafe(24)
        return answer

    @app.get("/auth/me")
    def me(credentials: Bearer) -> dict[str, str]:
        if credentials.credentials not in sessions:
            raise HTTPException(401)
        return {"email": sessions[credentials.credentials]}

    return app


PROFILE = Profile(endpoints={
    "register": Endpoint(path="/auth/register", identifier="email", password="password"),
    "login": Endpoint(path="/auth/login", identifier="email", password="password"),
    "me": Endpoint(path="/auth/me", method="GET", body="none")})


def _needs(result: ScanResult) -> dict[str, Prerequisite | None]:
    return {c.check: c.prerequisite for c in result.checks}


async def test_an_opaque_token_and_no_refresh_at_all_are_not_applicable(serve: Serve) -> None:
    """The spec declares no refresh operation and the login answer holds no refresh token;
    the working credential is not a JWT: all three checks are out of the coverage."""
    result = await run_scan(ScanConfig(serve(create_opaque_app()), checks=CHECKS, seed=1))
    assert {c.status for c in result.checks} == {CheckStatus.SKIPPED}
    assert set(_needs(result).values()) == {Prerequisite.NOT_APPLICABLE}
    assert result.coverage.applicable == 0
    assert result.grade == "incomplete"  # nothing was tested: no letter either


async def test_without_a_spec_a_missing_refresh_endpoint_stays_applicable(
        serve: Serve) -> None:
    """The same app with no OpenAPI document: nothing shows there is no refresh endpoint."""
    url = serve(create_opaque_app(spec=False))
    result = await run_scan(ScanConfig(url, profile=PROFILE, checks=CHECKS, seed=1))
    needs = _needs(result)
    assert needs.pop("refresh.rotation_and_reuse") is Prerequisite.REFRESH_ENDPOINT
    assert set(needs.values()) == {Prerequisite.NOT_APPLICABLE}  # the token is still opaque
    assert (result.coverage.applicable, result.coverage.ran) == (1, 0)


async def test_a_refresh_token_without_its_endpoint_stays_applicable(serve: Serve) -> None:
    """The login hands out a refresh token, so one is used somewhere: the endpoint was not
    found, which is the scanner's gap and not the target's design."""
    url = serve(create_opaque_app(refresh_in_login=True))
    result = await run_scan(ScanConfig(url, checks=("refresh.",), seed=1))
    (check,) = result.checks
    assert check.prerequisite is Prerequisite.REFRESH_ENDPOINT, check.detail
    assert dict(result.coverage.skipped_by) == {
        Prerequisite.REFRESH_ENDPOINT: ("refresh.rotation_and_reuse",)}


async def test_a_lent_account_without_a_second_names_the_second_as_missing() -> None:
    """One --user and no --register: cross-user checks lack the second account (the flag
    that unlocks them is --user2), not "a test account"."""
    http = ScanHTTP("http://127.0.0.1:1", budget=10, concurrency=1, timeout=1.0)
    try:
        pool = AccountPool(http, PROFILE, [Account("qa@example.com", "pw", owned=False)],
                           register=False, mailbox=None)
        assert (await pool.get(0)).identifier == "qa@example.com"
        with pytest.raises(Skip) as skipped:
            await pool.get(1)
        assert skipped.value.needs is Prerequisite.SECOND_ACCOUNT
        assert "--user2" in skipped.value.needs.unlock
    finally:
        await http.aclose()
