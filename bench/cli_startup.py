"""Start-up cost of the ``dynaguard`` command: what every command, ``--help`` included, pays.

Prints the cumulative ``-X importtime`` figure of ``dynaguard.cli`` and of the modules a
scan loads, and the wall time of a few quick commands (fresh interpreter each, console
script included; a scan of a closed port shows what a scan pays before its first request),
each the median of several runs.

    .venv/bin/python bench/cli_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DYNAGUARD = Path(sys.executable).with_name("dynaguard")
MODULES = ("dynaguard.cli", "dynaguard.scan.engine")
# A scan of a closed loopback port loads everything a scan needs, then exits 3 at once.
UNREACHABLE_SCAN = ("scan", "http://127.0.0.1:9", "--no-history", "--quiet")
COMMANDS = ((("--help",), 0), (("scan", "--help"), 0), (("lab", "--list"), 0),
            (UNREACHABLE_SCAN, 3))


def import_ms(module: str, env: dict[str, str], cwd: str) -> float:
    """Cumulative import time of ``module`` in a fresh interpreter, from ``-X importtime``."""
    done = subprocess.run(  # noqa: S603 -- our own interpreter, fixed probe
        [sys.executable, "-X", "importtime", "-c", f"import {module}"], env=env, cwd=cwd,
        capture_output=True, text=True, timeout=120, check=True,
    )
    pattern = re.compile(rf"^import time:\s+\d+ \|\s+(\d+) \| {re.escape(module)}$", re.M)
    found = pattern.search(done.stderr)
    if found is None:
        raise RuntimeError(f"no importtime line for {module}")
    return int(found.group(1)) / 1000


def wall_ms(args: tuple[str, ...], code: int, env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603 -- our console script, fixed arguments
        [str(DYNAGUARD), *args], env=env, cwd=cwd, capture_output=True, timeout=120,
        check=False,
    )
    elapsed = (time.perf_counter() - start) * 1000
    if done.returncode != code:
        raise RuntimeError(f"dynaguard {' '.join(args)} exited {done.returncode}, not {code}")
    return elapsed


def show(label: str, samples: list[float]) -> None:
    print(f"{label:34} median {statistics.median(samples):7.1f} ms "
          f"(min {min(samples):.1f}, max {max(samples):.1f}, {len(samples)} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = max(1, min(parser.parse_args().runs, 50))
    with tempfile.TemporaryDirectory() as home:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "COLUMNS": "100"}
        for module in MODULES:
            show(f"import {module}", [import_ms(module, env, home) for _ in range(runs)])
        for args, code in COMMANDS:
            label = "dynaguard scan (port closed)" if args is UNREACHABLE_SCAN else (
                f"dynaguard {' '.join(args)}")
            show(label, [wall_ms(args, code, env, home) for _ in range(runs)])


if __name__ == "__main__":
    main()
