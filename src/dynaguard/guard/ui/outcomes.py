"""The pages' words for what the flows refuse, and the page for a refused form."""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from dynaguard.errors import (
    AuthenticationFailed,
    GuardError,
    StoreError,
    StoreUnavailable,
    TooManyRequests,
)
from dynaguard.guard.ui.forms import FormRefused
from dynaguard.guard.ui.visit import Visit

__all__ = ["failure_page", "refused_form", "retry_headers"]


def retry_headers(error: GuardError | StoreError) -> dict[str, str]:
    if isinstance(error, TooManyRequests):
        return {"Retry-After": str(error.retry_after)}
    if isinstance(error, StoreError):
        return {"Retry-After": str(StoreUnavailable.retry_after)}
    return {}


def message_for(error: GuardError | StoreError) -> str:
    if isinstance(error, TooManyRequests):
        return f"Too many attempts. Try again in {error.retry_after} seconds."
    if isinstance(error, StoreError):
        return "The service cannot answer right now. Try again in a moment."
    if isinstance(error, AuthenticationFailed):
        return "That did not work. Check what you entered and try again."
    return error.detail


def status_for(error: GuardError | StoreError) -> int:
    return 503 if isinstance(error, StoreError) else error.status


def failure_page(visit: Visit, error: GuardError | StoreError, *, back: str) -> HTMLResponse:
    """A page saying what went wrong, with a way back."""
    return visit.page("message.html", status=status_for(error), title="That did not work",
                      message=message_for(error), tone="failure", back=back,
                      headers=retry_headers(error))


def refused_form(visit: Visit, refused: FormRefused, *, back: str) -> HTMLResponse:
    return visit.page("message.html", status=refused.status, title="The form was refused",
                      message=refused.message, tone="failure", back=back, headers={})
