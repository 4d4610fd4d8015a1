"""Every CWE a scanner or audit finding can carry has a name (SARIF, MCP and the dashboard
show it) and sits in the OWASP and SOC 2 maps or is an audit CWE with its own mapping."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import dynaguard.audit
import dynaguard.scan.checks
from dynaguard.audit.tally import CheckSpec as AuditSpec
from dynaguard.scan.checks.registry import registry
from dynaguard.scan.taxonomy import CWE_NAMES, owasp_for, soc2_for

_LITERAL = re.compile(r"cwe=\(([\d, ]+)\)")


def _audit_specs() -> list[AuditSpec]:
    specs = []
    for module in pkgutil.iter_modules(dynaguard.audit.__path__):
        loaded = importlib.import_module(f"dynaguard.audit.{module.name}")
        specs += [v for v in vars(loaded).values() if isinstance(v, AuditSpec)]
    return specs


def _scanner_cwes() -> set[int]:
    """The checks' own CWEs, and those a check names for one finding (``cwe=(…)``)."""
    cwes = {c for spec in registry for c in spec.cwe}
    for path in Path(dynaguard.scan.checks.__path__[0]).glob("*.py"):
        for found in _LITERAL.findall(path.read_text(encoding="utf-8")):
            cwes |= {int(c) for c in found.replace(" ", "").split(",") if c}
    return cwes


def test_every_reported_cwe_has_a_name() -> None:
    audit = _audit_specs()
    assert len(audit) >= 8  # the probe found the audit's checks
    cwes = _scanner_cwes() | {c for spec in audit for c in spec.cwe}
    assert {204, 208, 1275, 916} <= cwes
    assert sorted(c for c in cwes if c not in CWE_NAMES) == []


def test_every_scanner_cwe_maps_to_owasp_and_soc2() -> None:
    missing = sorted(c for c in _scanner_cwes() if not owasp_for([c]) or not soc2_for([c]))
    assert missing == []
