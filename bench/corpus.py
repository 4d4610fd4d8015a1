"""The scanner on the corpus of third-party targets: what it finds of what each one has.

    .venv/bin/python -m bench.corpus [--write] [--no-assisted] [--target NAME ...]

Each target of ``tests/targets`` (fastapi-users, DRF with djoser and simplejwt, Flask with
Flask-JWT-Extended, FastAPI's OAuth2 tutorial) runs as a process of its own on a loopback
port, from the corpus' own virtual environment, and is scanned once by ``dynaguard scan``
run as a process, exactly as the test suite does. The report is compared with the verdicts
established by hand (``tests/targets/<name>/expected.toml``, evidence in ``EXPECTED.md``):
prints a table, and with ``--write`` puts it into docs/benchmarks.md as its own section.
A second table scans each target again, on a fresh start, with its ``assisted.toml``
where it has one (what a user could add for what discovery and account bootstrap miss
today), to tell what the checks find from what the scanner never got to test.
Bounded: each scan has the scanner's request budget and a timeout.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import tempfile
import time
from pathlib import Path

from tests.targets.corpus import TARGETS, Comparison, compare, load, running, scan
from tests.targets.environment import targets_python

from bench.report import CORPUS_BEGIN, CORPUS_END, write_section

__all__ = ["main", "measure", "render"]

ROOT = Path(__file__).resolve().parent.parent


def _load() -> str:
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


Row = tuple[Comparison, float, str, str]


def measure(names: tuple[str, ...], assisted: bool = False) -> list[Row]:
    """Each target scanned once (with ``assisted``, with its ``assisted.toml`` where it has
    one): its comparison, wall time, load before and after."""
    python = targets_python(ROOT)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dg-corpus-") as tmp:
        for name in names:
            expectation = load(name)
            profile = expectation.assisted if assisted else None
            work = Path(tmp) / name
            before = _load()
            with running(expectation, python, work / "data") as base:
                started = time.monotonic()
                report = scan(expectation, base, work / "report.json", profile)
                wall = time.monotonic() - started
            rows.append((compare(expectation, report), wall, before, _load()))
            print(f"corpus: {name}{' (assisted)' if assisted else ''} scanned in {wall:.1f} s",
                  file=sys.stderr)
    return rows


def _cwes(numbers: tuple[int, ...]) -> str:
    return ", ".join(str(n) for n in numbers) or "none"


def _checks(checks: tuple[str, ...]) -> str:
    return ", ".join(f"`{c}`" for c in checks) or "none"


def _summary(rows: list[Row]) -> str:
    expected = sum(len(r.expectation.must_find) for r, *_ in rows)
    found = sum(len(r.found) for r, *_ in rows)
    false_above_low = sum(len(r.false_above_low) for r, *_ in rows)
    recall = 100 * found / expected if expected else float("nan")
    return (f"**Overall recall: {found} of {expected} expected findings ({recall:.0f}%); "
            f"false findings above low: {false_above_low}.**")


def _table(rows: list[Row]) -> list[str]:
    lines = [
        "| target | CWEs present (evidence) | found | missed | false | checks run / skipped "
        "| requests | time | score | load before, after |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r, wall, before, after in rows:
        e = r.expectation
        false = ", ".join(f"`{f.check}` ({f.severity})" for f in r.false) or "none"
        lines.append(
            f"| {e.title} | {_cwes(e.cwe_present)} (`tests/targets/{e.name}/EXPECTED.md`) "
            f"| {_checks(r.found)} | {_checks(r.missed)} | {false} | {r.ran} / {r.skipped} "
            f"| {r.requests} | {wall:.1f} s | {r.score}, {r.grade} | {before}; {after} |")
    return lines


def render(rows: list[Row], assisted: list[Row] | None = None) -> str:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Scanner on third-party targets (corpus)",
        "",
        f"Produced by `bench/corpus.py` on {when}. Four auth stacks installed from PyPI "
        "(`tests/targets/requirements.txt`, in a virtual environment of their own), each in "
        "a small app written as its own documentation shows it, each scanned once with "
        "`dynaguard scan URL --register --format json` (plus the profile a user would write, "
        "for the one target without an API description). Expected flaws were established "
        "by hand before any scan: the requests and answers are in each target's "
        "`EXPECTED.md`. *Found* and *missed* count the checks expected to find something; "
        "*false* is a finding of a check the target gives no reason for (severity in "
        "brackets).",
        "",
        _summary(rows),
        "",
        *_table(rows),
    ]
    if assisted:
        lines += [
            "",
            "### The same targets, assisted",
            "",
            "Each target again, on a fresh start, scanned with its `assisted.toml` where it "
            "has one (the Flask target keeps its own profile): the "
            "profile a user could write for what discovery and account bootstrap miss there "
            "today (the login and registration operations, the identifier's kind, where the "
            "token is). Not a measure of the scanner as a user first meets it; it tells what "
            "the checks find once they get to run from what was never tested.",
            "",
            _summary(assisted),
            "",
            *_table(assisted),
        ]
    lines += ["", "Flaws a target has that no check is written to reach (not counted above):",
              ""]
    for r, *_ in rows:
        for what, evidence in r.expectation.unreached.items():
            lines.append(f"- {r.expectation.name}: **{what}**: {evidence}")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help="put the table into docs/benchmarks.md (its corpus section)")
    parser.add_argument("--no-assisted", action="store_true",
                        help="skip the second scans with each target's assisted.toml")
    parser.add_argument("--target", action="append", choices=TARGETS,
                        help="scan only this target (repeatable)")
    args = parser.parse_args()
    names = tuple(args.target or TARGETS)
    assisted = None if args.no_assisted else measure(names, assisted=True)
    text = render(measure(names), assisted)
    print(text)
    if args.write:
        write_section(ROOT / "docs" / "benchmarks.md", CORPUS_BEGIN, CORPUS_END, text)


if __name__ == "__main__":
    main()
