"""Every ``dynaguard`` command, ``--help`` included, starts without the heavy stacks that
only some commands use: the web frameworks, the AWS client, moto, SciPy and the guard. The
library and the lab load none of the extras' stacks (the embedded engine, the scanner's
statistics, the MCP SDK): a core install can import them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("fastapi", "starlette", "uvicorn", "aiobotocore", "botocore", "moto", "scipy",
         "dynaguard.guard")
EXTRAS = ("moto", "waitress", "flask", "scipy", "numpy", "http_sf", "aiosmtpd", "mcp", "mangum")


def loaded_after(code: str, watched: tuple[str, ...] = HEAVY) -> list[str]:
    """The modules of ``watched`` in ``sys.modules`` after ``code`` runs in a fresh
    interpreter."""
    probe = (f"import json, sys\n{code}\n"
             f"print(json.dumps([m for m in {watched!r} if m in sys.modules]))")
    done = subprocess.run(  # noqa: S603 -- our own interpreter, fixed probe
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


def test_importing_the_command_line_loads_none_of_them() -> None:
    assert loaded_after("import dynaguard.cli") == []


@pytest.mark.parametrize("command", [["--help"], ["scan", "--help"], ["lab", "--list"]])
def test_help_and_the_flaw_list_load_none_of_them(command: list[str]) -> None:
    """Typer reads every command's signature to print help; that must stay cheap too."""
    # A usage error (exit 2) would load nothing too: the command must have succeeded.
    code = ("from dynaguard.cli import app\ntry:\n"
            f"    app({command!r})\nexcept SystemExit as done:\n"
            "    assert done.code in (0, None), done.code")
    assert loaded_after(code) == []


@pytest.mark.parametrize(("module", "expected"), [
    ("dynaguard.lab.app", {"fastapi", "starlette", "dynaguard.guard"}),
    ("dynaguard.audit.engine", {"aiobotocore", "botocore"}),
])
def test_the_probe_sees_what_a_command_loads_when_it_runs(module: str,
                                                          expected: set[str]) -> None:
    """The lab's app and the audit's engine do load these: the probe above can fail."""
    assert expected <= set(loaded_after(f"import {module}"))


@pytest.mark.parametrize("module", ["dynaguard.guard", "dynaguard.guard.app",
                                    "dynaguard.lab.app", "dynaguard.lab.server",
                                    "dynaguard.dashboard.app", "dynaguard.audit.engine"])
def test_the_library_and_the_lab_load_no_extra(module: str) -> None:
    """A core install (no moto, SciPy, MCP SDK or Lambda adapter) imports these."""
    assert loaded_after(f"import {module}", EXTRAS) == []


@pytest.mark.parametrize(("module", "expected"), [
    ("dynaguard.store.engine", {"moto", "waitress", "flask"}),
    ("dynaguard.scan.engine", {"http_sf"}),
    ("dynaguard.mcp_server", {"mcp"}),
    ("dynaguard.deploy.lambda_service", {"mangum"}),
])
def test_the_probe_sees_the_extras_where_they_are_used(module: str,
                                                       expected: set[str]) -> None:
    """The extras' own modules do load them: the probe above can fail."""
    assert expected <= set(loaded_after(f"import {module}", EXTRAS))
