"""``dynaguard mcp``: the scanner and its history as MCP tools, over stdio.

Tools: ``scan_api`` (scan and record), ``list_scans``, ``get_scan``, ``explain_finding`` and
``compare_scans``. Passwords given to ``scan_api`` are used for the scan and never returned.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from dynaguard import __version__
from dynaguard.history import History, compare
from dynaguard.scan.findings import ScanResult
from dynaguard.scan.report.json import to_document
from dynaguard.scan.taxonomy import CWE_NAMES

__all__ = ["build_server", "main"]

MAX_BUDGET = 5000


def _coverage(result: ScanResult) -> dict[str, Any]:
    """The coverage document, and for each missing prerequisite what it was and what would
    unlock its checks (so a client can tell its user how to test more)."""
    coverage = result.coverage
    return {**coverage.to_dict(), "summary": coverage.describe(),
            "unlock": {str(needs): {"missing": needs.label, "unlock": needs.unlock}
                       for needs in coverage.skipped_by}}


def _summary(scan_id: int, result: ScanResult) -> dict[str, Any]:
    return {"scan_id": scan_id, "target": result.target, "score": result.score,
            "grade": result.grade, "requests": result.requests,
            "coverage": _coverage(result),
            "findings": [{"index": n, "check": f.check, "severity": str(f.severity),
                          "title": f.title, "endpoint": f.endpoint}
                         for n, f in enumerate(result.findings)],
            "checks": {str(status): sum(1 for c in result.checks if c.status == status)
                       for status in {c.status for c in result.checks}}}


def _load(history: History, scan_id: int) -> ScanResult:
    result = history.get(scan_id)
    if result is None:
        raise ToolError(f"no scan {scan_id} in the history; list_scans shows the ids")
    return result


def build_server(history: History | None = None) -> MCPServer:
    store = history or History()
    server = MCPServer("dynaguard", version=__version__, instructions=(
        "dynaguard scans HTTP APIs for broken authentication (OWASP API2:2023) and keeps a "
        "history of scans. Scan only APIs you are allowed to test."))

    @server.tool()
    async def scan_api(url: str, checks: list[str] | None = None, user: str | None = None,
                       password: str | None = None, budget: int = 1500) -> dict[str, Any]:
        """Scan the API at ``url`` for broken authentication; the scan is recorded in the
        history. ``checks`` keeps only checks whose id starts with one of these prefixes;
        ``user``/``password`` name a test account (else loopback targets get their own).
        The answer's ``coverage`` says how many applicable checks ran; a grade of
        ``incomplete`` (under 60% ran) means the scan cannot vouch for the target."""
        from dynaguard.scan.accounts import Account  # noqa: PLC0415 -- heavy, on demand
        from dynaguard.scan.config import ScanConfig  # noqa: PLC0415
        from dynaguard.scan.engine import run_scan  # noqa: PLC0415
        from dynaguard.scan.errors import ScanError  # noqa: PLC0415

        if (user is None) != (password is None):
            raise ToolError("give user and password together")
        if not 1 <= budget <= MAX_BUDGET:
            raise ToolError(f"budget must be between 1 and {MAX_BUDGET}")
        accounts = (Account(user, password, owned=False),) if user and password else ()
        try:
            config = ScanConfig(target=url, accounts=accounts, budget=budget,
                                checks=tuple(checks or ()))
            result = await run_scan(config)
        except ScanError as error:
            raise ToolError(str(error)) from None
        return _summary(store.record(result), result)

    @server.tool()
    def list_scans(target: str | None = None, limit: int = 20) -> dict[str, Any]:
        """Recorded scans, newest first (of one target, or of all)."""
        return {"scans": [row.to_dict() for row in store.scans(target, max(1, min(limit, 500)))]}

    @server.tool()
    def get_scan(scan_id: int) -> dict[str, Any]:
        """One recorded scan as its full dynaguard.scan/1 JSON document."""
        return to_document(_load(store, scan_id))

    @server.tool()
    def explain_finding(scan_id: int, index: int) -> dict[str, Any]:
        """One finding of a scan (``index`` as scan_api or get_scan lists them): what it is,
        the CWE entries behind it, the evidence observed and how to fix it."""
        found = _load(store, scan_id).findings
        if not 0 <= index < len(found):
            raise ToolError(f"scan {scan_id} has {len(found)} findings")
        finding = found[index]
        cwes = [{"id": f"CWE-{c}", "name": CWE_NAMES.get(c, "")} for c in finding.cwe]
        explanation = (
            f"{finding.title} on {finding.endpoint} ({finding.severity}, {finding.confidence} "
            f"confidence). Weakness: " + "; ".join(f"{c['id']} {c['name']}" for c in cwes)
            + f". OWASP API Top 10: {', '.join(finding.owasp) or '-'}; SOC 2: "
            f"{', '.join(finding.soc2) or '-'}. Fix: {finding.remediation}")
        return {"finding": finding.to_dict(), "cwe": cwes, "explanation": explanation}

    @server.tool()
    def compare_scans(before_id: int, after_id: int) -> dict[str, Any]:
        """What changed between two scans: new and fixed findings (and those whose check
        did not run again: untested, not fixed), the scores, each scan's coverage, and
        whether the later one regressed (score down or a new finding)."""
        before, after = _load(store, before_id), _load(store, after_id)
        diff = compare(before, after)
        return {"before": before_id, "after": after_id, **diff.to_dict(),
                "coverage_before": before.coverage.to_dict(),
                "coverage_after": after.coverage.to_dict(), "reasons": diff.reasons()}

    return server


def main() -> None:
    """Serve over stdio until the client closes the stream."""
    build_server().run("stdio")
