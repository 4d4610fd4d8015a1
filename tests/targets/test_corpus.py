"""The scanner against third-party auth stacks it was not written against.

Each target is scanned with ``dynaguard scan`` and compared with the verdicts established
by hand before any scan (``<target>/expected.toml``, evidence in ``EXPECTED.md``): every
expected finding must be found, and nothing may be reported above low that the target
does not have. Targets today's scanner does not meet that on are marked ``xfail`` with
what it misses; ``strict`` turns the mark into a failure on the day the scan passes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dynaguard.scan.checks import registry
from tests.targets.corpus import TARGETS, Comparison, compare, load, running, scan

# Where the scanner falls short today, per target (measured; bench/corpus.py prints it).
KNOWN_SHORT: dict[str, str] = {}



def _describe(result: Comparison) -> str:
    false = ", ".join(f"{f.check} ({f.severity}: {f.title} at {f.endpoint})"
                      for f in result.false_above_low)
    skipped = ", ".join(c for c, s in result.statuses.items() if s not in ("passed", "failed"))
    return (f"missed {list(result.missed)}; false above low [{false}]; "
            f"{result.ran} checks ran, skipped: {skipped}")


@pytest.mark.parametrize("name", TARGETS)
def test_expectations_name_real_checks_once(name: str) -> None:
    """Every check an expectation names exists, and no check has two verdicts."""
    expectation = load(name)
    known = {spec.id for spec in registry}
    lists = (expectation.must_find, expectation.may_find, expectation.must_not_find)
    named = [check for verdicts in lists for check in verdicts]
    assert set(named) <= known, set(named) - known
    assert len(named) == len(set(named))
    assert expectation.must_find, "a corpus target without a flaw to find tests no recall"
    assert (expectation.directory / "EXPECTED.md").exists()


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_SHORT[name]))
    if name in KNOWN_SHORT else name
    for name in TARGETS])
def test_scan_finds_what_the_target_has(name: str, corpus_python: Path, tmp_path: Path) -> None:
    """The scan finds every expected flaw and reports nothing false above low."""
    expectation = load(name)
    with running(expectation, corpus_python, tmp_path / "data") as base:
        report = scan(expectation, base, tmp_path / "report.json")
    result = compare(expectation, report)
    assert result.meets_target, _describe(result)
