"""The hand-established evidence still holds: each target, started as the scan test starts
it, answers the key requests of its ``EXPECTED.md`` as written there, both the flaws it
must have and the defences it must keep. A new pin that changes a target's behaviour fails
here, before it can make a scan's verdict look right or wrong for the wrong reason."""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Callable
from pathlib import Path

import httpx
import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning

from tests.targets.corpus import load, running

STRONG = "quiet-harbor-lantern-97"
OTHER = "second-harbor-lantern-98"



def _claims(token: str) -> dict[str, object]:
    part = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def _alg_none(token: str) -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    return f"{header}.{token.split('.')[1]}."


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _no_throttling(c: httpx.Client, send: Callable[[], httpx.Response], refused: int) -> None:
    assert {send().status_code for _ in range(20)} == {refused}


def fastapi_users_jwt(c: httpx.Client) -> None:
    assert c.post("/auth/register", json={"email": "weak@example.com",
                                          "password": "12345678"}).status_code == 201
    assert c.post("/auth/register", json={"email": "carol@example.com",
                                          "password": STRONG}).status_code == 201
    taken = c.post("/auth/register", json={"email": "carol@example.com", "password": OTHER})
    assert taken.json() == {"detail": "REGISTER_USER_ALREADY_EXISTS"}

    def login(email: str, password: str) -> httpx.Response:
        return c.post("/auth/jwt/login", data={"username": email, "password": password})

    assert login("carol@example.com", OTHER).json() == login("nobody@example.com", OTHER).json()
    _no_throttling(c, lambda: login("carol@example.com", OTHER), 400)
    token = login("carol@example.com", STRONG).json()["access_token"]
    assert c.get("/users/me", headers=_bearer(_alg_none(token))).status_code == 401
    me = c.get("/users/me", headers=_bearer(token)).json()
    assert c.get(f"/users/{me['id']}", headers=_bearer(token)).status_code == 403
    assert c.post("/auth/jwt/logout", headers=_bearer(token)).status_code == 204
    assert c.get("/users/me", headers=_bearer(token)).status_code == 200


def drf_djoser(c: httpx.Client) -> None:
    assert c.post("/auth/users/", json={"username": "weak",
                                        "password": "12345678"}).status_code == 400
    assert c.post("/auth/users/", json={"username": "carol",
                                        "password": STRONG}).status_code == 201
    taken = c.post("/auth/users/", json={"username": "carol", "password": OTHER})
    assert taken.status_code == 400
    assert "already exists" in taken.text

    def login(username: str, password: str) -> httpx.Response:
        return c.post("/auth/jwt/create/", json={"username": username, "password": password})

    assert login("carol", OTHER).json() == login("nobody", OTHER).json()
    _no_throttling(c, lambda: login("carol", OTHER), 401)
    pair = login("carol", STRONG).json()
    assert c.get("/auth/users/me/", headers=_bearer(_alg_none(pair["access"]))).status_code == 401
    for _ in range(2):
        renewed = c.post("/auth/jwt/refresh/", json={"refresh": pair["refresh"]})
        assert renewed.status_code == 200
        assert "refresh" not in renewed.json()
    changed = c.post("/auth/users/set_password/", headers=_bearer(pair["access"]),
                     json={"current_password": STRONG, "new_password": OTHER})
    assert changed.status_code == 204
    assert c.get("/auth/users/me/", headers=_bearer(pair["access"])).status_code == 200
    assert c.post("/auth/jwt/refresh/", json={"refresh": pair["refresh"]}).status_code == 200


def flask_jwt_extended(c: httpx.Client) -> None:
    for name, password in (("weak", "12345678"), ("alice", OTHER), ("carol", STRONG)):
        assert c.post("/register", json={"username": name,
                                         "password": password}).status_code == 201
    taken = c.post("/register", json={"username": "carol", "password": OTHER})
    assert taken.status_code == 409

    def login(username: str, password: object) -> httpx.Response:
        return c.post("/login", json={"username": username, "password": password})

    assert login("carol", OTHER).json() == login("nobody", OTHER).json()
    _no_throttling(c, lambda: login("carol", OTHER), 401)
    assert login("carol", True).status_code == 500
    token = login("carol", STRONG).json()["access_token"]
    assert c.get("/protected", headers=_bearer(_alg_none(token))).status_code == 422
    with warnings.catch_warnings():  # the docs' short key is the flaw under test
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        forged = jwt.encode({**_claims(token), "sub": "alice"}, "super-secret",
                            algorithm="HS256")
    assert c.get("/protected", headers=_bearer(forged)).json() == {"logged_in_as": "alice"}


def fastapi_oauth2_email(c: httpx.Client) -> None:
    for email, password in (("weak@example.com", "12345678"), ("carol@example.com", STRONG)):
        assert c.post("/users/", json={"email": email, "password": password}).status_code == 201
    assert c.post("/users/", json={"email": "dgscan_1a2b", "password": STRONG}).status_code == 422
    taken = c.post("/users/", json={"email": "carol@example.com", "password": OTHER})
    assert taken.json() == {"detail": "Email already registered"}

    def login(email: str, password: str) -> httpx.Response:
        return c.post("/token", data={"username": email, "password": password})

    assert login("carol@example.com", OTHER).json() == login("nobody@example.com", OTHER).json()
    _no_throttling(c, lambda: login("carol@example.com", OTHER), 401)
    token = login("carol@example.com", STRONG).json()["access_token"]
    assert c.get("/users/me/", headers=_bearer(_alg_none(token))).status_code == 401
    assert c.get("/users/me/").status_code == 401
    assert c.get("/users/me/", headers=_bearer(token)).json()["email"] == "carol@example.com"


REPLAYS: dict[str, Callable[[httpx.Client], None]] = {
    f.__name__: f for f in (fastapi_users_jwt, drf_djoser, flask_jwt_extended,
                            fastapi_oauth2_email)}


@pytest.mark.parametrize("name", list(REPLAYS))
def test_target_answers_as_its_evidence_says(name: str, corpus_python: Path,
                                              tmp_path: Path) -> None:
    """The key requests of the target's EXPECTED.md get the answers written there."""
    with running(load(name), corpus_python, tmp_path / "data") as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        REPLAYS[name](client)
