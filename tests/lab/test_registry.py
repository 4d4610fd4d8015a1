"""The flaw registry and its docs pages."""

from __future__ import annotations

from pathlib import Path

import pytest

import dynaguard.lab
from dynaguard.lab import FLAWS, UnknownFlaw, parse_flaws

DOCS = Path(__file__).parents[2] / "docs" / "lab"
SECTIONS = ("## Vulnerable code", "## Fixed code", "## How an attacker uses it")


def test_public_api_is_sorted_and_importable() -> None:
    assert dynaguard.lab.__all__ == sorted(dynaguard.lab.__all__)
    for name in dynaguard.lab.__all__:
        assert getattr(dynaguard.lab, name) is not None


def test_parse_all_none_and_names() -> None:
    assert parse_flaws("all") == frozenset(FLAWS)
    assert parse_flaws("none") == frozenset()
    assert parse_flaws(" bola , jwt_alg_none ") == {"bola", "jwt_alg_none"}
    assert parse_flaws(["fast_hash"]) == {"fast_hash"}


def test_unknown_names_are_refused() -> None:
    with pytest.raises(UnknownFlaw, match="nope"):
        parse_flaws("bola,nope")


@pytest.mark.parametrize("name", sorted(FLAWS))
def test_every_flaw_has_a_docs_page(name: str) -> None:
    """Each page shows the vulnerable code, the fix, the CWE and the attack."""
    text = (DOCS / f"{name}.md").read_text()
    for section in SECTIONS:
        assert section in text, f"{name}.md lacks {section!r}"
    for cwe in FLAWS[name].cwe:
        assert f"CWE-{cwe}" in text
    assert name in (DOCS / "README.md").read_text()
