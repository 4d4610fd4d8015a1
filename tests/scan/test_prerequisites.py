"""Every skip names its missing prerequisite, and every prerequisite what unlocks it."""

from __future__ import annotations

import ast
from pathlib import Path

from dynaguard.scan.errors import Skip
from dynaguard.scan.prerequisites import Prerequisite, for_role, undeclared
from dynaguard.scan.profile import ENDPOINT_ROLES

ROOT = Path(__file__).parents[2]


def test_every_skip_in_the_scanner_names_its_prerequisite() -> None:
    """A `Skip(...)` without `needs=` would land in `unspecified`: none is left so."""
    bare = []
    for path in sorted((ROOT / "src" / "dynaguard").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "Skip"
                    and not any(k.arg == "needs" for k in node.keywords)):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == []


def test_skip_keeps_its_old_signature() -> None:
    skip = Skip("why")
    assert (skip.reason, skip.needs) == ("why", Prerequisite.UNSPECIFIED)
    assert Skip("why", needs=Prerequisite.MAILBOX).needs is Prerequisite.MAILBOX


def test_every_prerequisite_names_what_unlocks_it() -> None:
    for needs in Prerequisite:
        assert needs.label, needs
        assert needs.unlock, needs
    assert "--mailbox" in Prerequisite.MAILBOX.unlock
    assert "--user2" in Prerequisite.SECOND_ACCOUNT.unlock
    assert '[endpoints.refresh] path = "/..."' in Prerequisite.REFRESH_ENDPOINT.unlock
    assert [needs for needs in Prerequisite if not needs.counts] == [
        Prerequisite.NOT_APPLICABLE]


def test_each_endpoint_role_has_its_prerequisite() -> None:
    for role in ENDPOINT_ROLES:
        assert for_role(role) is not Prerequisite.UNSPECIFIED, role
    assert for_role("me") is Prerequisite.PROTECTED_OPERATION
    assert f'[endpoints.{"change_password"}]' in for_role("change_password").unlock


def test_an_undeclared_operation_is_not_applicable_only_when_a_spec_was_read() -> None:
    assert undeclared("http://127.0.0.1:1/openapi.json") is Prerequisite.NOT_APPLICABLE
    assert undeclared(None) is Prerequisite.SPEC


def test_the_scanner_page_lists_every_prerequisite() -> None:
    page = (ROOT / "docs" / "scanner.md").read_text()
    missing = [str(needs) for needs in Prerequisite if f"`{needs}`" not in page]
    assert missing == []
