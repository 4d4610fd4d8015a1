"""One request to the pages: the browser's checked state, its caller if signed in, and the
ways to answer (a page, a redirect), each carrying the cookie when it changed."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dynaguard.guard.flows.login import Client
from dynaguard.guard.principal import Principal
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import client_address
from dynaguard.guard.ui.cookie import BrowserState, CookieKeys, read_state, set_state
from dynaguard.guard.ui.forms import Form, read_form
from dynaguard.guard.ui.principal import browser_principal
from dynaguard.guard.ui.render import render
from dynaguard.guard.ui.returns import allowed_origins, safe_return_to
from dynaguard.settings import Settings

__all__ = ["UI", "Visit", "visitor"]

UI = "/ui"


@dataclass
class Visit:
    request: Request
    svc: Services
    keys: CookieKeys
    state: BrowserState
    principal: Principal | None
    notices: list[str] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return self.svc.settings

    @property
    def base(self) -> str:
        """Where the pages are, under whatever the app is mounted at."""
        return str(self.request.scope.get("root_path", "")).rstrip("/") + UI

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def client(self) -> Client:
        address = client_address(self.request, self.settings.trusted_proxies)
        return Client(address=address, user_agent=self.request.headers.get("user-agent", ""))

    def address(self) -> str:
        return self.client().address

    def return_to(self, value: str | None) -> str | None:
        return safe_return_to(value, self.settings.ui_return_to)

    def page(self, template: str, *, status: int = 200, title: str,
             headers: dict[str, str] | None = None, **context: object) -> HTMLResponse:
        user = self.principal.user if self.principal is not None else None
        response = render(
            template, status=status, headers=headers, title=title,
            form_targets=allowed_origins(self.settings.ui_return_to),
            service=self.settings.service_name, base=self.base, user=user,
            csrf=self.keys.csrf_token(self.state.value), **context)
        self._keep(response, self.state)
        return response

    def redirect(self, url: str, state: BrowserState | None = None) -> Response:
        response = RedirectResponse(url, status_code=303,
                                    headers={"Cache-Control": "no-store"})
        self._keep(response, state or self.state)
        return response

    def _keep(self, response: Response, state: BrowserState) -> None:
        if state.fresh:
            set_state(self.request, response, state, self.settings.ui_session_ttl)

    async def form(self, fields: Collection[str], optional: Collection[str] = ()) -> Form:
        return await read_form(self.request, self.state, self.keys, self.settings.public_url,
                               fields=fields, optional=optional)


def visitor(services: Callable[[], Services]) -> Callable[..., Any]:
    """The dependency building a :class:`Visit` for each request."""

    async def visit(request: Request) -> Visit:
        svc = services()
        keys = CookieKeys(svc.kek)
        state = read_state(request, keys, svc.settings.ui_session_ttl)
        principal = await browser_principal(svc, state)
        if state.kind == "signed_in" and principal is None:
            state = BrowserState.anonymous()  # its session ended: a visitor again
        return Visit(request, svc, keys, state, principal)

    return visit
