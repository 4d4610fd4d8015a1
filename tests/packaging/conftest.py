"""The package as built: the sdist and the wheel, and a fresh venv per install profile.

Built once per test session (the venvs are installed side by side, from one wheelhouse);
every program runs from a scratch directory, so nothing of this checkout is importable."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx
import pytest
from bench.profiles import SMOKE_TESTED, Dist, Profile, build_dist, install_profiles


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    return build_dist(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def profiles(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Profile]:
    return install_profiles(dist.wheel, tmp_path_factory.mktemp("profiles"), SMOKE_TESTED,
                            compile_bytecode=False)


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A working directory and HOME with nothing of the checkout in it."""
    (tmp_path / "home").mkdir()
    return tmp_path


def run_in(profile: Profile, args: Sequence[str | Path], scratch: Path,
           env: Mapping[str, str] | None = None,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run one of the profile's programs (``dynaguard``, ``python``) to completion."""
    program = profile.venv / "bin" / str(args[0])
    return subprocess.run(  # noqa: S603 -- the profile's own programs, list arguments
        [str(program), *map(str, args[1:])], cwd=scratch, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=timeout, check=False,
        env=profile.env({"HOME": str(scratch / "home"), **(env or {})}))


@pytest.fixture
def serving(scratch: Path) -> Iterator[object]:
    """Start a profile's long-running command; stopped (by its pid) when the test ends."""
    started: list[subprocess.Popen[bytes]] = []

    def start(profile: Profile, args: Sequence[str | Path], url: str,
              env: Mapping[str, str] | None = None, wait_s: float = 90) -> None:
        log_path = scratch / f"{args[0]}-{len(started)}.log"
        log = log_path.open("wb")
        proc = subprocess.Popen(  # noqa: S603 -- the profile's own programs, list arguments
            [str(profile.venv / "bin" / str(args[0])), *map(str, args[1:])], cwd=scratch,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=profile.env({"HOME": str(scratch / "home"), **(env or {})}))
        started.append(proc)
        deadline = time.monotonic() + wait_s
        while True:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                output = log_path.read_text(errors="replace")[-3000:]
                raise AssertionError(f"{args} did not answer {url}:\n{output}")
            time.sleep(0.25)

    yield start
    for proc in started:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
