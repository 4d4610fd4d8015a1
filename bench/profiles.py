"""The package as shipped: build the sdist and the wheel, install the wheel into a fresh venv
per install profile, and measure what each profile costs.

Used by the packaging tests (``tests/packaging``) and by ``bench/install_size.py``. The
dependencies of ``[all]`` are fetched once into a wheelhouse (from pip's cache when it is
warm); each profile is then an ordinary install, dependencies resolved by pip, from that
wheelhouse alone. A venv is made without pip of its own: this interpreter's pip installs
into it (``pip --python``), so its site-packages holds exactly what the profile brings.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PROFILES", "ROOT", "SMOKE_TESTED", "Dist", "Profile", "build_dist", "fetch_wheelhouse",
           "install_profiles"]

ROOT = Path(__file__).resolve().parent.parent
PROFILES: dict[str, str] = {"core": "", "scan": "[scan]", "embedded": "[embedded]",
                            "lambda": "[lambda]", "all": "[all]"}
"""Profile name -> the extras installed with the wheel."""
SMOKE_TESTED = ("core", "scan", "embedded", "all")
"""The profiles the packaging tests install ([lambda] is a part of [all] there)."""

BUILD_TIMEOUT = 300
INSTALL_TIMEOUT = 900


@dataclass(frozen=True)
class Dist:
    sdist: Path
    wheel: Path


@dataclass(frozen=True)
class Profile:
    name: str
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def command(self) -> Path:
        return self.venv / "bin" / "dynaguard"

    @property
    def site_packages(self) -> Path:
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        return self.venv / "lib" / version / "site-packages"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """A clean environment for the profile's programs: its own PATH first, nothing of
        this process's virtualenv or Python path, and no DYNAGUARD_ setting unless given."""
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("DYNAGUARD_", "PYTHON", "VIRTUAL_ENV"))}
        keep["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        return {**keep, **(extra or {})}


def _run(args: Iterable[str | Path], timeout: float, cwd: Path | None = None) -> None:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True,  # noqa: S603 -- fixed programs, list arguments
                          text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed ({done.returncode}):\n"
                           f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def build_dist(out: Path) -> Dist:
    """Build the sdist, then the wheel from the unpacked sdist (so the sdist is proven
    complete), with this environment's hatchling."""
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT],
         BUILD_TIMEOUT)
    (sdist,) = out.glob("dynaguard-*.tar.gz")
    (wheel,) = out.glob("dynaguard-*.whl")
    return Dist(sdist, wheel)


def fetch_wheelhouse(wheel: Path, where: Path) -> Path:
    """Every wheel the ``[all]`` install needs, in one directory (one index resolution)."""
    house = where / "wheelhouse"
    _run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
          "--dest", house, f"{wheel}[all]"], INSTALL_TIMEOUT, cwd=where)
    return house


def _install(wheel: Path, house: Path, name: str, where: Path,
             compile_bytecode: bool) -> Profile:
    profile = Profile(name, where / name)
    base = getattr(sys, "_base_executable", sys.executable)
    _run([base, "-m", "venv", "--without-pip", profile.venv], 120)
    _run([sys.executable, "-m", "pip", "--python", profile.python, "install", "--quiet",
          "--disable-pip-version-check", "--no-index", "--find-links", house,
          *([] if compile_bytecode else ["--no-compile"]), f"{wheel}{PROFILES[name]}"],
         INSTALL_TIMEOUT, cwd=where)
    return profile


def install_profiles(wheel: Path, where: Path, names: Iterable[str] = PROFILES, *,
                     compile_bytecode: bool = True) -> dict[str, Profile]:
    """A fresh venv per profile under ``where``, installed side by side.

    ``compile_bytecode=False`` skips pip's byte-compilation (most of an install's CPU): the
    smoke tests run little of the code, and Python compiles what it imports."""
    names = list(names)
    house = fetch_wheelhouse(wheel, where)
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        futures = {n: pool.submit(_install, wheel, house, n, where, compile_bytecode)
                   for n in names}
        return {n: f.result() for n, f in futures.items()}
