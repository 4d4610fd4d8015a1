"""``dynaguard scan URL``: the scanner's command line and its terminal progress view."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from dynaguard.scan.findings import ScanResult, Severity

__all__ = ["TerminalView", "gate_failures", "scan"]

err = Console(stderr=True)


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    HTML = "html"


class TerminalView:
    """Consumes scan events: a progress bar naming the running check (the first started of
    those running side by side, and how many more)."""

    def __init__(self, console: Console, enabled: bool = True) -> None:
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[requests]} req"),
                                 TimeElapsedColumn(), console=console, transient=True,
                                 disable=not enabled)
        self.task: TaskID | None = None
        self.console = console
        self.running: dict[str, str] = {}

    def _describe_running(self) -> str:
        if not self.running:
            return "checks"
        check, title = next(iter(self.running.items()))
        more = f" (+{len(self.running) - 1} more)" if len(self.running) > 1 else ""
        return f"{check}: {title}{more}"

    def __call__(self, event: object) -> None:
        from dynaguard.scan import events  # noqa: PLC0415 -- keeps `--help` fast

        if isinstance(event, events.MailSinkStarted):
            # Printed even without a progress bar: the target must be told where to send.
            self.console.print(f"SMTP sink listening on {event.url}: send the target's mail "
                               "there for this scan", highlight=False)
        elif isinstance(event, events.ScanStarted):
            self.progress.start()
            self.task = self.progress.add_task("discovery", total=len(event.checks), requests=0)
        elif self.task is None:
            return
        elif isinstance(event, events.CheckStarted):
            self.running[event.check] = event.title
            self.progress.update(self.task, description=self._describe_running())
        elif isinstance(event, events.CheckFinished):
            self.running.pop(event.result.check, None)
            self.progress.update(self.task, description=self._describe_running(),
                                 completed=event.completed, requests=event.requests)
        elif isinstance(event, events.ScanFinished):
            self.progress.stop()


def gate_failures(result: ScanResult, fail_under: int | None, fail_on: Severity | None, *,
                  allow_incomplete: bool = False) -> list[str]:
    """Why the CI gate fails this result (empty: it passes). A scan graded ``incomplete``
    fails any score or severity gate unless ``allow_incomplete``: it could not test enough
    of the target to vouch for it."""
    from dynaguard.scan.scoring import INCOMPLETE, MIN_COVERAGE  # noqa: PLC0415

    reasons = []
    gated = fail_under is not None or fail_on is not None
    if gated and result.grade == INCOMPLETE and not allow_incomplete:
        reasons.append(f"the scan is incomplete: {result.coverage.describe()}, under "
                       f"{MIN_COVERAGE:.0%} (--allow-incomplete accepts it)")
    if fail_under is not None and result.score < fail_under:
        reasons.append(f"score {result.score} is under {fail_under}")
    if fail_on is not None:
        hits = [f for f in result.findings if f.severity.rank >= fail_on.rank]
        if hits:
            reasons.append(f"{len(hits)} findings at or above {fail_on}")
    return reasons


def scan(  # noqa: PLR0917 -- one parameter per command-line option, as Typer wants
    url: Annotated[str, typer.Argument(help="Base URL of the API to scan.")],
    profile: Annotated[Path | None, typer.Option(
        help="TOML profile for what discovery cannot find (docs/scanner.md).")] = None,
    user: Annotated[str | None, typer.Option(help="Test account identifier.")] = None,
    password: Annotated[str | None, typer.Option(
        envvar="DYNAGUARD_SCAN_PASSWORD", help="Its password (or $DYNAGUARD_SCAN_PASSWORD).")
    ] = None,
    user2: Annotated[str | None, typer.Option(help="Second account, for cross-user checks.")
                     ] = None,
    password2: Annotated[str | None, typer.Option(envvar="DYNAGUARD_SCAN_PASSWORD2")] = None,
    register: Annotated[bool | None, typer.Option(
        "--register/--no-register",
        help="Create scanner-owned accounts (default: only for loopback targets).")] = None,
    mailbox: Annotated[str | None, typer.Option(
        help="The target's file outbox directory, or smtp://127.0.0.1:PORT to start an SMTP "
             "sink for the scan (port 0: a free one, printed), to read verification and "
             "reset mails.")] = None,
    budget: Annotated[int, typer.Option(help="Most requests the scan may send.")] = 1500,
    concurrency: Annotated[int, typer.Option(help="Requests in flight at once.")] = 8,
    timeout: Annotated[float, typer.Option(help="Per-request timeout, seconds.")] = 10.0,
    check: Annotated[list[str] | None, typer.Option(
        help="Run only checks whose id starts with this (repeatable).")] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TEXT,
    output: Annotated[Path | None, typer.Option(help="Write the report to this file.")] = None,
    fail_under: Annotated[int | None, typer.Option(
        min=0, max=100, help="Exit 1 when the score is below this.")] = None,
    fail_on: Annotated[Severity | None, typer.Option(
        help="Exit 1 on any finding at or above this severity.")] = None,
    allow_incomplete: Annotated[bool, typer.Option(
        help="Let --fail-under and --fail-on pass a scan graded incomplete (under 60% of "
             "the applicable checks ran); without it such a scan fails them.")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    baseline: Annotated[Path | None, typer.Option(
        help="A JSON report to compare with: exit 1 when the score drops or a finding is new.")
    ] = None,
    fail_on_regression: Annotated[bool, typer.Option(
        help="Exit 1 when the score drops or a finding is new since the previous scan of the "
             "same target in the history (or since --baseline).")] = False,
    history: Annotated[bool, typer.Option(
        "--history/--no-history", help="Record the scan in the history ($DYNAGUARD_HISTORY).")
    ] = True,
) -> None:
    """Scan an HTTP API for broken authentication; score, grade and findings."""
    import asyncio  # noqa: PLC0415 -- keeps `--help` fast

    from dynaguard.extras import require  # noqa: PLC0415

    require("scan", "dynaguard scan")

    from dynaguard.scan.accounts import Account  # noqa: PLC0415
    from dynaguard.scan.config import ScanConfig  # noqa: PLC0415
    from dynaguard.scan.engine import run_scan  # noqa: PLC0415
    from dynaguard.scan.errors import ScanError, UsageError  # noqa: PLC0415
    from dynaguard.scan.profile import load_profile  # noqa: PLC0415
    from dynaguard.scan.regression import RegressionGate  # noqa: PLC0415
    from dynaguard.scan.report import text as text_report  # noqa: PLC0415
    from dynaguard.scan.report.formats import render_as  # noqa: PLC0415

    def stop(message: str, code: int) -> typer.Exit:
        err.print(f"[bold red]error:[/] {message}", highlight=False)
        return typer.Exit(code)

    try:
        accounts = []
        for ident, secret in ((user, password), (user2, password2)):
            if (ident is None) != (secret is None):
                raise UsageError("give each --user with its --password (and --user2 with "
                                 "--password2)")
            if ident is not None and secret is not None:
                accounts.append(Account(ident, secret, owned=False))
        config = ScanConfig(
            target=url, profile=load_profile(profile) if profile else None,
            accounts=tuple(accounts), register=register,
            mailbox=mailbox if mailbox is None or "://" in mailbox else Path(mailbox),
            budget=budget,
            concurrency=concurrency, timeout_s=timeout, checks=tuple(check or ()))
        gate = RegressionGate.prepare(baseline, fail_on_regression, history)
        view = TerminalView(err, enabled=not quiet and err.is_terminal)
        result = asyncio.run(run_scan(config, gate.consumer(view)))
    except ScanError as error:
        raise stop(str(error), error.exit_code) from None
    rendered = render_as(result, str(output_format))
    if output is not None:
        output.write_text(rendered, encoding="utf-8")
        err.print(f"report written to {output}: grade {result.grade}, score {result.score}, "
                  f"{result.coverage.describe()}", highlight=False)
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
