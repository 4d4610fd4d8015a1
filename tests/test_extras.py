"""A command whose extra is missing stops with one line naming the extra to install.

A fresh interpreter stands in for an install without the extra: the extra's module is
marked absent in ``sys.modules``, which makes both its lookup and its import fail. The
wheel's own profiles are tested the same way, installed for real, in tests/packaging."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dynaguard.extras import EXTRAS, MissingExtra, require

RUN_CLI = ("import sys\nfor name in {absent!r}: sys.modules[name] = None\n"
           "from dynaguard.cli import main\nsys.argv = ['dynaguard', *{args!r}]\nmain()")


def without(absent: tuple[str, ...], args: list[str],
            home: Path) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    return subprocess.run(  # noqa: S603 -- our own interpreter, fixed probe
        [sys.executable, "-c", RUN_CLI.format(absent=absent, args=args)], env=env, cwd=home,
        capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(("absent", "args", "extra"), [
    (("moto",), ["serve"], "embedded"),
    (("waitress",), ["db", "start"], "embedded"),
    (("moto",), ["lab"], "embedded"),
    (("http_sf",), ["scan", "http://127.0.0.1:9", "--no-history"], "scan"),
    (("scipy",), ["scan", "http://127.0.0.1:9", "--no-history"], "scan"),
    (("mcp",), ["mcp"], "mcp"),
])
def test_the_command_stops_with_one_line_naming_the_extra(
        tmp_path: Path, absent: tuple[str, ...], args: list[str], extra: str) -> None:
    done = without(absent, args, tmp_path)
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"error: dynaguard {args[0]}")
    assert line.endswith(f" needs the '{extra}' extra ({absent[0]} is not installed): "
                         f"pip install 'dynaguard[{extra}]'")


def test_serve_on_a_configured_engine_needs_no_extra(tmp_path: Path) -> None:
    """Only the embedded engine needs moto: with an endpoint, serve gets past the check
    (and fails later, on purpose, at the refused test-only hash profile)."""
    code = RUN_CLI.format(absent=("moto", "waitress"), args=["serve"])
    done = subprocess.run(  # noqa: S603 -- our own interpreter, fixed probe
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
        timeout=60, check=False, stdin=subprocess.DEVNULL,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
             "DYNAGUARD_DYNAMODB_ENDPOINT": "http://127.0.0.1:9",
             "DYNAGUARD_ARGON2_PROFILE": "insecure-test-only"})
    assert "extra" not in done.stderr
    assert "insecure-test-only is for test suites" in done.stderr


def test_require_passes_when_the_extra_is_installed() -> None:
    for extra in EXTRAS:
        require(extra, "this test suite")  # ./dev installs every extra


def test_the_error_is_an_import_error_carrying_the_extra() -> None:
    error = MissingExtra("scan", "dynaguard scan", "http_sf")
    assert isinstance(error, ImportError)
    assert (error.extra, error.name) == ("scan", "http_sf")
