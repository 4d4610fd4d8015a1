"""The corpus section of docs/benchmarks.md is replaced on its own, the rest kept."""

from __future__ import annotations

from pathlib import Path

from bench.report import CORPUS_BEGIN, CORPUS_END, SEPARATE_BEGIN, SEPARATE_END, write_section


def test_section_goes_before_the_separate_block_then_is_replaced(tmp_path: Path) -> None:
    """A first write lands before the separately measured block; a second one replaces it."""
    out = tmp_path / "benchmarks.md"
    out.write_text(f"# Benchmarks\n\nfigures\n\n{SEPARATE_BEGIN}\nkept\n{SEPARATE_END}\n")
    write_section(out, CORPUS_BEGIN, CORPUS_END, "first table")
    text = write_section(out, CORPUS_BEGIN, CORPUS_END, "second table")
    assert "first table" not in text
    assert text.index("figures") < text.index("second table") < text.index("kept")
    assert text.count(CORPUS_BEGIN) == 1


def test_section_is_appended_to_a_page_without_blocks(tmp_path: Path) -> None:
    """A page with neither block gets the section at its end, its own text untouched."""
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nfigures\n")
    text = write_section(out, CORPUS_BEGIN, CORPUS_END, "table")
    assert text.startswith("# Benchmarks\n\nfigures\n")
    assert text.rstrip().endswith(CORPUS_END)
