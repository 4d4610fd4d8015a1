"""The session list: device label, address, created and last used; own sessions only."""

from __future__ import annotations

import pytest

from dynaguard.guard.useragent import device_label
from tests.conftest import Harness, MakeUser, bearer

PHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
         "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")


@pytest.mark.parametrize(("agent", "label"), [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51", "Edge on Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0.0.0 Safari/537.36", "Chrome on macOS"),
    (PHONE, "Safari on iPhone"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0.0.0 Mobile Safari/537.36", "Chrome on Android"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
     "Firefox on Linux"),
    ("curl/8.5.0", "curl"),
    ("python-httpx/0.28.1", "httpx"),
    ("", "Unknown device"),
    ("\x00<script>", "Unknown device"),
])
def test_device_labels(agent: str, label: str) -> None:
    assert device_label(agent) == label


async def test_sessions_show_device_address_and_times(
    harness: Harness, make_user: MakeUser
) -> None:
    user = await make_user()
    c = harness.client
    body = {"email": user.email, "password": "quiet-harbor-lantern-97"}
    phone = (await c.post("/auth/login", json=body, headers={"User-Agent": PHONE})).json()
    laptop = await harness.login(user.email)
    await c.post("/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    listed = (await c.get("/auth/sessions", headers=bearer(laptop["access_token"]))).json()
    by_device = {s["device"]: s for s in listed}
    assert set(by_device) == {"Safari on iPhone", "httpx"}
    assert by_device["httpx"]["current"] is True
    for s in listed:
        assert s["address"] == "127.0.0.1"
        assert s["created_at"].endswith("Z")
        assert s["last_used_at"] >= s["created_at"]
    assert "refresh" not in str(listed)
