"""The GitHub Action's entry point: scan, write SARIF, set outputs, fail under a score.

Inputs come as environment variables (``INPUT_TARGET``, ``INPUT_FAIL_UNDER``,
``INPUT_SARIF``, optional ``INPUT_ARGS``); outputs go to ``$GITHUB_OUTPUT`` and a summary
to ``$GITHUB_STEP_SUMMARY`` when those are set. The exit code is the scan's.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["main", "scan_arguments"]


def scan_arguments(env: Mapping[str, str]) -> tuple[list[str], Path]:
    target = env.get("INPUT_TARGET", "").strip()
    if not target:
        raise SystemExit("dynaguard action: the `target` input is required")
    sarif = Path(env.get("INPUT_SARIF", "").strip() or "dynaguard.sarif")
    args = [target, "--format", "sarif", "--output", str(sarif), "--quiet", "--no-history"]
    fail_under = env.get("INPUT_FAIL_UNDER", "").strip()
    if fail_under:
        if not fail_under.isdigit() or int(fail_under) > 100:
            raise SystemExit(f"dynaguard action: fail-under must be 0-100, not {fail_under!r}")
        args += ["--fail-under", fail_under]
    args += shlex.split(env.get("INPUT_ARGS", ""))
    return args, sarif


def _append(path: str | None, text: str) -> None:
    if path:
        with Path(path).open("a", encoding="utf-8") as out:
            out.write(text)


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    args, sarif = scan_arguments(env)
    code = subprocess.run([sys.executable, "-m", "dynaguard", "scan", *args],  # noqa: S603 -- fixed program, list arguments
                          check=False).returncode
    if sarif.is_file():
        run = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]
        props = run["properties"]
        _append(env.get("GITHUB_OUTPUT"), f"score={props['score']}\ngrade={props['grade']}\n"
                                          f"findings={len(run['results'])}\nsarif={sarif}\n")
        _append(env.get("GITHUB_STEP_SUMMARY"),
                f"### dynaguard scan of {props['target']}\n\ngrade **{props['grade']}**, "
                f"score {props['score']}/100, {len(run['results'])} findings\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
