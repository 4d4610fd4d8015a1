"""``dynaguard history`` and ``dynaguard report SCAN_ID``: the scan history on the command line."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from dynaguard.history import History

__all__ = ["HistoryOption", "open_history", "register_history_commands"]

err = Console(stderr=True)

HistoryOption = Annotated[Path | None, typer.Option(
    "--history", help="The history's SQLite file (default: the `history` setting, "
    "DYNAGUARD_HISTORY).")]


def open_history(path: Path | None) -> History:
    """The history at ``path`` or the configured one; bad settings exit 2 in one line."""
    from dynaguard.history import History, history_path  # noqa: PLC0415 -- keeps `--help` fast
    from dynaguard.scan.errors import UsageError  # noqa: PLC0415

    if path is None:
        try:
            path = history_path()
        except UsageError as error:
            err.print(f"[bold red]error:[/] {error}", highlight=False)
            raise typer.Exit(error.exit_code) from None
    return History(path)


class ReportFormat(StrEnum):
    JSON = "json"
    SARIF = "sarif"
    HTML = "html"
    TEXT = "text"


def history(
    target: Annotated[str | None, typer.Option(help="Only scans of this target.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many scans, newest first.")] = 50,
    history_file: HistoryOption = None,
) -> None:
    """List recorded scans, newest first."""
    store = open_history(history_file)
    rows = store.scans(target, limit)
    if not rows:
        err.print(f"no scans recorded in {store.path}", highlight=False)
        return
    table = Table("id", "started", "target", "score", "grade", "checks ran", "findings",
                  "requests", "seconds", title=f"scan history ({store.path})",
                  title_justify="left")
    for row in rows:
        table.add_row(str(row.id), row.started_at, row.target, str(row.score), row.grade,
                      row.coverage, str(row.findings), str(row.requests),
                      f"{row.duration_s:.1f}")
    Console(width=200).print(table)


def report(
    scan_id: Annotated[int, typer.Argument(help="Scan id, as `dynaguard history` lists it.")],
    output_format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.JSON,
    output: Annotated[Path | None, typer.Option(help="Write the report to this file.")] = None,
    history_file: HistoryOption = None,
) -> None:
    """Render a recorded scan as JSON, SARIF, HTML or text."""
    from dynaguard.scan.report.formats import render_as  # noqa: PLC0415

    result = open_history(history_file).get(scan_id)
    if result is None:
        err.print(f"[bold red]error:[/] no scan {scan_id} in the history", highlight=False)
        raise typer.Exit(1)
    rendered = render_as(result, str(output_format))
    if output is None:
        sys.stdout.write(rendered)
    else:
        output.write_text(rendered, encoding="utf-8")
        err.print(f"report of scan {scan_id} written to {output}", highlight=False)


def mcp(history_file: HistoryOption = None) -> None:
    """Serve the scanner and its history to an MCP client over stdio."""
    from dynaguard.extras import require  # noqa: PLC0415

    require("mcp", "dynaguard mcp")
    require("scan", "dynaguard mcp")
    from dynaguard.mcp_server import build_server  # noqa: PLC0415 -- the SDK loads only here

    build_server(open_history(history_file)).run("stdio")


def register_history_commands(app: typer.Typer) -> None:
    app.command("history")(history)
    app.command("report")(report)
    app.command("mcp")(mcp)
