"""The dashboard's web app: read-only pages over the scan history, rendered on the server.

Security: every string in the history may come from a hostile target, so templates
autoescape everything and no page runs a script; the Content-Security-Policy forbids
scripts, inline styles and any request to another origin, so an escaping slip still cannot
run code. Requests whose Host is not a loopback name are refused, so a web page that
rebinds its DNS name to 127.0.0.1 cannot read the history through the visitor's browser.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from dynaguard import __version__
from dynaguard.dashboard.views import (
    Grouping,
    chart,
    diff_view,
    evidence_text,
    group_findings,
)
from dynaguard.history import History

__all__ = ["CONTENT_SECURITY_POLICY", "create_dashboard", "is_loopback_host"]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}
CHART_SCANS = 60  # the newest scans of a target its chart shows

_env = Environment(loader=PackageLoader("dynaguard.dashboard", "templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True),
                   trim_blocks=True, lstrip_blocks=True)
_env.globals.update(version=__version__, evidence=evidence_text)


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(header: str) -> str:
    if header.startswith("["):  # [::1]:8200
        return header[: header.find("]") + 1]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def create_dashboard(history: History) -> FastAPI:
    """The dashboard over ``history``; it only ever reads it."""
    app = FastAPI(title="dynaguard dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    static = Path(__file__).with_name("static")
    app.mount("/static", StaticFiles(directory=static), name="static")

    @app.middleware("http")
    async def guard_headers(request: Request,
                            call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not is_loopback_host(_host_name(request.headers.get("host", ""))):
            response: Response = PlainTextResponse("unexpected Host header", status_code=421)
        else:
            response = await call_next(request)
        response.headers.update(_HEADERS)
        return response

    def page(name: str, status: int = 200, **context: object) -> HTMLResponse:
        return HTMLResponse(_env.get_template(name).render(**context), status_code=status)

    def not_found(what: str) -> HTMLResponse:
        return page("missing.html.j2", 404, title="Not found", what=what)

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        targets = [(row, count, chart(list(reversed(history.scans(row.target, CHART_SCANS))),
                                      width=420, height=150))
                   for row, count in history.targets()]
        return page("index.html.j2", title="Targets", targets=targets,
                    recent=history.scans(limit=15), path=history.path)

    @app.get("/target", response_class=HTMLResponse)
    def target(url: Annotated[str, Query(max_length=2048)]) -> HTMLResponse:
        scans = history.scans(url, CHART_SCANS)
        if not scans:
            return not_found("no scans of this target")
        return page("target.html.j2", title=url, target=url, scans=scans,
                    chart=chart(list(reversed(scans))))

    @app.get("/scans/{scan_id}", response_class=HTMLResponse)
    def scan(scan_id: int, group: Grouping = Grouping.CWE) -> HTMLResponse:
        row, result = history.row(scan_id), history.get(scan_id)
        if row is None or result is None:
            return not_found(f"no scan {scan_id}")
        previous = history.previous(row.target, before_id=row.id)
        return page("scan.html.j2", title=f"Scan {row.id}", row=row, result=result,
                    coverage=result.coverage,
                    grouping=group, groupings=list(Grouping),
                    groups=group_findings(result.findings, group),
                    previous=previous[0] if previous else None)

    @app.get("/diff", response_class=HTMLResponse)
    def diff(before: int, after: int) -> HTMLResponse:
        rows = history.row(before), history.row(after)
        results = history.get(before), history.get(after)
        if rows[0] is None or results[0] is None:
            return not_found(f"no scan {before}")
        if rows[1] is None or results[1] is None:
            return not_found(f"no scan {after}")
        view = diff_view(rows[0], results[0], rows[1], results[1])
        return page("diff.html.j2", title=f"Scan {before} → {after}", view=view)

    return app
