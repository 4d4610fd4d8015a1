"""Serving the lab: a real uvicorn on loopback, and nothing but loopback."""

from __future__ import annotations

import httpx
import pytest
from typer.testing import CliRunner

from dynaguard.cli import app
from dynaguard.lab import NotLoopback, ensure_loopback, running_lab
from dynaguard.lab.seed import ADMIN_EMAIL, ADMIN_PASSWORD
from dynaguard.settings import Settings


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com", ""])  # noqa: S104
def test_non_loopback_addresses_are_refused(host: str) -> None:
    with pytest.raises(NotLoopback, match="loopback only"):
        ensure_loopback(host)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_addresses_are_accepted(host: str) -> None:
    ensure_loopback(host)


def test_cli_refuses_a_public_address_with_exit_code_2() -> None:
    result = CliRunner().invoke(app, ["lab", "--host", "0.0.0.0"])  # noqa: S104
    assert result.exit_code == 2
    assert "refusing to serve the vulnerable lab on '0.0.0.0'" in result.output
    assert "loopback only" in result.output


def test_running_lab_refuses_a_public_address(settings: Settings) -> None:
    with pytest.raises(NotLoopback), running_lab(settings, host="0.0.0.0"):  # noqa: S104
        pass


def test_running_lab_serves_over_real_http(settings: Settings) -> None:
    """The helper the scanner's tests use: uvicorn on a free loopback port, then stopped."""
    with running_lab(settings, flaws={"single_factor_admin"}) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=base_url, timeout=10) as client:
            assert client.get("/auth/me").status_code == 401
            r = client.post("/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
            assert r.status_code == 200
            users = client.get("/admin/users",
                               headers={"Authorization": f"Bearer {r.json()['access_token']}"})
            assert users.status_code == 200
    with pytest.raises(httpx.TransportError):
        httpx.get(base_url + "/auth/me", timeout=2)
