"""The corpus targets' own virtual environment, ``.venv-targets``, made on first use.

The third-party stacks (fastapi-users, Django with djoser and simplejwt, Flask with
Flask-JWT-Extended, the FastAPI tutorial's PyJWT and pwdlib) pin versions of their own,
some unlike dynaguard's (FastAPI, Starlette, Django's asgiref), so they never share our
environment. ``requirements.txt`` beside this file holds the pins; the environment is
rebuilt when they (or the interpreter) change, and left alone otherwise.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

__all__ = ["REQUIREMENTS", "targets_python"]

REQUIREMENTS = Path(__file__).with_name("requirements.txt")


def _stamp() -> str:
    text = REQUIREMENTS.read_text() + sys.version
    return hashlib.sha256(text.encode()).hexdigest()


def targets_python(root: Path) -> Path:
    """The interpreter of ``root/.venv-targets``, created or updated when the pins change."""
    venv = root / ".venv-targets"
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    want = _stamp()
    if python.exists() and stamp.exists() and stamp.read_text() == want:
        return python
    print(f"targets: installing the corpus stacks into {venv} (once)", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)  # noqa: S603
    subprocess.run(  # noqa: S603 -- pip of the environment just made, pinned requirements
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", str(REQUIREMENTS)], check=True)
    stamp.write_text(want)
    return python
