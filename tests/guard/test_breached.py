"""The optional breached-password check, against a range API served on loopback."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dynaguard.errors import InvalidRequest
from dynaguard.guard.breached import BreachedPasswordCheck
from dynaguard.guard.policy import check_password
from dynaguard.settings import Settings

BREACHED = "velvet-orchard-mosaic-31"


class _RangeHandler(BaseHTTPRequestHandler):
    requested: list[str] = []  # noqa: RUF012 -- shared by the test's server only

    def do_GET(self) -> None:
        prefix = self.path.rsplit("/", 1)[-1]
        self.requested.append(prefix)
        digest = hashlib.sha1(BREACHED.encode()).hexdigest().upper()  # noqa: S324
        lines = ["0123456789ABCDEF0123456789ABCDEF012:3"]
        if digest.startswith(prefix):
            lines.append(f"{digest[5:]}:42")
        body = "\r\n".join(lines).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture
def range_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_breached_password_is_refused_and_only_a_prefix_leaves(
    range_api: str, settings: Settings
) -> None:
    """A known-breached password is refused; the service sees five hex digits only."""
    strict = settings.model_copy(update={"breached_check_url": range_api})
    with pytest.raises(InvalidRequest) as refused:
        await check_password(BREACHED, email="a@example.com", settings=strict)
    assert "known data breach" in " ".join(refused.value.reasons)
    await check_password("quiet-harbor-lantern-97", email="a@example.com", settings=strict)
    assert all(len(p) == 5 for p in _RangeHandler.requested)


async def test_unreachable_service_skips_the_check() -> None:
    """With the service down the check says "unknown" instead of failing registration."""
    from dynaguard.store.engine import free_port  # noqa: PLC0415

    check = BreachedPasswordCheck(f"http://127.0.0.1:{free_port()}", timeout=0.5)
    assert await check.times_seen(BREACHED) is None
