"""One entry point for every report format, by name."""

from __future__ import annotations

from dynaguard.scan.findings import ScanResult

__all__ = ["FORMATS", "render_as"]

FORMATS = ("text", "json", "sarif", "html")


def render_as(result: ScanResult, fmt: str) -> str:
    """The report of ``result`` in ``fmt`` (one of :data:`FORMATS`)."""
    from dynaguard.scan.report import html, json, sarif, text  # noqa: PLC0415 -- on demand

    writers = {"text": text.render, "json": json.render, "sarif": sarif.render,
               "html": html.render}
    if fmt not in writers:
        raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    return writers[fmt](result)
