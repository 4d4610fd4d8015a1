"""The guard's exception tree.

    GuardError                 never raised itself
    ├── AuthenticationFailed   401: every login or token failure, one generic answer
    │   └── ClientAuthenticationFailed   401: a resource server's credential refused
    ├── PermissionDenied       403: authenticated, but scope or step-up missing
    ├── NotFound               404
    ├── InvalidRequest         400/422: a body the flows refuse (bad token, weak password)
    ├── Conflict               409
    ├── TooManyRequests        429 with a retry delay
    └── StoreUnavailable       503: DynamoDB unreachable or throttling after retries

``CorruptItem`` is a ``StoreError`` raised by item parsing; flows turn it into a deny.
HTTP mapping lives in exactly one module, ``dynaguard.guard.problems``.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationFailed",
    "ClientAuthenticationFailed",
    "Conflict",
    "CorruptItem",
    "GuardError",
    "InvalidRequest",
    "NotFound",
    "PermissionDenied",
    "StoreError",
    "StoreUnavailable",
    "TooManyRequests",
]


class GuardError(Exception):
    """Root of every error the guard raises on purpose."""

    status = 500
    title = "Internal error"

    def __init__(self, detail: str = "", *, reasons: list[str] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.reasons = reasons or []


class AuthenticationFailed(GuardError):
    """Credentials or token refused; the detail never says which part was wrong."""

    status = 401
    title = "Authentication failed"
    challenge = "Bearer"


class ClientAuthenticationFailed(AuthenticationFailed):
    """A resource server's client credential (HTTP Basic) was missing or wrong."""

    challenge = 'Basic realm="dynaguard"'


class PermissionDenied(GuardError):
    status = 403
    title = "Forbidden"


class NotFound(GuardError):
    status = 404
    title = "Not found"


class InvalidRequest(GuardError):
    status = 400
    title = "Invalid request"


class Conflict(GuardError):
    status = 409
    title = "Conflict"


class TooManyRequests(GuardError):
    status = 429
    title = "Too many requests"

    def __init__(self, retry_after: int, detail: str = "") -> None:
        super().__init__(detail or "Too many attempts; try again later.")
        self.retry_after = max(1, retry_after)


class StoreError(GuardError):
    """Root of storage failures."""

    status = 503
    title = "Service unavailable"


class StoreUnavailable(StoreError):
    """DynamoDB could not answer (down, throttling after retries); nothing was decided."""

    retry_after = 1


class CorruptItem(StoreError):
    """An item did not match its schema; the caller must treat it as a deny."""
