"""The scanner's public surface: exports, registry and one exception root."""

from __future__ import annotations

import inspect

from dynaguard import scan
from dynaguard.scan import errors
from dynaguard.scan.checks import registry


def test_exports_are_sorted_and_complete() -> None:
    assert scan.__all__ == sorted(scan.__all__)
    public_errors = {n for n, v in vars(errors).items()
                     if inspect.isclass(v) and issubclass(v, errors.ScanError)}
    assert public_errors <= set(scan.__all__)


def test_every_check_is_registered_once_with_taxonomy() -> None:
    """Each check has a CWE, a remediation and a unique dotted id."""
    specs = list(registry)
    assert len(specs) == len({s.id for s in specs}) >= 11
    for spec in specs:
        assert "." in spec.id
        assert spec.cwe
        assert len(spec.remediation) > 40
    # Lockout-prone last: brute force, then the timing checks, whose failed logins may
    # exhaust a per-address limit.
    assert [s.id for s in specs][-3:] == ["brute_force.login_throttling",
                                          "enumeration.login_timing",
                                          "enumeration.forgot_timing"]


def test_exit_codes_hang_off_one_root() -> None:
    assert errors.UsageError.exit_code == errors.ProfileError.exit_code == 2
    assert errors.TargetUnreachable.exit_code == 3
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.ScanError)
