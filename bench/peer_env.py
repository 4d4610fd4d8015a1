"""The peer's own virtual environment, ``.venv-peer``, made on first use.

fastapi-users-db-dynamodb 1.0.5 depends on as-aiopynamodb 1.0.4, which declares
``aiobotocore<4`` but imports ``aiobotocore.endpoint.HttpxStreamingBody``, gone since
aiobotocore 3.8; pip therefore co-installs it with our aiobotocore and it fails at import.
The peer gets aiobotocore 3.7 in an environment of its own, with FastAPI, Pydantic,
uvicorn and argon2-cffi pinned to the versions dynaguard runs with, so the two services
differ only where they must.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

__all__ = ["PEER_REQUIREMENTS", "peer_python"]

PEER_REQUIREMENTS = [
    "fastapi-users==15.0.5",
    "fastapi-users-db-dynamodb==1.0.5",
    "aiobotocore>=3.7,<3.8",
    *(f"{name}=={version(name)}" for name in ("fastapi", "pydantic", "uvicorn", "argon2-cffi")),
]


def peer_python(root: Path) -> Path:
    """The interpreter of ``root/.venv-peer``, created or updated when the pins change."""
    venv = root / ".venv-peer"
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    want = hashlib.sha256("\n".join(PEER_REQUIREMENTS).encode()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == want:
        return python
    print(f"bench: installing the peer into {venv} (once)", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # noqa: S603
    subprocess.run(  # noqa: S603 -- pip of the environment we just made, pinned names
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         *PEER_REQUIREMENTS], check=True)
    stamp.write_text(want)
    return python
