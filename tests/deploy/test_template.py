"""``deploy/template.yaml``: valid CloudFormation, a least-privilege role that cannot drift
from the code, and a table identical to the one dynaguard creates itself."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore import xform_name
from cfnlint.decode import cfn_yaml
from cfnlint.helpers import load_resource

from dynaguard.store.client import Dynamo, open_client
from dynaguard.store.schema import TTL_ATTRIBUTE, ensure_table

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "template.yaml"
SRC = ROOT / "src" / "dynaguard"

# Called by ensure_table only when the table is missing or its TTL is off. The template
# creates the table with TTL on, so the deployed function never needs them.
TABLE_ADMINISTRATION = {"CreateTable", "UpdateTimeToLive"}
# TransactWriteItems has no IAM action: AWS authorizes each part by its own action.
TRANSACTION_PART_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                            "ConditionCheck": "ConditionCheckItem"}


@cache
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = cfn_yaml.load(str(TEMPLATE))
    return loaded


def source_text() -> str:
    return "\n".join(p.read_text() for p in sorted(SRC.rglob("*.py")))


def operations_in_source(text: str) -> set[str]:
    """DynamoDB API operations the code calls: ``client.<op>`` and ``get_waiter("<w>")``."""
    session = botocore.session.get_session()
    operations = {xform_name(op): op for op in session.get_service_model("dynamodb")
                  .operation_names}
    waiters = session.get_waiter_model("dynamodb")
    by_waiter = {xform_name(w): waiters.get_waiter(w).operation for w in waiters.waiter_names}
    found = {operations[m] for m in re.findall(r"\bclient\.([a-z_]+)\b", text) if m in operations}
    found |= {by_waiter[w] for w in re.findall(r"get_waiter\(\s*\"(\w+)\"", text)}
    return found


def iam_actions_for(operations: set[str], text: str) -> set[str]:
    actions = set()
    for operation in operations:
        if operation == "TransactWriteItems":
            parts = re.findall(r"\"(Put|Update|Delete|ConditionCheck)\":\s*\{", text)
            actions |= {TRANSACTION_PART_ACTIONS[p] for p in parts}
        else:
            actions.add(operation)
    return {f"dynamodb:{a}" for a in actions}


def function_statements() -> list[dict[str, Any]]:
    policies = template()["Resources"]["Function"]["Properties"]["Policies"]
    return [s for policy in policies for s in policy["Statement"]]


def test_template_passes_cfn_lint() -> None:
    """cfn-lint (with the SAM transform applied) finds nothing to report."""
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    done = subprocess.run(  # noqa: S603 -- the linter installed beside us, fixed arguments
        [str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_policy_grants_exactly_what_the_code_calls() -> None:
    """The role's DynamoDB actions equal those of every client call in src/dynaguard."""
    text = source_text()
    used = operations_in_source(text)
    assert {"GetItem", "TransactWriteItems", "Query", "DescribeTable"} <= used, used
    assert used >= TABLE_ADMINISTRATION, "ensure_table changed: revisit TABLE_ADMINISTRATION"
    expected = iam_actions_for(used - TABLE_ADMINISTRATION, text)

    (statement,) = function_statements()
    assert statement["Effect"] == "Allow"
    assert set(statement["Action"]) == expected
    assert len(statement["Action"]) == len(expected), "an action is listed twice"


def test_policy_names_real_actions_on_the_table_and_its_index_only() -> None:
    """Every action exists in IAM; the resources are the table and gsi1, nothing wider."""
    known = {a.lower() for a in load_resource("cfnlint.data.AdditionalSpecs", "Policies.json")
             ["dynamodb"]["Actions"]}
    (statement,) = function_statements()
    for action in statement["Action"]:
        service, _, name = action.partition(":")
        assert (service, name.lower() in known) == ("dynamodb", True), action
    assert json.loads(json.dumps(statement["Resource"])) == [
        {"Fn::GetAtt": ["Table", "Arn"]}, {"Fn::Sub": "${Table.Arn}/index/gsi1"}]


