"""The HTTP layer: one target only, a hard request budget, no cookies kept, no redirects."""

from __future__ import annotations

import httpx
import pytest

from dynaguard.scan.errors import BudgetExhausted, OffTarget
from dynaguard.scan.http import ScanHTTP


def _echo(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/login":
        return httpx.Response(200, headers={"Set-Cookie": "sid=secret; Path=/"})
    if request.url.path == "/away":
        return httpx.Response(302, headers={"Location": "http://elsewhere.example/x"})
    return httpx.Response(200, json={"cookie": request.headers.get("cookie")})


def _http(budget: int = 100) -> ScanHTTP:
    return ScanHTTP("http://target.test:8080", budget=budget,
                    transport=httpx.MockTransport(_echo))


async def test_other_hosts_are_refused_before_sending() -> None:
    """Absolute URLs to another host, port or scheme never leave the scanner."""
    http = _http()
    for url in ("http://elsewhere.example/", "http://target.test:8081/", "https://target.test:8080/"):
        with pytest.raises(OffTarget):
            await http.request("GET", url)
    assert http.requests == 0
    assert (await http.request("GET", "http://target.test:8080/ok")).status_code == 200
    await http.aclose()


async def test_loopback_helpers_must_be_allowed_explicitly() -> None:
    """A helper origin the scanner starts becomes reachable only once allowed."""
    http = _http()
    with pytest.raises(OffTarget):
        await http.request("GET", "http://127.0.0.1:9999/jwks.json")
    with http.allowing("http://127.0.0.1:9999"):
        assert (await http.request("GET", "http://127.0.0.1:9999/jwks.json")).status_code == 200
    with pytest.raises(OffTarget):  # and only while it runs
        await http.request("GET", "http://127.0.0.1:9999/jwks.json")
    await http.aclose()


async def test_budget_is_a_hard_limit() -> None:
    http = _http(budget=3)
    for _ in range(3):
        await http.request("GET", "/")
    with pytest.raises(BudgetExhausted):
        await http.request("GET", "/")
    assert http.requests == 3
    await http.aclose()


async def test_no_cookie_is_kept_and_no_redirect_followed() -> None:
    """A session cookie set by one answer never rides along on a later request."""
    http = _http()
    await http.request("POST", "/login")
    assert (await http.request("GET", "/me")).json() == {"cookie": None}
    away = await http.request("GET", "/away")
    assert away.status_code == 302
    assert http.requests == 3
    await http.aclose()
