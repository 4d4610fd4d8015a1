"""``dynaguard audit``: the white-box audit's command line (reports and gates as ``scan``)."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, cast

import typer
from rich.console import Console
from rich.progress import Progress, TaskID, TextColumn, TimeElapsedColumn

from dynaguard.scan.cli import OutputFormat, gate_failures
from dynaguard.scan.findings import Severity

__all__ = ["audit"]

err = Console(stderr=True, soft_wrap=True)
DB_START_ENDPOINT = "http://127.0.0.1:8001"  # the engine of `dynaguard db start`


class LayoutChoice(StrEnum):
    AUTO = "auto"
    DYNAGUARD = "dynaguard"
    GENERIC = "generic"


class ItemsView:
    """Progress on stderr: items scanned, of the table's (approximate) item count."""

    def __init__(self, enabled: bool) -> None:
        self.progress = Progress(TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=err, transient=True, disable=not enabled)
        self.task: TaskID | None = None

    def __call__(self, items: int, total: int | None) -> None:
        text = f"scanned {items} items" + (f" of about {total}" if total else "")
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task(text)
        self.progress.update(self.task, description=text)

    def stop(self) -> None:
        self.progress.stop()


def audit(  # noqa: PLR0917 -- one parameter per command-line option, as Typer wants
    table: Annotated[str | None, typer.Option(
        help="Table to audit (default: $DYNAGUARD_TABLE).")] = None,
    endpoint: Annotated[str | None, typer.Option(
        help="DynamoDB endpoint URL, or `aws` (default: $DYNAGUARD_DYNAMODB_ENDPOINT; empty "
             "means the `dynaguard db start` engine on 127.0.0.1:8001).")] = None,
    region: Annotated[str | None, typer.Option(
        help="AWS region (default: $DYNAGUARD_REGION).")] = None,
    layout: Annotated[LayoutChoice, typer.Option(
        help="dynaguard: hold items to dynaguard's models; generic: name heuristics; auto: "
             "dynaguard when the table holds dynaguard's key ring or profiles.")
    ] = LayoutChoice.AUTO,
    page_size: Annotated[int, typer.Option(
        min=1, max=1000, help="Items per Scan call.")] = 100,
    max_items: Annotated[int, typer.Option(
        min=1, max=1_000_000, help="Most items the audit reads.")] = 20_000,
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TEXT,
    output: Annotated[str | None, typer.Option(help="Write the report to this file.")] = None,
    fail_under: Annotated[int | None, typer.Option(
        min=0, max=100, help="Exit 1 when the score is below this.")] = None,
    fail_on: Annotated[Severity | None, typer.Option(
        help="Exit 1 on any finding at or above this severity.")] = None,
    allow_incomplete: Annotated[bool, typer.Option(
        help="Let --fail-under and --fail-on pass an audit graded incomplete (under 60% of "
             "its checks could run); without it such an audit fails them.")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress on stderr.")] = False,
    baseline: Annotated[str | None, typer.Option(
        help="A JSON report to compare with: exit 1 when the score drops or a finding is new.")
    ] = None,
    fail_on_regression: Annotated[bool, typer.Option(
        help="Exit 1 when the score drops or a finding is new since the previous audit of the "
             "same table in the history (or since --baseline).")] = False,
    history: Annotated[bool, typer.Option(
        "--history/--no-history", help="Record the audit in the history ($DYNAGUARD_HISTORY), "
        "under the table's ARN.")] = True,
) -> None:
    """Audit a DynamoDB user table (read-only): password storage, item schema, tokens in
    clear, expiry, TTL, point-in-time recovery, deletion protection."""
    import asyncio  # noqa: PLC0415 -- keeps `--help` fast
    from pathlib import Path  # noqa: PLC0415

    from dynaguard.audit.engine import AuditConfig, Layout, run_audit  # noqa: PLC0415
    from dynaguard.cli import load_settings  # noqa: PLC0415 -- cli registers this command
    from dynaguard.scan.errors import ScanError  # noqa: PLC0415
    from dynaguard.scan.regression import RegressionGate  # noqa: PLC0415
    from dynaguard.scan.report import text as text_report  # noqa: PLC0415
    from dynaguard.scan.report.formats import render_as  # noqa: PLC0415

    def stop(message: str, code: int) -> typer.Exit:
        err.print(f"[bold red]error:[/] {message}", highlight=False)
        return typer.Exit(code)

    if endpoint is not None and endpoint != "aws" and not endpoint.startswith(
            ("http://", "https://")):
        raise stop("--endpoint must be an http(s) URL or `aws`", 2)
    settings = load_settings()
    table = table or settings.table
    url = (endpoint or settings.dynamodb_endpoint) or DB_START_ENDPOINT
    config = AuditConfig(table=table, endpoint=None if url == "aws" else url,
                         region=region or settings.region, page_size=page_size,
                         max_items=max_items, layout=cast(Layout, str(layout)))
    view = ItemsView(enabled=not quiet and err.is_terminal)
    try:
        gate = RegressionGate.prepare(Path(baseline) if baseline else None,
                                      fail_on_regression, history)
        result = asyncio.run(run_audit(config, view))
    except ScanError as error:
        raise stop(str(error), error.exit_code) from None
    finally:
        view.stop()
    gate.record(result)
    if not quiet:
        err.print(f"audited table {table}: {result.requests} DynamoDB calls in "
                  f"{result.duration_s:.1f} s", highlight=False)
    rendered = render_as(result, str(output_format))
    if output is not None:
        Path(output).write_text(rendered, encoding="utf-8")
        err.print(f"report written to {output}: grade {result.grade}, score {result.score}")
    elif output_format is not OutputFormat.TEXT:
        sys.stdout.write(rendered)
    else:
        Console().print(text_report.renderable(result))
    if gate.scan_id is not None:
        err.print(f"recorded as scan {gate.scan_id} in {gate.history_file}", highlight=False)
    reasons = gate_failures(result, fail_under, fail_on, allow_incomplete=allow_incomplete) \
        + gate.failures(result)
    if reasons:
        raise stop("gate failed: " + "; ".join(reasons), 1)
