"""The lab: a deliberately vulnerable FastAPI + DynamoDB app with one switch per flaw.

It teaches (each flaw sits next to its safe version, ``docs/lab/<flaw>.md`` explains
both) and it is the scanner's ground truth. It listens on loopback only.
"""

from dynaguard.lab.app import create_lab_app
from dynaguard.lab.registry import FLAWS, Flaw, UnknownFlaw, parse_flaws
from dynaguard.lab.server import NotLoopback, ensure_loopback, running_lab

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
