"""The function's entry point as Lambda loads it: a fresh interpreter, settings from env."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3

from tests.deploy.conftest import http_api_event, new_kek

# Imports the handler as the Lambda runtime does, then answers events given on stdin.
RUNNER = """
import json, sys
from dynaguard.deploy.lambda_handler import handler
for line in sys.stdin:
    print(json.dumps(handler(json.loads(line), None)), flush=True)
"""


def test_handler_module_serves_events_in_a_fresh_process(
    dynamodb_endpoint: str, tmp_path: Path,
) -> None:
    """The imported handler creates the table and keys once and answers each event."""
    table = f"t-{uuid.uuid4().hex[:12]}"
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
        "DYNAGUARD_DYNAMODB_ENDPOINT": dynamodb_endpoint, "DYNAGUARD_TABLE": table,
        "DYNAGUARD_KEK": new_kek(), "DYNAGUARD_MAIL_URL": "smtp://127.0.0.1:2525",
        "DYNAGUARD_ARGON2_PROFILE": "owasp-minimum", "DYNAGUARD_DATA_DIR": str(tmp_path),
    }
    events = [http_api_event("GET", "/.well-known/jwks.json"),
              http_api_event("GET", "/.well-known/jwks.json"),
              http_api_event("GET", "/notes")]
    done = subprocess.run(  # noqa: S603 -- our own interpreter, fixed script
        [sys.executable, "-c", RUNNER], input="".join(json.dumps(e) + "\n" for e in events),
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    first, second, notes = (json.loads(line) for line in done.stdout.splitlines())
    assert (first["statusCode"], second["statusCode"]) == (200, 200)
    assert first["body"] == second["body"]
    assert notes["statusCode"] == 404, "the demo resource stays off in a deployment"

    dynamodb = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name="us-east-1",
                            aws_access_key_id="local", aws_secret_access_key="local")
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    keys = dynamodb.query(TableName=table, KeyConditionExpression="pk = :p AND begins_with(sk, :k)",
                          ExpressionAttributeValues={":p": {"S": "KEYRING"},
                                                     ":k": {"S": "KEY#"}})["Items"]
    assert [k["kid"]["S"] for k in keys] == [json.loads(first["body"])["keys"][0]["kid"]]


def test_handler_module_refuses_an_embedded_engine(tmp_path: Path) -> None:
    """Without DYNAGUARD_DYNAMODB_ENDPOINT the import fails with one line naming it."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
           "DYNAGUARD_KEK": new_kek(), "DYNAGUARD_MAIL_URL": "smtp://127.0.0.1:2525"}
    done = subprocess.run(
        [sys.executable, "-c", "import dynaguard.deploy.lambda_handler"], env=env, cwd=tmp_path,
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ValueError: invalid settings for Lambda")
    assert "DYNAGUARD_DYNAMODB_ENDPOINT" in last
