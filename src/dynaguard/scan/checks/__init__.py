"""The checks, one module per weakness class; importing this package registers them all."""

from dynaguard.scan.checks import (  # noqa: F401 -- imported for their @check registrations
    access_control,
    brute_force,
    cookies,
    cors,
    enumeration,
    function_access,
    jwt_keys,
    jwt_tokens,
    malformed_input,
    missing_auth,
    object_auth,
    password_policy,
    recovery,
    refresh_tokens,
    session_expiry,
    session_fixation,
    single_factor,
    verification,
    wrong_password,
)
from dynaguard.scan.checks.registry import (
    CheckSpec,
    Outcome,
    Registry,
    check,
    failed,
    passed,
    registry,
)

__all__ = ["CheckSpec", "Outcome", "Registry", "check", "failed", "passed", "registry"]
