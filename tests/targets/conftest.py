"""The corpus' own interpreter, shared by its tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.targets.environment import targets_python

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def corpus_python() -> Path:
    """The corpus' own interpreter (``.venv-targets``, built on first use)."""
    return targets_python(ROOT)
