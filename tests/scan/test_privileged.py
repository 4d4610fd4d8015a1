"""Which operations the scanner takes for administrative ones, and on whose word."""

from __future__ import annotations

from dynaguard.scan.discovery import Operation
from dynaguard.scan.privileged import admin_operations


def _found(*ops: Operation, spec: dict[str, object] | None = None) -> dict[str, bool]:
    return {c.op.label: c.named_admin for c in admin_operations(ops, spec or {"paths": {}})}


def test_the_targets_own_word_names_an_admin_operation_a_guess_does_not() -> None:
    """``/admin/users`` says so itself; a ``GET /users`` listing is only the scanner's guess
    (a user directory may be open to every signed-in account by design)."""
    found = _found(Operation("GET", "/admin/users", True), Operation("GET", "/users", True),
                   Operation("DELETE", "/users/{user_id}", True),
                   Operation("GET", "/notes", True))
    assert found == {"GET /admin/users": True, "GET /users": False,
                     "DELETE /users/{user_id}": False}


def test_a_declared_admin_tag_names_it() -> None:
    spec = {"paths": {"/people": {"get": {"tags": ["admin"], "security": [{"b": []}]}}}}
    assert _found(Operation("GET", "/people", True), spec=spec) == {"GET /people": True}
