"""docs/configuration.md is generated from the Settings model and must match it."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from dynaguard.settings import Settings
from tests.docs.conftest import DOCS


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_config", DOCS / "gen_config.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_reference_matches_the_settings_model() -> None:
    """Regenerate with `.venv/bin/python docs/gen_config.py` when this fails."""
    assert (DOCS / "configuration.md").read_text() == _generator().render()


def test_reference_lists_every_setting_with_its_meaning() -> None:
    page = (DOCS / "configuration.md").read_text()
    for name, field in Settings.model_fields.items():
        assert field.description, f"Settings.{name} needs a description"
        assert f"`DYNAGUARD_{name.upper()}`" in page
