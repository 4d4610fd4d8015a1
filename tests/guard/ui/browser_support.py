"""What the browser tests share: the service on a real loopback server reached as
``localhost`` (a WebAuthn relying party cannot be an IP address), Debian's chromium, the
mailbox, an authenticator app, and a look at each page (axe-core, screenshot, console)."""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pyotp
import uvicorn
from playwright.sync_api import ConsoleMessage, Page

from dynaguard.guard.app import create_app
from dynaguard.settings import Settings
from dynaguard.store.engine import free_port
from tests.conftest import mail_text

ROOT = Path(__file__).resolve().parents[3]
AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
DOCS_SHOTS = ROOT / "docs" / "img" / "ui"
SERIOUS = {"serious", "critical"}


class UiServer:
    """The service (UI on) on a loopback port, lifespan included, until ``stop``."""

    def __init__(self, dynamodb_endpoint: str, root: Path, **changes: Any) -> None:
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.settings = Settings(
            dynamodb_endpoint=dynamodb_endpoint, table=f"t-{uuid.uuid4().hex[:12]}",
            argon2_profile="insecure-test-only", mail_url=f"file://{root / 'outbox'}",
            data_dir=root / "data", hash_concurrency=2, public_url=self.url,
            _env_file=None,  # type: ignore[call-arg]
            **changes,
        )
        config = uvicorn.Config(create_app(self.settings), host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="on", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> UiServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the UI server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def mailed_link(self, to: str, path: str, wait_s: float = 10.0) -> str:
        """The newest link to ``path`` in a mail to ``to``."""
        outbox = self.settings.outbox_dir
        assert outbox is not None
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            links = []
            for mail_file in sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime):
                mail = message_from_bytes(mail_file.read_bytes())
                if mail["To"] == to:
                    links += re.findall(rf"{re.escape(self.url + path)}\?token=[A-Za-z0-9_-]+",
                                        mail_text(mail))
            if links:
                return links[-1]
            time.sleep(0.1)
        raise AssertionError(f"no mail to {to} with a link to {path}")


class AuthenticatorApp:
    """A TOTP app that never hands out the same time step twice, inside the drift window."""

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self.last_step = -1

    def next_code(self) -> str:
        while True:
            if 30 - time.time() % 30 < 1.5:
                time.sleep(1.6)  # never across a step boundary mid-request
            current = int(time.time() // 30)
            step = max(current - 1, self.last_step + 1)
            if step <= current + 1:
                self.last_step = step
                return self.totp.generate_otp(step)
            time.sleep(30 - time.time() % 30 + 0.1)


@dataclass
class Looker:
    """Checks each page a test reaches: no serious accessibility violation (axe-core), no
    console error (a CSP refusal shows there), and a screenshot."""

    shots: Path
    seen: list[str] = field(default_factory=list)
    trouble: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        def console(message: ConsoleMessage) -> None:
            # A page answered with a 4xx status (a refused sign-in is a 401) is reported as
            # a resource that failed to load; anything else is trouble.
            document = message.location.get("url") == page.url
            if message.type == "error" and not (
                    document and message.text.startswith("Failed to load resource")):
                self.trouble.append(f"{page.url}: {message.text}")

        page.on("console", console)
        page.on("pageerror", lambda error: self.trouble.append(f"{page.url}: {error}"))
        page.set_default_timeout(15_000)
        return page

    def look(self, page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        # Evaluated through the DevTools protocol, which the page's CSP does not govern; an
        # injected <script> tag would be refused by it, as it should be.
        page.evaluate(AXE.read_text(encoding="utf-8"))
        found = page.evaluate("""async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({id: v.id, impact: v.impact,
                nodes: v.nodes.map(n => n.target.join(" "))}));
        }""")
        serious = [v for v in found if v["impact"] in SERIOUS]
        assert not serious, f"{name}: {json.dumps(serious, indent=1)}"
        page.screenshot(path=self.shots / f"{name}.png", full_page=True)
        self.seen.append(name)


def shots_dir(tmp: Path) -> Path:
    """docs/img/ui when refreshing the docs' pictures, else a throwaway directory."""
    if os.environ.get("DYNAGUARD_UPDATE_DOCS_SCREENSHOT"):
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        return DOCS_SHOTS
    return tmp
