"""The Lambda function's entry point: ``dynaguard.deploy.lambda_handler.handler``.

Importing this module reads and checks the settings (a bad one fails the container's
init with one line); the service itself starts at the first invocation and stays up for
the life of the container.
"""

from __future__ import annotations

from dynaguard.extras import require

# Before the adapter's import: without the extra, the container's init fails with one line.
require("lambda", "the Lambda entry point")

from dynaguard.deploy.lambda_service import LambdaService, lambda_settings  # noqa: E402
from dynaguard.logs import configure_logging  # noqa: E402

__all__ = ["handler"]

configure_logging()  # JSON lines on stderr, which Lambda ships to CloudWatch
handler = LambdaService(lambda_settings())
