"""``dynaguard dashboard``: serve the dashboard on a loopback address."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from dynaguard.scan.history_cli import HistoryOption, open_history

__all__ = ["dashboard_command"]

err = Console(stderr=True, soft_wrap=True)


def dashboard_command(
    host: Annotated[str, typer.Option(help="Loopback address to listen on; others are refused.")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8200,
    history: HistoryOption = None,
) -> None:
    """Browse the scan history: scores over time, findings by CWE / OWASP / SOC 2, diffs."""
    from dynaguard.dashboard.app import create_dashboard, is_loopback_host  # noqa: PLC0415

    if not is_loopback_host(host):
        err.print(f"[bold red]error:[/] --host {host} is not a loopback address: the dashboard "
                  "shows every finding of every scanned API, so it listens on this machine only "
                  "(use an SSH tunnel to see it from elsewhere)", highlight=False)
        raise typer.Exit(2)
    store = open_history(history)
    import uvicorn  # noqa: PLC0415

    shown = f"[{host}]" if ":" in host else host
    err.print(f"[bold green]dynaguard dashboard on http://{shown}:{port}[/] "
              f"(history {store.path}); Ctrl-C stops it", highlight=False)
    uvicorn.run(create_dashboard(store), host=host, port=port, log_level="warning")
