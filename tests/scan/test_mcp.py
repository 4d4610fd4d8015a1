"""``dynaguard mcp``: the official SDK's client talks to the server over stdio."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.scan.conftest import Serve
from tests.scan.test_integrations import Switch
from tests.scan.vulnapp import create_vuln_app

TOOLS = {"scan_api", "list_scans", "get_scan", "explain_finding", "compare_scans"}


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    data = result.structured_content
    assert isinstance(data, dict)
    return data


async def test_client_lists_tools_scans_and_compares(serve: Serve, tmp_path: Path) -> None:
    switch = Switch(create_vuln_app(), create_vuln_app({"logout_noop"}))
    url = serve(switch)
    params = StdioServerParameters(
        command=sys.executable, args=["-c", "from dynaguard.cli import main; main()", "mcp"],
        env={"DYNAGUARD_HISTORY": str(tmp_path / "history.sqlite3")})
    with (tmp_path / "server.log").open("w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), \
                ClientSession(read, write) as session:
            await session.initialize()
            listed = await session.list_tools()
            assert {tool.name for tool in listed.tools} == TOOLS
            assert all(tool.description for tool in listed.tools)

            clean = structured(await session.call_tool(
                "scan_api", {"url": url, "checks": ["session.logout"]}))
            assert (clean["scan_id"], clean["grade"], clean["findings"]) == (1, "A", [])
            assert (clean["coverage"]["ran"], clean["coverage"]["applicable"]) == (1, 1)
            assert clean["coverage"]["summary"] == "1 of 1 applicable checks ran (100%)"
            switch.current = 1
            flawed = structured(await session.call_tool(
                "scan_api", {"url": url, "checks": ["session.logout"]}))
            assert flawed["scan_id"] == 2
            assert [f["endpoint"] for f in flawed["findings"]] == [
                "POST /api/logout", "POST /api/refresh"]
            assert flawed["score"] < clean["score"]

            scans = structured(await session.call_tool("list_scans", {"target": url}))
            assert [s["id"] for s in scans["scans"]] == [2, 1]
            assert scans["scans"][0]["coverage"] == {"ran": 1, "applicable": 1}
            document = structured(await session.call_tool("get_scan", {"scan_id": 2}))
            assert document["schema"] == "dynaguard.scan/1"
            assert document["coverage"]["ran"] == 1
            assert len(document["findings"]) == 2
            explained = structured(await session.call_tool(
                "explain_finding", {"scan_id": 2, "index": 0}))
            assert explained["cwe"] == [{"id": "CWE-613",
                                         "name": "Insufficient Session Expiration"}]
            assert explained["finding"]["remediation"] in explained["explanation"]
            diff = structured(await session.call_tool(
                "compare_scans", {"before_id": 1, "after_id": 2}))
            assert diff["regressed"] is True
            assert len(diff["new"]) == 2
            assert diff["fixed"] == []
            back = structured(await session.call_tool(
                "compare_scans", {"before_id": 2, "after_id": 1}))
            assert back["regressed"] is False
            assert len(back["fixed"]) == 2

            # No account for the check: skipped, incomplete, and told what would unlock it.
            untested = structured(await session.call_tool("scan_api", {
                "url": url, "checks": ["session.logout"], "user": "nobody@example.com",
                "password": "not-this-one-either"}))
            assert untested["grade"] == "incomplete"
            assert untested["coverage"]["ran"] == 0
            (needs,) = untested["coverage"]["skipped_by"]
            assert untested["coverage"]["unlock"][needs]["unlock"]
            since = structured(await session.call_tool(
                "compare_scans", {"before_id": 2, "after_id": untested["scan_id"]}))
            assert (len(since["fixed"]), len(since["untested"])) == (0, 2)
            assert since["regressed"] is True  # not tested is not fixed
            assert "no longer tested" in since["reasons"][-1]
            assert since["coverage_after"]["ran"] == 0

            missing = await session.call_tool("get_scan", {"scan_id": 99})
            assert missing.is_error
            assert "no scan 99" in json.dumps([c.model_dump() for c in missing.content])

            unreachable = await session.call_tool("scan_api", {"url": "ftp://127.0.0.1/"})
            assert unreachable.is_error
