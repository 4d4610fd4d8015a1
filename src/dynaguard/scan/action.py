"""The GitHub Action's entry point: scan, write SARIF, set outputs, fail under a score.

Inputs come as environment variables (``INPUT_TARGET``, ``INPUT_FAIL_UNDER``,
``INPUT_ALLOW_INCOMPLETE``, ``INPUT_SARIF``, optional ``INPUT_ARGS``); outputs (score,
grade, coverage) go to ``$GITHUB_OUTPUT`` and a summary to ``$GITHUB_STEP_SUMMARY`` when
those are set. The exit code is the scan's: a scan graded ``incomplete`` fails the
``fail-under`` gate unless ``allow-incomplete`` is true.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
    allow = env.get("INPUT_ALLOW_INCOMPLETE", "").strip().lower()
    if allow not in ("", "true", "false"):
        raise SystemExit(f"dynaguard action: allow-incomplete must be true or false, "
                         f"not {allow!r}")
    if allow == "true":
        args.append("--allow-incomplete")
    args += shlex.split(env.get("INPUT_ARGS", ""))
    return args, sarif


def _append(path: str | None, text: str) -> None:
    if path:
        with Path(path).open("a", encoding="utf-8") as out:
            out.write(text)


def _skipped(coverage: Mapping[str, Any]) -> str:
    """The skipped checks by missing prerequisite, each with what would unlock it."""
    from dynaguard.scan.prerequisites import Prerequisite  # noqa: PLC0415

    lines = []
    for key, checks in (coverage.get("skipped_by") or {}).items():
        try:
            needs = Prerequisite(key)
        except ValueError:
            needs = Prerequisite.UNSPECIFIED
        lines.append(f"- {len(checks)} skipped, {needs.label}: {needs.unlock}\n")
    return "\n" + "".join(lines) if lines else ""


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    args, sarif = scan_arguments(env)
    code = subprocess.run([sys.executable, "-m", "dynaguard", "scan", *args],  # noqa: S603 -- fixed program, list arguments
                          check=False).returncode
    if sarif.is_file():
        run = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]
        props = run["properties"]
        coverage = props.get("coverage") or {}
        ran, applicable = coverage.get("ran", 0), coverage.get("applicable", 0)
        _append(env.get("GITHUB_OUTPUT"), f"score={props['score']}\ngrade={props['grade']}\n"
                                          f"findings={len(run['results'])}\nsarif={sarif}\n"
                                          f"checks-ran={ran}\nchecks-applicable={applicable}\n")
        _append(env.get("GITHUB_STEP_SUMMARY"),
                f"### dynaguard scan of {props['target']}\n\ngrade **{props['grade']}**, "
                f"score {props['score']}/100, {len(run['results'])} findings; "
                f"{ran} of {applicable} applicable checks ran\n{_skipped(coverage)}")
    return code


if __name__ == "__main__":
    sys.exit(main())
