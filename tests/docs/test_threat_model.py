"""The threat model claims only what exists: every test and module it names is real."""

from __future__ import annotations

import ast
import re

from tests.docs.conftest import DOCS, ROOT

CWES = (287, 306, 307, 308, 309, 347, 384, 521, 613, 640)


def _test_names(path_text: str) -> set[str]:
    tree = ast.parse((ROOT / path_text).read_text())
    return {node.name for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_named_test_and_module_exists() -> None:
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text()
        for path_text, name in re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", text):
            assert (ROOT / path_text).is_file(), (page.name, path_text)
            assert name in _test_names(path_text), (page.name, path_text, name)
        for path_text in re.findall(r"`((?:src|tests|bench|deploy)/[\w/.-]+)`", text):
            assert (ROOT / path_text).exists(), (page.name, path_text)


def test_each_cwe_has_its_section_with_a_status() -> None:
    text = (DOCS / "threat-model.md").read_text()
    for cwe in CWES:
        assert re.search(rf"^## CWE-{cwe}: .+ \{{ #cwe-{cwe} \}}$", text, re.MULTILINE), cwe
        assert re.search(rf"^\| \[{cwe}\]\(#cwe-{cwe}\) \| .+ \| .+ \|$", text, re.MULTILINE), cwe
    sections = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    for section in sections:
        if section.startswith("CWE-"):
            assert "**Proof.**" in section or "**Status: planned.**" in section, section[:40]
