"""The lab: a deliberately vulnerable FastAPI + DynamoDB app with one switch per flaw.

It teaches (each flaw sits next to its safe version, ``docs/lab/<flaw>.md`` explains
both) and it is the scanner's ground truth. It listens on loopback only.

The app and its server load on first use (``dynaguard.lab.create_lab_app``), so the
command line can read the flaw registry without the web stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dynaguard.lab.loopback import NotLoopback, ensure_loopback
from dynaguard.lab.registry import FLAWS, Flaw, UnknownFlaw, parse_flaws

if TYPE_CHECKING:
    from dynaguard.lab.app import create_lab_app
    from dynaguard.lab.server import running_lab

__all__ = [
    "FLAWS",
    "Flaw",
    "NotLoopback",
    "UnknownFlaw",
    "create_lab_app",
    "ensure_loopback",
    "parse_flaws",
    "running_lab",
]


def __getattr__(name: str) -> Any:
    if name == "create_lab_app":
        from dynaguard.lab.app import create_lab_app  # noqa: PLC0415 -- loads FastAPI on use

        return create_lab_app
    if name == "running_lab":
        from dynaguard.lab.server import running_lab  # noqa: PLC0415 -- loads uvicorn on use

        return running_lab
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
