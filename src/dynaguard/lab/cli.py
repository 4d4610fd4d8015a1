"""``dynaguard lab``: serve the vulnerable app, or list its flaws."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from dynaguard.extras import require
from dynaguard.lab.loopback import NotLoopback, base_url, ensure_loopback
from dynaguard.lab.registry import FLAWS, UnknownFlaw, parse_flaws

if TYPE_CHECKING:
    from dynaguard.settings import Settings

__all__ = ["lab_command"]

console = Console(stderr=True)
out = Console()


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _flaw_table() -> Table:
    table = Table("flaw", "CWE", "what it does", title="dynaguard lab flaws")
    for flaw in FLAWS.values():
        table.add_row(flaw.name, flaw.cwe_label, flaw.summary)
    return table


def lab_command(
    port: Annotated[int, typer.Option(help="Loopback port to listen on.")] = 8100,
    host: Annotated[str, typer.Option(help="Loopback address only: 127.0.0.1, ::1, localhost."
                                      )] = "127.0.0.1",
    flaws: Annotated[str, typer.Option(help="all, none, or flaw names separated by commas."
                                       )] = "all",
    list_flaws: Annotated[bool, typer.Option("--list", help="List the flaws and exit.")] = False,
) -> None:
    """Run the deliberately vulnerable lab app (loopback only), or list its flaws."""
    if list_flaws:
        out.print(_flaw_table())
        return
    from pydantic import ValidationError  # noqa: PLC0415 -- keeps `--help` and `--list` fast

    from dynaguard.settings import Settings, describe_validation_error  # noqa: PLC0415

    try:
        ensure_loopback(host)
        chosen = parse_flaws(flaws)
        settings = Settings()
    except (NotLoopback, UnknownFlaw) as error:
        raise _fail(str(error)) from None
    except ValidationError as error:
        raise _fail(describe_validation_error(error)) from None
    if settings.embedded:  # checked here: inside the server it would be a startup traceback
        require("embedded", "dynaguard lab without DYNAGUARD_DYNAMODB_ENDPOINT")
    _serve(settings, chosen, host.strip("[]"), port)


def _serve(settings: Settings, chosen: frozenset[str], host: str, port: int) -> None:
    import uvicorn  # noqa: PLC0415 -- keep `--help` and `--list` fast

    from dynaguard.lab.app import create_lab_app  # noqa: PLC0415
    from dynaguard.lab.seed import ADMIN_EMAIL, IMPORTED_EMAIL  # noqa: PLC0415

    base = base_url(host, port)
    if "public_url" not in settings.model_fields_set:
        settings = settings.model_copy(update={"public_url": base})
    console.print("[bold red]dynaguard lab: DELIBERATELY VULNERABLE, for learning and for "
                  "testing scanners[/]")
    console.print(f"flaws on ({len(chosen)}): {', '.join(sorted(chosen)) or 'none'}",
                  highlight=False)
    where = "an embedded in-memory engine" if settings.embedded else settings.dynamodb_endpoint
    console.print(f"DynamoDB: {where}, table {settings.table}", highlight=False)
    if settings.outbox_dir is not None:
        console.print(f"mail: file outbox {settings.outbox_dir}", highlight=False)
    console.print(f"seeded accounts: {ADMIN_EMAIL}, {IMPORTED_EMAIL} (see docs/lab/README.md)",
                  highlight=False)
    console.print(f"[bold]listening on {base}[/] (API docs: {base}/docs)", highlight=False)
    uvicorn.run(create_lab_app(settings, chosen), host=host, port=port, log_level="warning")
