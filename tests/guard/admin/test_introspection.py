"""POST /auth/introspect (RFC 7662): only for the configured resource server, and a
revoked, expired-session, disabled or refresh token is inactive."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from dynaguard.guard.admin import disable_user
from dynaguard.settings import Settings
from tests.conftest import Harness, MakeUser, bearer
from tests.guard.admin.conftest import running

CLIENT = ("notes-api", "a-long-random-resource-server-secret-0123")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"introspection_client_id": CLIENT[0],
                                       "introspection_client_secret": SecretStr(CLIENT[1])})


async def _introspect(harness: Harness, token: object, auth: tuple[str, str] = CLIENT) -> dict[
        str, object]:
    r = await harness.client.post("/auth/introspect", data={"token": str(token)}, auth=auth)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body: dict[str, object] = r.json()
    return body


async def test_active_token_reports_its_claims(harness: Harness, make_user: MakeUser) -> None:
    user = await make_user(scopes=["notes:read"])
    pair = await harness.login(user.email)
    body = await _introspect(harness, pair["access_token"])
    assert body["active"] is True
    assert body["sub"] == user.id
    assert body["scope"] == "notes:read"
    assert body["aud"] == harness.settings.audience
    assert body["token_type"] == "bearer"


async def test_revoked_token_is_inactive(harness: Harness, make_user: MakeUser) -> None:
    """After logout the signature is still good, but introspection says inactive."""
    user = await make_user()
    pair = await harness.login(user.email)
    assert (await _introspect(harness, pair["access_token"]))["active"] is True
    await harness.client.post("/auth/logout", headers=bearer(pair["access_token"]))
    assert await _introspect(harness, pair["access_token"]) == {"active": False}


async def test_disabled_refresh_and_garbage_tokens_are_inactive(
    harness: Harness, make_user: MakeUser
) -> None:
    user = await make_user()
    pair = await harness.login(user.email)
    assert await _introspect(harness, pair["refresh_token"]) == {"active": False}
    assert await _introspect(harness, "not.a.token") == {"active": False}
    assert await _introspect(harness, "x" * 5000) == {"active": False}
    await disable_user(harness.svc, user.id, actor="test")
    assert await _introspect(harness, pair["access_token"]) == {"active": False}


async def test_only_the_resource_server_may_introspect(
    harness: Harness, make_user: MakeUser
) -> None:
    """No credential, a wrong secret, a wrong id or a user's bearer token: 401 with a Basic
    challenge, and the token's state is not revealed."""
    user = await make_user()
    pair = await harness.login(user.email)
    c = harness.client
    attempts = [
        {}, {"auth": (CLIENT[0], CLIENT[1] + "x")}, {"auth": ("other", CLIENT[1])},
        {"headers": bearer(pair["access_token"])},
    ]
    for extra in attempts:
        r = await c.post("/auth/introspect", data={"token": pair["access_token"]},
                         **extra)  # type: ignore[arg-type]
        assert r.status_code == 401, extra
        assert r.headers["www-authenticate"].startswith("Basic")
        assert "active" not in r.text
    # Guessing secrets is throttled per address, like guessing passwords.
    statuses = [(await c.post("/auth/introspect", data={"token": "t"},
                              auth=("x", "y"))).status_code for _ in range(2)]
    assert statuses == [401, 429]


async def test_unconfigured_introspection_refuses_everyone(settings: Settings) -> None:
    plain = settings.model_copy(update={"introspection_client_secret": None})
    async with running(plain) as h:
        r = await h.client.post("/auth/introspect", data={"token": "t"}, auth=CLIENT)
        assert r.status_code == 401


def test_short_secrets_are_refused_at_start(settings: Settings) -> None:
    with pytest.raises(ValueError, match="at least 32"):
        Settings(dynamodb_endpoint=settings.dynamodb_endpoint,
                 introspection_client_secret="short",  # type: ignore[arg-type]
                 _env_file=None)  # type: ignore[call-arg]
