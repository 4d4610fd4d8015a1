"""Every ``dynaguard`` command, ``--help`` included, starts without the heavy stacks that
only some commands use: the web frameworks, the AWS client, moto, SciPy and the guard."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("fastapi", "starlette", "uvicorn", "aiobotocore", "botocore", "moto", "scipy",
         "dynaguard.guard")


def loaded_after(code: str) -> list[str]:
    """The modules of HEAVY in ``sys.modules`` after ``code`` runs in a fresh interpreter."""
    probe = (f"import json, sys\n{code}\n"
             f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
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