def test_table_is_protected() -> None:
    """Point-in-time recovery, deletion protection, KMS encryption, retained on stack delete."""
    table = template()["Resources"]["Table"]
    props = table["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["DeletionProtectionEnabled"] is True
    assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")


def _shape(table: dict[str, Any]) -> dict[str, Any]:
    def name(item: dict[str, Any]) -> str:
        return str(item["AttributeName"])

    return {
        "KeySchema": table["KeySchema"],
        "AttributeDefinitions": sorted(table["AttributeDefinitions"], key=name),
        "BillingMode": table["BillingModeSummary"]["BillingMode"],
        "GlobalSecondaryIndexes": sorted(
            ({k: g[k] for k in ("IndexName", "KeySchema", "Projection")}
             for g in table["GlobalSecondaryIndexes"]), key=lambda g: str(g["IndexName"])),
    }


async def test_template_table_matches_what_dynaguard_creates(dynamodb_endpoint: str) -> None:
    """The table part, created by CloudFormation, equals ensure_table's table, and
    ensure_table then accepts it as it is, with read-only calls."""
    table_only = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"TableName": template()["Parameters"]["TableName"]},
        "Resources": {"Table": template()["Resources"]["Table"]},
    }
    from_template, from_code = (f"t-{uuid.uuid4().hex[:12]}" for _ in range(2))
    aws = {"endpoint_url": dynamodb_endpoint, "region_name": "us-east-1",
           "aws_access_key_id": "local", "aws_secret_access_key": "local"}
    cloudformation = boto3.client("cloudformation", **aws)
    stack = f"s-{uuid.uuid4().hex[:12]}"
    cloudformation.create_stack(
        StackName=stack, TemplateBody=json.dumps(table_only),
        Parameters=[{"ParameterKey": "TableName", "ParameterValue": from_template}],
    )
    (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    assert described["StackStatus"] == "CREATE_COMPLETE"

    async with open_client(dynamodb_endpoint, "us-east-1") as client:
        assert await ensure_table(Dynamo(client, from_code)) is True
        made = (await client.describe_table(TableName=from_template))["Table"]
        assert made["DeletionProtectionEnabled"] is True
        # moto's CloudFormation skips TimeToLiveSpecification (AWS applies it) and reads
        # SSESpecification under the API's names (test_table_is_protected covers both).
        ttl_spec = table_only["Resources"]["Table"]["Properties"]["TimeToLiveSpecification"]
        assert ttl_spec == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
        await client.update_time_to_live(TableName=from_template,
                                         TimeToLiveSpecification=dict(ttl_spec))
        calls: list[str] = []

        def record(model: Any, **_: Any) -> None:
            calls.append(model.name)

        client.meta.events.register("before-call.dynamodb", record)
        assert await ensure_table(Dynamo(client, from_template)) is False
        assert set(calls) == {"DescribeTable", "DescribeTimeToLive"}

        tables = [(await client.describe_table(TableName=t))["Table"]
                  for t in (from_template, from_code)]
    assert _shape(tables[0]) == _shape(tables[1])
    assert _shape(tables[0])["BillingMode"] == "PAY_PER_REQUEST"


def test_image_runs_the_lambda_entry_point() -> None:
    """The Dockerfile the template builds exists and starts the module-level handler."""
    metadata = template()["Resources"]["Function"]["Metadata"]
    context = (TEMPLATE.parent / metadata["DockerContext"]).resolve()
    dockerfile = (context / metadata["Dockerfile"]).read_text()
    (cmd,) = re.findall(r"^CMD \[\"([\w.]+)\"\]$", dockerfile, flags=re.MULTILINE)
    module, _, attribute = cmd.rpartition(".")
    source = SRC.parent / (module.replace(".", "/") + ".py")
    tree = ast.parse(source.read_text())
    assigned = {t.id for node in tree.body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    assert attribute in assigned, (cmd, assigned)
