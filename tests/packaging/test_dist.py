"""The sdist and the wheel hold what they should: the package's data files, ``py.typed``,
the extras, one version; and nothing of the tests."""

from __future__ import annotations

import tarfile
import tomllib
import zipfile
from email.parser import Parser
from importlib.metadata import packages_distributions

import pytest
from bench.profiles import ROOT, Dist
from packaging.requirements import Requirement

import dynaguard
from dynaguard.extras import EXTRAS

pytestmark = pytest.mark.packaging

PACKAGE = ROOT / "src" / "dynaguard"


def wheel_names(dist: Dist) -> set[str]:
    with zipfile.ZipFile(dist.wheel) as wheel:
        return set(wheel.namelist())


def wheel_metadata(dist: Dist) -> dict[str, list[str]]:
    with zipfile.ZipFile(dist.wheel) as wheel:
        name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        message = Parser().parsestr(wheel.read(name).decode())
    return {key: message.get_all(key) or [] for key in message.keys()}  # noqa: SIM118 -- a Message, not a dict


def test_every_file_of_the_package_is_in_the_wheel(dist: Dist) -> None:
    """Templates, styles, mail texts, word lists, ``py.typed``: whatever lies in the package
    directory (bytecode aside) ships."""
    shipped = wheel_names(dist)
    source = {f"dynaguard/{p.relative_to(PACKAGE).as_posix()}" for p in PACKAGE.rglob("*")
              if p.is_file() and "__pycache__" not in p.parts}
    assert "dynaguard/py.typed" in source
    assert any(name.endswith(".j2") for name in source)
    assert source - shipped == set()


def test_the_wheel_holds_the_package_and_its_metadata_only(dist: Dist) -> None:
    tops = {name.split("/")[0] for name in wheel_names(dist)}
    assert tops == {"dynaguard", f"dynaguard-{dynaguard.__version__}.dist-info"}


def test_the_sdist_builds_the_wheel_and_carries_the_tests(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"pyproject.toml", "README.md", "CHANGELOG.md", "src/dynaguard/py.typed",
            "tests/conftest.py", "deploy/Dockerfile"} <= names
    assert not any(name.startswith((".venv/", ".git/")) for name in names)


def test_one_version_everywhere(dist: Dist) -> None:
    """``__version__`` is the one place; the file names and the metadata follow it."""
    assert dist.wheel.name.startswith(f"dynaguard-{dynaguard.__version__}-")
    assert dist.sdist.name == f"dynaguard-{dynaguard.__version__}.tar.gz"
    assert wheel_metadata(dist)["Version"] == [dynaguard.__version__]
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{dynaguard.__version__}]" in changelog


def test_the_extras_are_declared(dist: Dist) -> None:
    assert set(wheel_metadata(dist)["Provides-Extra"]) >= {*EXTRAS, "all"}


def test_the_missing_extra_table_names_the_modules_each_extra_installs() -> None:
    """``dynaguard.extras.EXTRAS`` (what the one-line error checks) and pyproject.toml's
    extras agree: every module listed comes from a distribution of its extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = project["optional-dependencies"]
    assert set(EXTRAS) == set(declared) - {"all", "test"}
    providers = packages_distributions()

    def norm(name: str) -> str:
        return name.lower().replace("_", "-")

    for extra, modules in EXTRAS.items():
        names = {norm(Requirement(r).name) for r in declared[extra]}
        for module in modules:
            assert {norm(d) for d in providers[module]} & names, (extra, module)
    assert Requirement(declared["all"][0]).extras == set(EXTRAS)
