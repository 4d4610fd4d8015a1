"""The API description is found beyond FastAPI's /openapi.json, and Swagger 2.0 is read."""

from __future__ import annotations

import time

import httpx
import pytest

from dynaguard.scan.config import ScanConfig
from dynaguard.scan.discovery import parse_spec, profile_from_operations
from dynaguard.scan.engine import run_scan
from dynaguard.scan.events import Event, SurfaceDiscovered
from dynaguard.scan.findings import CheckStatus
from dynaguard.scan.form_login import MAX_PAGES
from dynaguard.scan.spec_locations import MAX_SPEC_REQUESTS, read_spec, spec_links
from dynaguard.scan.swagger2 import to_openapi3
from tests.scan.conftest import Serve
from tests.scan.specapps import SWAGGER2, create_relocated_docs_app, create_swagger2_app


def test_swagger2_document_reads_like_openapi3() -> None:
    """basePath, body and formData parameters, consumes, definitions and an Authorization
    apiKey land where discovery reads them."""
    operations, send, _ = parse_spec(to_openapi3(SWAGGER2))
    profile = profile_from_operations(operations, send, [])
    login, register = profile.endpoints["login"], profile.endpoints["register"]
    assert (login.label, login.body, login.identifier, login.password) == (
        "POST /api/v1/auth/login", "form", "email", "password")
    assert (register.label, register.body, register.identifier) == (
        "POST /api/v1/users", "json", "email")
    assert profile.endpoints["me"].label == "GET /api/v1/users/me"
    assert profile.endpoints["logout"].label == "POST /api/v1/auth/logout"
    assert send.send_as == "bearer"
    by_label = {op.label: op for op in operations}
    assert by_label["POST /api/v1/users"].required == ("email", "password")
    assert by_label["GET /api/v1/users/me"].secured
    assert not by_label["POST /api/v1/auth/login"].secured


def test_swagger2_base_path_already_in_the_target_is_not_doubled() -> None:
    """A scan pointed at http://host/api/v1 keeps spec paths relative to that URL."""
    spec = to_openapi3(SWAGGER2, mounted_at="/api/v1")
    assert "/auth/login" in spec["paths"]


def test_swagger2_oauth2_token_url_is_the_login() -> None:
    """An OAuth2 password flow's full tokenUrl names the login operation by its path."""
    doc = {**SWAGGER2, "securityDefinitions": {"oauth": {
        "type": "oauth2", "flow": "password", "scopes": {},
        "tokenUrl": "https://shop.example/api/v1/oauth/token"}},
        "paths": {"/oauth/token": {"post": {"consumes": ["application/x-www-form-urlencoded"],
                  "parameters": [{"name": "username", "in": "formData", "type": "string"},
                                 {"name": "password", "in": "formData", "type": "string"}]}},
                  "/orders": {"get": {"security": [{"oauth": []}]}}}}
    operations, send, token_urls = parse_spec(to_openapi3(doc))
    assert token_urls == ["/api/v1/oauth/token"]
    login = profile_from_operations(operations, send, token_urls).endpoints["login"]
    assert (login.label, login.body, login.identifier) == ("POST /api/v1/oauth/token", "form",
                                                           "username")


def _response(text: str, media: str = "application/yaml") -> httpx.Response:
    return httpx.Response(200, text=text, headers={"content-type": media},
                          request=httpx.Request("GET", "http://127.0.0.1/spec"))


def test_yaml_is_read_safely_and_bounded() -> None:
    """A YAML spec is read; a python-object tag and an alias bomb are not."""
    assert read_spec(_response("openapi: 3.0.0\npaths:\n  /login: {}\n")) is not None
    tagged = "openapi: 3.0.0\npaths: !!python/object/apply:os.system ['true']\n"
    assert read_spec(_response(tagged)) is None
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb = "openapi: 3.0.0\n" + "\n".join(levels) + "\npaths: {p: *a8}\n"
    start = time.perf_counter()
    assert read_spec(_response(bomb)) is None
    assert time.perf_counter() - start < 5


def test_docs_page_links() -> None:
    """Swagger UI's url, ReDoc's spec-url and Redoc.init are read; scripts are not specs."""
    page = ("<script src='/static/swagger-ui-bundle.js'></script>"
            "<script>SwaggerUIBundle({url: \"./v1/spec.json\", dom_id: '#x'})</script>"
            "<redoc spec-url='/r/openapi.yaml'></redoc><script>Redoc.init('/i.json')</script>")
    assert list(spec_links(page, "http://127.0.0.1:9/api/docs")) == [
        "http://127.0.0.1:9/api/v1/spec.json", "http://127.0.0.1:9/r/openapi.yaml",
        "http://127.0.0.1:9/i.json"]


async def _scan(url: str, *checks: str) -> tuple[SurfaceDiscovered, dict[str, CheckStatus],
                                                  int]:
    seen: list[Event] = []
    result = await run_scan(ScanConfig(url, checks=checks), seen.append)
    surface = next(e for e in seen if isinstance(e, SurfaceDiscovered))
    return surface, {c.check: c.status for c in result.checks}, result.requests


async def test_swagger2_target_is_scanned(serve: Serve) -> None:
    """A Swagger 2.0 service: the scanner registers, logs in with the form and runs the
    session checks on it."""
    url = serve(create_swagger2_app())
    surface, statuses, _ = await _scan(url, "session.logout", "enumeration.login_response")
    assert surface.spec_url == url + "/swagger.json"
    assert surface.endpoints["login"] == "POST /api/v1/auth/login"
    assert statuses == {"session.logout_invalidation": CheckStatus.PASSED,
                        "enumeration.login_response": CheckStatus.PASSED}


@pytest.mark.parametrize(("spec_at", "page"), [
    ("/api/schema/", None),
    ("/internal/v1/api.yaml", "swagger-ui"),
    ("/static/spec/openapi-v1.json", "redoc"),
])
async def test_spec_found_away_from_the_default_path(serve: Serve, spec_at: str,
                                                     page: str | None) -> None:
    """A spec at drf-spectacular's /api/schema/ (YAML), or only linked from /docs, is
    found within the search's request bound, and the checks run on what it describes."""
    url = serve(create_relocated_docs_app(spec_at, page=page))
    surface, statuses, _ = await _scan(url, "enumeration.login_response")
    assert surface.spec_url == url + spec_at
    assert surface.endpoints["login"] == "POST /login"
    assert statuses == {"enumeration.login_response": CheckStatus.PASSED}


async def test_the_spec_is_fetched_once_per_scan(serve: Serve) -> None:
    """Checks that read the document beyond its operations use the one discovery found:
    a spec only a docs page links to is not searched for again."""
    hits: list[str] = []
    url = serve(create_relocated_docs_app("/internal/v1/api.yaml", page="swagger-ui",
                                          hits=hits))
    _, statuses, _ = await _scan(url, "access.bfla", "auth.single_factor_admin")
    assert set(statuses.values()) == {CheckStatus.SKIPPED}
    assert hits == ["/internal/v1/api.yaml"]


async def test_no_spec_costs_a_bounded_search(serve: Serve) -> None:
    """Without any spec, discovery gives up after at most MAX_SPEC_REQUESTS requests."""
    url = serve(create_relocated_docs_app("/nowhere-the-scanner-looks.json"))
    surface, statuses, requests = await _scan(url, "enumeration.login_response")
    assert surface.spec_url is None
    assert statuses == {"enumeration.login_response": CheckStatus.SKIPPED}
    assert requests <= MAX_SPEC_REQUESTS + 1 + MAX_PAGES  # reachability probe, form crawl
