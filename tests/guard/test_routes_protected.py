"""CWE-306: every route outside the short public list demands a valid token."""

from __future__ import annotations

import re

from dynaguard.guard.app import create_app
from dynaguard.guard.pages.routes import PAGE_PUBLIC_ROUTES
from dynaguard.guard.routes import PUBLIC_ROUTES
from tests.conftest import Harness


def _routes(harness: Harness) -> list[tuple[str, str]]:
    """Every operation of the service, from its OpenAPI document."""
    app = create_app(harness.settings)  # the same routes as the running app, not started
    paths = app.openapi()["paths"]
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)


async def test_every_non_public_route_demands_a_token(harness: Harness) -> None:
    """No token or a junk token: every protected route answers 401 before anything else."""
    routes = _routes(harness)
    # The link pages are HTML, not API: tests/guard/test_routes.py walks them.
    in_schema = PUBLIC_ROUTES - PAGE_PUBLIC_ROUTES
    assert set(routes) >= in_schema, "PUBLIC_ROUTES names a route that does not exist"
    protected = [r for r in routes if r not in PUBLIC_ROUTES]
    assert {("GET", "/auth/me"), ("POST", "/auth/logout"), ("POST", "/notes")} <= set(protected)
    for method, path in protected:
        url = re.sub(r"\{[^}]+\}", "some-id", path)
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            r = await harness.client.request(method, url, headers=headers, json={})
            assert r.status_code == 401, (method, path, headers, r.status_code)
            assert r.headers["www-authenticate"] == "Bearer"
