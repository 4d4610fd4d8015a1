"""The ``dynaguard.scan/1`` JSON document (DESIGN.md §3): a contract, change it with care."""

from __future__ import annotations

import json
from typing import Any

from dynaguard.scan.findings import ScanResult

__all__ = ["SCHEMA", "render", "to_document"]

SCHEMA = "dynaguard.scan/1"


def to_document(result: ScanResult) -> dict[str, Any]:
    started = result.started_at.isoformat().replace("+00:00", "Z")
    return {"schema": SCHEMA, "target": result.target, "started_at": started,
            "duration_s": result.duration_s, "requests": result.requests,
            "score": result.score, "grade": result.grade,
            "coverage": result.coverage.to_dict(),
            "findings": [f.to_dict() for f in result.findings],
            "checks": [c.to_dict() for c in result.checks]}


def render(result: ScanResult) -> str:
    return json.dumps(to_document(result), indent=2, sort_keys=False) + "\n"
