"""The documentation site builds with ``mkdocs build --strict``: no broken link or anchor,
no page left out of the navigation, no navigation entry without its page."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.docs.conftest import ROOT


def test_site_builds_strictly(tmp_path: Path) -> None:
    mkdocs = Path(sys.executable).with_name("mkdocs")
    site = tmp_path / "site"
    done = subprocess.run(  # noqa: S603 -- the builder installed beside us, fixed arguments
        [str(mkdocs), "build", "--strict", "--site-dir", str(site)], cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    reference = (site / "configuration" / "index.html").read_text()
    assert "DYNAGUARD_DYNAMODB_ENDPOINT" in reference
    assert "CWE-347" in (site / "threat-model" / "index.html").read_text()
