"""Every MFA route demands a bearer token unless it is one of the few that take a ticket
or a passkey assertion instead (CWE-306)."""

from __future__ import annotations

from dynaguard.guard.app import create_app
from dynaguard.guard.mfa.routes import MFA_PUBLIC_ROUTES
from dynaguard.guard.routes import PUBLIC_ROUTES
from dynaguard.settings import Settings
from tests.conftest import Harness


def _mfa_routes(settings: Settings) -> list[tuple[str, str]]:
    paths = create_app(settings).openapi()["paths"]
    return sorted(
        (method.upper(), path) for path, operations in paths.items() for method in operations
        if path.startswith(("/auth/mfa", "/auth/passkey"))
    )


async def test_mfa_routes_refuse_requests_without_a_token(harness: Harness) -> None:
    routes = _mfa_routes(harness.settings)
    assert len(routes) == 12
    assert MFA_PUBLIC_ROUTES <= PUBLIC_ROUTES
    protected = [r for r in routes if r not in MFA_PUBLIC_ROUTES]
    assert len(protected) == 8
    for method, path in protected:
        url = path.replace("{passkey_id}", "x")
        r = await harness.client.request(method, url, json={"password": "x", "code": "123456"})
        assert r.status_code == 401, (method, path)
        assert r.headers["www-authenticate"] == "Bearer"


async def test_public_mfa_routes_refuse_made_up_tickets_and_assertions(harness: Harness) -> None:
    c = harness.client
    r = await c.post("/auth/mfa/verify", json={"mfa_token": "made-up", "code": "123456"})
    assert r.status_code == 401
    r = await c.post("/auth/mfa/passkey/options", json={"mfa_token": "made-up"})
    assert r.status_code == 401
    both = await c.post("/auth/mfa/verify", json={"mfa_token": "t", "code": "123456",
                                                 "credential": None})
    assert both.status_code == 401
    neither = await c.post("/auth/mfa/verify", json={"mfa_token": "t"})
    assert neither.status_code == 422
