"""The terminal report: summary with coverage, findings with evidence, the skipped checks
grouped by missing prerequisite (with what would unlock them), and every check's status."""

from __future__ import annotations

import io
import json

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from dynaguard.scan.findings import CheckStatus, ScanResult, Severity
from dynaguard.scan.scoring import INCOMPLETE

__all__ = ["coverage_table", "render", "renderable"]

SEVERITY_STYLE = {Severity.CRITICAL: "bold white on red", Severity.HIGH: "bold red",
                  Severity.MEDIUM: "yellow", Severity.LOW: "cyan", Severity.INFO: "dim"}
STATUS_STYLE = {CheckStatus.PASSED: "green", CheckStatus.FAILED: "bold red",
                CheckStatus.SKIPPED: "dim", CheckStatus.ERROR: "magenta"}
GRADE_STYLE = {"A": "bold green", "B": "green", "C": "yellow", "D": "red", "F": "bold red",
               "incomplete": "bold magenta"}


def coverage_table(result: ScanResult) -> Table | None:
    """The checks that did not run, by missing prerequisite, each group with its unlock."""
    coverage = result.coverage
    table = Table("skipped for want of", "checks", "to run them", title="not tested",
                  title_justify="left")
    for needs, checks in coverage.skipped_by.items():
        table.add_row(needs.label, f"{len(checks)}: {', '.join(checks)}", needs.unlock)
    if coverage.errored:
        table.add_row("(ended in an error)",
                      f"{len(coverage.errored)}: {', '.join(coverage.errored)}",
                      "see the check's detail")
    if coverage.not_applicable:
        table.add_row(Text("not applicable (left out of the coverage)", style="dim"),
                      Text(f"{len(coverage.not_applicable)}: "
                           f"{', '.join(coverage.not_applicable)}", style="dim"), "")
    return table if table.row_count else None


def renderable(result: ScanResult) -> RenderableType:
    parts: list[RenderableType] = []
    summary = Text.assemble(
        ("grade ", "bold"), (result.grade, GRADE_STYLE.get(result.grade, "bold")),
        f"   score {result.score}/100 over the checks that ran   "
        f"{len(result.findings)} findings   "
        f"{result.requests} requests in {result.duration_s:.1f} s\n",
        (result.coverage.describe(), "bold" if result.grade == INCOMPLETE else ""),
        *((("   under 60%: no letter grade", "magenta"),) if result.grade == INCOMPLETE
          else ()))
    # `dynaguard audit` reports a table (its ARN) in the same shape as a scanned API.
    command = "scan" if result.target.startswith(("http://", "https://")) else "audit"
    parts.append(Panel(summary, title=f"dynaguard {command} {result.target}", expand=False))
    for finding in sorted(result.findings, key=lambda f: -f.severity.rank):
        head = Text.assemble((f"{finding.severity.upper():8}", SEVERITY_STYLE[finding.severity]),
                             f" {finding.title}  ", (finding.endpoint, "bold"))
        meta = (f"CWE-{', CWE-'.join(map(str, finding.cwe))}  {' '.join(finding.owasp)}  "
                f"SOC 2 {' '.join(finding.soc2)}  confidence {finding.confidence}  "
                f"[{finding.check}]")
        evidence = json.dumps(dict(finding.evidence), default=str)
        parts.append(Group(head, Text("  " + meta, style="dim"),
                           Text("  evidence: " + evidence[:600]),
                           Text("  fix: " + finding.remediation, style="italic")))
    untested = coverage_table(result)
    if untested is not None:
        parts.append(untested)
    table = Table("check", "status", "detail", title="checks", title_justify="left")
    for check in result.checks:
        table.add_row(check.check, Text(str(check.status), STATUS_STYLE[check.status]),
                      check.detail)
    parts.append(table)
    return Group(*parts)


def render(result: ScanResult, width: int = 120) -> str:
    """The report as plain text (for ``--output FILE``)."""
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable(result))
    return console.export_text()
