"""CWE-306: every route outside the public allow-list demands a valid token.

The list of operations comes from two places that must agree: the app's OpenAPI document
and the route objects themselves (walked through included routers, which FastAPI wraps
since 0.16x, so a naive walk of ``app.routes`` sees only the wrappers). A route hidden
from the schema is still found by the walk; FastAPI's documentation routes and the
guard's HTML pages for mailed links (public, in the allow-list) and the sign-in pages
(which read their own cookie, never a bearer token: tests/guard/ui checks them) are the
only ones allowed outside the schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dynaguard.guard.pages.routes import PAGE_PUBLIC_ROUTES
from dynaguard.guard.routes import PUBLIC_ROUTES
from dynaguard.guard.ui.router import UI_ROUTES
from tests.conftest import Harness, bearer
from tests.guard.conftest import SharedApp
from tests.guard.support import assert_generic_401, create_user

# FastAPI's own documentation routes: public by nature, and the only routes allowed to
# stay out of the OpenAPI document.
DOCS_ROUTES = frozenset({
    ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
})
HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}

Operation = tuple[str, str]


def _walk(routes: list[Any], prefix: str = "") -> Iterator[Operation]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # FastAPI's wrapper of an included router
            context = getattr(route, "include_context", None)
            yield from _walk(list(included.routes), prefix + getattr(context, "prefix", ""))
        elif hasattr(route, "routes"):  # a Mount, or a router included the older way
            yield from _walk(list(route.routes), prefix + getattr(route, "path", ""))
        else:
            methods = getattr(route, "methods", None)
            assert methods is not None, f"a route of unknown kind: {route!r}"
            for method in methods & HTTP_METHODS:
                yield method, prefix + route.path


def _schema_operations(app: FastAPI) -> set[Operation]:
    return {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method.upper() in HTTP_METHODS
    }


def _operations(app: FastAPI) -> set[Operation]:
    walked = set(_walk(list(app.routes)))
    in_schema = _schema_operations(app)
    outside = walked - in_schema
    assert outside <= DOCS_ROUTES | PAGE_PUBLIC_ROUTES | UI_ROUTES, \
        f"only the docs and the pages may stay out of the schema: {outside - UI_ROUTES}"
    assert {("GET", "/docs"), ("GET", "/openapi.json")} <= outside
    assert in_schema <= walked, "the walk must see every operation of the schema"
    return walked


async def _call(client: httpx.AsyncClient, method: str, path: str,
                headers: dict[str, str]) -> httpx.Response:
    url = re.sub(r"\{[^}]+\}", "dummy-0000", path)
    body = {} if method in {"POST", "PUT", "PATCH"} else None
    return await client.request(method, url, json=body, headers=headers)


def test_operations_found_match_the_schema_and_the_allow_list(shared_app: SharedApp) -> None:
    """The walk finds every protected route and every entry of the public allow-list."""
    operations = _operations(shared_app.app)
    assert operations >= PUBLIC_ROUTES, "the allow-list names a route that does not exist"
    protected = operations - PUBLIC_ROUTES - DOCS_ROUTES - UI_ROUTES
    assert {("GET", "/auth/me"), ("POST", "/auth/logout"), ("GET", "/notes"),
            ("DELETE", "/notes/{note_id}")} <= protected


@pytest.mark.parametrize("credential", ["none", "garbage", "logged out", "wrong scheme"])
async def test_every_route_outside_the_allow_list_demands_a_valid_token(
    shared_app: SharedApp, shared_harness: Harness, credential: str,
) -> None:
    """Without a valid token, every non-public route answers the generic 401 and nothing else."""
    headers: dict[str, str] = {}
    if credential == "garbage":
        headers = bearer("not.a.token")
    elif credential == "logged out":
        user = await create_user(shared_harness)
        pair = await shared_harness.login(user.email)
        headers = bearer(pair["access_token"])
        r = await shared_harness.client.post("/auth/logout", headers=headers)
        assert r.status_code == 204
    elif credential == "wrong scheme":
        headers = {"Authorization": "Basic dXNlcjpwYXNz"}
    unprotected = []
    bearer_routes = _operations(shared_app.app) - PUBLIC_ROUTES - DOCS_ROUTES - UI_ROUTES
    for method, path in sorted(bearer_routes):
        response = await _call(shared_harness.client, method, path, headers)
        if response.status_code != 401:
            unprotected.append((method, path, response.status_code))
        else:
            assert_generic_401(response)
    assert not unprotected


async def test_docs_are_served(shared_app: SharedApp, shared_harness: Harness) -> None:
    """The documentation routes left out of the check are served to anyone, as documentation."""
    for _, path in sorted(_operations(shared_app.app) & DOCS_ROUTES):
        r = await shared_harness.client.get(path)
        assert r.status_code == 200, path
