"""Each install profile, installed from the wheel into a fresh venv, does its job: the
library in a tiny app (core), the scanner against the lab (``[scan]``), the service on
the embedded engine (``[embedded]``), every module (``[all]``); and a command whose extra
is missing stops with one line naming it."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from bench.profiles import Profile

import dynaguard
from dynaguard.ports import free_port
from tests.packaging.conftest import run_in

pytestmark = pytest.mark.packaging

TINY_APP = '''
import asyncio, sys
from typing import Annotated

import httpx
from fastapi import FastAPI

from dynaguard.guard import Guard, Principal
from dynaguard.settings import Settings

endpoint, table, home = sys.argv[1:4]
guard = Guard(Settings(dynamodb_endpoint=endpoint, table=table, data_dir=home + "/data",
                       argon2_profile="insecure-test-only", mail_url="file://" + home + "/out"))
app = FastAPI(lifespan=guard.lifespan)
guard.install(app)


@app.get("/whoami")
async def whoami(user: Annotated[Principal, guard.current_user()]) -> dict[str, str]:
    return {"email": user.user.email}


async def main() -> None:
    async with guard.lifespan(app):
        svc = guard.services()
        user = svc.users.new_user("tiny@example.com", await svc.passwords.hash(sys.argv[4]),
                                  ["notes:read"])
        await svc.users.create(user.model_copy(update={"email_verified": True}))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiny") as client:
            anonymous = await client.get("/whoami")
            login = await client.post("/auth/login", json={"email": "tiny@example.com",
                                                           "password": sys.argv[4]})
            token = login.json()["access_token"]
            me = await client.get("/whoami", headers={"Authorization": "Bearer " + token})
    print(anonymous.status_code, login.status_code, me.status_code, me.json()["email"])


asyncio.run(main())
'''

Serving = Callable[..., None]


def one_error_line(done: subprocess.CompletedProcess[str], extra: str) -> None:
    """The command failed with exactly one line on stderr, naming the extra to install."""
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].endswith(f"needs the '{extra}' extra ({lines[0].split('(')[1]}")
    assert lines[0].endswith(f"pip install 'dynaguard[{extra}]'")


@pytest.mark.parametrize("name", ["core", "scan", "embedded", "all"])
def test_the_installed_command_is_the_wheel_at_its_version(
        profiles: dict[str, Profile], scratch: Path, name: str) -> None:
    profile = profiles[name]
    done = run_in(profile, ["dynaguard", "--version"], scratch)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == dynaguard.__version__
    where = run_in(profile, ["python", "-c", "import dynaguard, importlib.metadata as m; "
                             "print(dynaguard.__file__); print(m.version('dynaguard'))"],
                   scratch)
    path, version = where.stdout.split()
    assert Path(path).is_relative_to(profile.site_packages)
    assert version == dynaguard.__version__
    assert (profile.site_packages / "dynaguard" / "py.typed").is_file()


def test_core_mounts_the_guard_in_a_tiny_app(profiles: dict[str, Profile], scratch: Path,
                                             dynamodb_endpoint: str) -> None:
    (scratch / "tiny_app.py").write_text(TINY_APP, encoding="utf-8")
    done = run_in(profiles["core"], ["python", "tiny_app.py", dynamodb_endpoint,
                                     f"tiny-{uuid.uuid4().hex[:8]}", scratch / "home",
                                     "quiet-harbor-lantern-97"], scratch)
    assert done.returncode == 0, done.stderr[-3000:]
    # the guard's request log goes to stdout too: the app's own line is the last
    assert done.stdout.splitlines()[-1].split() == ["401", "200", "200", "tiny@example.com"]


@pytest.mark.parametrize(("args", "extra"), [
    (["serve"], "embedded"),
    (["db", "start"], "embedded"),
    (["lab"], "embedded"),
    (["scan", "http://127.0.0.1:9", "--no-history"], "scan"),
    (["mcp"], "mcp"),
])
def test_core_names_the_missing_extra_in_one_line(profiles: dict[str, Profile], scratch: Path,
                                                  args: list[str], extra: str) -> None:
    one_error_line(run_in(profiles["core"], ["dynaguard", *args], scratch), extra)


def test_core_lambda_entry_point_names_its_extra(profiles: dict[str, Profile],
                                                 scratch: Path) -> None:
    done = run_in(profiles["core"], ["python", "-c", "import dynaguard.deploy.lambda_handler"],
                  scratch)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1].endswith("pip install 'dynaguard[lambda]'")


def test_scan_profile_runs_the_lab_and_scans_it(profiles: dict[str, Profile], scratch: Path,
                                                dynamodb_endpoint: str,
                                                serving: Serving) -> None:
    """The lab on the test engine and a scan of it, both from the ``[scan]`` install; the
    timing check runs the scanner's statistics."""
    profile = profiles["scan"]
    port = free_port()
    serving(profile, ["dynaguard", "lab", "--port", port], f"http://127.0.0.1:{port}/docs",
            env={"DYNAGUARD_DYNAMODB_ENDPOINT": dynamodb_endpoint,
                 "DYNAGUARD_TABLE": f"lab-{uuid.uuid4().hex[:8]}",
                 "DYNAGUARD_ARGON2_PROFILE": "insecure-test-only",
                 "DYNAGUARD_MAIL_URL": f"file://{scratch / 'outbox'}"})
    report = scratch / "report.json"
    done = run_in(profile, ["dynaguard", "scan", f"http://127.0.0.1:{port}",
                            "--check", "jwt.alg_none", "--check", "enumeration.login_timing",
                            "--no-history", "--quiet", "--format", "json",
                            "--output", report], scratch, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    checks = {c["check"]: c["status"] for c in json.loads(report.read_text())["checks"]}
    assert checks["jwt.alg_none"] == "failed"  # the lab's flaw, found
    assert checks["enumeration.login_timing"] in {"passed", "failed"}, checks


def test_embedded_profile_serves_the_docs_and_stores_an_account(
        profiles: dict[str, Profile], serving: Serving) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serving(profiles["embedded"], ["dynaguard", "serve", "--port", port], f"{base}/docs")
    assert "swagger" in httpx.get(f"{base}/docs", timeout=10).text.lower()
    registered = httpx.post(f"{base}/auth/register", timeout=30, json={
        "email": "embedded@example.com", "password": "quiet-harbor-lantern-97"})
    assert registered.status_code == 202, registered.text


ALL_MODULES = '''
import importlib, pkgutil, dynaguard
names = [m.name for m in pkgutil.walk_packages(dynaguard.__path__, "dynaguard.")
         if m.name != "dynaguard.__main__"]
for name in names:
    importlib.import_module(name)
print(len(names))
'''


def test_all_profile_imports_every_module(profiles: dict[str, Profile], scratch: Path) -> None:
    """The Lambda entry point among them, with a deployed function's settings."""
    done = run_in(profiles["all"], ["python", "-c", ALL_MODULES], scratch, env={
        "DYNAGUARD_DYNAMODB_ENDPOINT": "aws",
        "DYNAGUARD_KEK": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "DYNAGUARD_MAIL_URL": "smtps://mail.example.com:465"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout.split()[-1]) > 150
