"""The dynaguard service inside an AWS Lambda container, behind API Gateway, via Mangum.

A container serves many invocations one after another on one thread, frozen in between.
Mangum's own lifespan support would start and stop the app around *every* invocation (a
new DynamoDB client, the key ring read again, a new Argon2 pool), so it is switched off:
the guard's lifespan is entered once, on the container's own event loop, at the first
invocation, and every later invocation reuses its DynamoDB client, signing keys and hash
pool. A frozen container runs nothing, so mail still being sent is awaited before an
invocation returns.

Security-sensitive: a container refuses to start without an explicit DynamoDB endpoint
(an embedded in-memory engine would lose every account on the next cold start) and
without a shared key-encryption key (each container would seal the signing keys with a
key of its own, and the others could not sign).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from mangum import Mangum
from pydantic import ValidationError

from dynaguard.guard.app import create_app
from dynaguard.guard.core import Guard
from dynaguard.guard.mail import Mailer
from dynaguard.guard.services import Services
from dynaguard.settings import Settings, describe_validation_error

__all__ = ["LambdaService", "check_lambda_settings", "lambda_settings"]

# Problem documents are text: without this Mangum would send them base64-encoded.
TEXT_MIME_TYPES = ["text/", "application/json", "application/problem+json"]


def check_lambda_settings(settings: Settings) -> None:
    """Refuse settings that cannot work across Lambda containers, with one clear line."""
    problems = []
    if settings.embedded:
        problems.append("DYNAGUARD_DYNAMODB_ENDPOINT must be `aws` or a URL: "
                        "an embedded engine would lose its data with the container")
    if settings.kek is None:
        problems.append("DYNAGUARD_KEK must be set: every container must open the same "
                        "signing keys")
    if problems:
        raise ValueError("invalid settings for Lambda: " + "; ".join(problems))


def lambda_settings() -> Settings:
    """Settings of the deployed function, from its environment; stricter than a local run."""
    try:
        settings = Settings()
    except ValidationError as error:
        raise ValueError(describe_validation_error(error)) from None
    check_lambda_settings(settings)
    problems = []
    if settings.argon2_profile == "insecure-test-only":
        problems.append("DYNAGUARD_ARGON2_PROFILE=insecure-test-only is for test suites")
    if settings.outbox_dir is not None:
        problems.append("DYNAGUARD_MAIL_URL must be smtp:// or smtps://: a container's "
                        "disk is neither shared nor kept")
    if problems:
        raise ValueError("invalid settings for Lambda: " + "; ".join(problems))
    return settings


class LambdaService:
    """One container's service: started at its first invocation, reused by the next ones."""

    def __init__(
        self, settings: Settings, *, demo: bool = False, mailer: Mailer | None = None
    ) -> None:
        check_lambda_settings(settings)
        self.app = create_app(settings, demo=demo, mailer=mailer)
        self._guard: Guard = self.app.state.guard
        self._loop = asyncio.new_event_loop()
        self._stack = contextlib.AsyncExitStack()
        self._adapter: Mangum | None = None

    @property
    def services(self) -> Services:
        """The running services (the same object for every invocation of the container)."""
        return self._guard.services()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        """Answer one API Gateway (HTTP API, payload 2.0) event."""
        # Mangum runs the app on the calling thread's current loop: make it ours, whose
        # aiohttp connections to DynamoDB live across invocations.
        asyncio.set_event_loop(self._loop)
        if self._adapter is None:
            self._loop.run_until_complete(self._stack.enter_async_context(
                self._guard.lifespan(self.app)))
            self._adapter = Mangum(self.app, lifespan="off", text_mime_types=TEXT_MIME_TYPES)
        try:
            return self._adapter(event, context)
        finally:
            self._loop.run_until_complete(self.services.drain_mail())

    def close(self) -> None:
        """Run the lifespan's shutdown: Lambda never does, tests and tools do."""
        asyncio.set_event_loop(self._loop)
        if self._adapter is not None:
            self._adapter = None
            self._loop.run_until_complete(self._stack.aclose())
        self._loop.close()
