"""The GitHub Action: action.yml's shape and its entry script against live targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from dynaguard.scan.action import main, scan_arguments
from tests.scan.conftest import Serve
from tests.scan.test_integrations import sarif_errors
from tests.scan.vulnapp import create_vuln_app

ROOT = Path(__file__).parents[2]


def test_action_yml_is_a_composite_action_with_the_inputs() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert {"target", "fail-under", "allow-incomplete", "sarif"} <= set(action["inputs"])
    assert {"checks-ran", "checks-applicable"} <= set(action["outputs"])
    assert action["inputs"]["target"]["required"] is True
    steps = action["runs"]["steps"]
    scan = next(s for s in steps if s.get("id") == "scan")
    assert scan["run"] == "python -m dynaguard.scan.action"
    assert scan["env"]["INPUT_SARIF"] == "${{ inputs.sarif }}"
    upload = next(s for s in steps if str(s.get("uses", "")).startswith(
        "github/codeql-action/upload-sarif"))
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif }}"
    assert "always()" in upload["if"]


def env_for(url: str, tmp_path: Path, fail_under: str) -> dict[str, str]:
    return {"INPUT_TARGET": url, "INPUT_FAIL_UNDER": fail_under,
            "INPUT_SARIF": str(tmp_path / "scan.sarif"), "INPUT_ARGS": "--check session.logout",
            "GITHUB_OUTPUT": str(tmp_path / "output"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}


def outputs(tmp_path: Path) -> dict[str, str]:
    lines = (tmp_path / "output").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_entry_script_fails_under_the_score_and_still_writes_sarif(
        serve: Serve, tmp_path: Path) -> None:
    url = serve(create_vuln_app({"logout_noop"}))
    assert main(env_for(url, tmp_path, "95")) == 1
    log = json.loads((tmp_path / "scan.sarif").read_text())
    assert sarif_errors(log) == []
    found = outputs(tmp_path)
    assert found["findings"] == "2"
    assert int(found["score"]) < 95
    assert found["sarif"] == str(tmp_path / "scan.sarif")
    assert f"grade **{found['grade']}**" in (tmp_path / "summary.md").read_text()


def test_entry_script_passes_a_clean_target(serve: Serve, tmp_path: Path) -> None:
    url = serve(create_vuln_app())
    assert main(env_for(url, tmp_path, "90")) == 0
    assert outputs(tmp_path)["grade"] == "A"


def test_entry_script_checks_its_inputs() -> None:
    with pytest.raises(SystemExit, match="target"):
        scan_arguments({})
    with pytest.raises(SystemExit, match="fail-under"):
        scan_arguments({"INPUT_TARGET": "http://127.0.0.1:1", "INPUT_FAIL_UNDER": "high"})
    args, sarif = scan_arguments({"INPUT_TARGET": "http://127.0.0.1:1"})
    assert args[:3] == ["http://127.0.0.1:1", "--format", "sarif"]
    assert "--fail-under" not in args
    assert "--allow-incomplete" not in args
    assert sarif == Path("dynaguard.sarif")
    allowed, _ = scan_arguments({"INPUT_TARGET": "http://127.0.0.1:1",
                                 "INPUT_ALLOW_INCOMPLETE": "true"})
    assert "--allow-incomplete" in allowed
    with pytest.raises(SystemExit, match="allow-incomplete"):
        scan_arguments({"INPUT_TARGET": "http://127.0.0.1:1", "INPUT_ALLOW_INCOMPLETE": "yes"})


def test_entry_script_fails_an_incomplete_scan_unless_allowed(
        serve: Serve, tmp_path: Path) -> None:
    """No account for the session check: incomplete, so fail-under 0 fails it unless
    allow-incomplete; the summary names what would unlock the skipped check."""
    url = serve(create_vuln_app())
    env = {**env_for(url, tmp_path, "0"), "INPUT_ARGS": "--check session.logout --no-register"}
    assert main(env) == 1
    found = outputs(tmp_path)
    assert (found["grade"], found["checks-ran"], found["checks-applicable"]) == (
        "incomplete", "0", "1")
    assert "--user ID --password PW" in (tmp_path / "summary.md").read_text()
    (tmp_path / "output").unlink()
    assert main({**env, "INPUT_ALLOW_INCOMPLETE": "true"}) == 0
