"""Optional parts of the install: which extra brings which modules, and the one-line error
a command stops with when its extra is missing.

The core install is what a service that mounts the guard needs. The embedded engine, the
scanner, the MCP server and the Lambda adapter are extras (``pip install 'dynaguard[scan]'``);
their entry points call :func:`require` before importing anything of the extra, so a missing
one is a sentence that names the extra, not an ``ImportError`` traceback.
"""

from __future__ import annotations

from importlib.util import find_spec

__all__ = ["EXTRAS", "MissingExtra", "require"]

EXTRAS: dict[str, tuple[str, ...]] = {
    "embedded": ("moto", "flask", "flask_cors", "waitress"),
    "scan": ("http_sf", "aiosmtpd", "numpy", "scipy", "yaml"),
    "mcp": ("mcp",),
    "lambda": ("mangum",),
}
"""The top-level modules each extra installs, as imported (keep equal to pyproject.toml)."""


class MissingExtra(ImportError):
    """A feature was used whose extra is not installed; the message says what to install."""

    def __init__(self, extra: str, feature: str, missing: str) -> None:
        self.extra = extra
        self.feature = feature
        self.missing = missing
        super().__init__(f"{feature} needs the '{extra}' extra ({missing} is not installed): "
                         f"pip install 'dynaguard[{extra}]'", name=missing)


def require(extra: str, feature: str) -> None:
    """Raise :class:`MissingExtra` unless every module of ``extra`` can be imported.

    Only looks the modules up (nothing is imported), so it costs next to nothing."""
    for module in EXTRAS[extra]:
        if find_spec(module) is None:
            raise MissingExtra(extra, feature, module)
