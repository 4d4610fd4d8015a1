"""The single-table layout: key builders, the table definition and idempotent creation.

    entity          pk                  sk              gsi1pk / gsi1sk
    user            USER#<id>           PROFILE         USERS / <email>
    email claim     EMAIL#<email>       CLAIM
    session         USER#<id>           SESSION#<sid>
    refresh token   REFRESH#<sha256>    REFRESH
    one-time token  TOKEN#<sha256>      TOKEN
    signing key     KEYRING             KEY#<kid>
    note            USER#<id>           NOTE#<id>
    TOTP factor     USER#<id>           MFA#TOTP
    recovery code   USER#<id>           MFA#RC#<hmac>
    passkey         USER#<id>           MFA#PASSKEY#<sha256(credential id)>
    passkey claim   PASSKEY#<sha256>    CLAIM
    step-up ticket  MFATICKET#<sha256>  TICKET
    password reset  USER#<id>           RESET           (the newest reset token of the user)
    email change    USER#<id>           EMAIL_CHANGE    (the pending new address)

``expires_at`` (epoch seconds) is the TTL attribute; TTL deletion is lazy, so every read
also filters expired items itself.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from dynaguard.store.client import Dynamo, error_code

__all__ = [
    "TTL_ATTRIBUTE",
    "claim_key",
    "email_change_key",
    "ensure_table",
    "key",
    "note_key",
    "refresh_key",
    "reset_key",
    "session_key",
    "table_definition",
    "token_key",
    "user_key",
]

TTL_ATTRIBUTE = "expires_at"
GSI1 = "gsi1"


def key(pk: str, sk: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def user_key(user_id: str) -> dict[str, dict[str, str]]:
    return key(f"USER#{user_id}", "PROFILE")


def claim_key(email: str) -> dict[str, dict[str, str]]:
    return key(f"EMAIL#{email}", "CLAIM")


def session_key(user_id: str, sid: str) -> dict[str, dict[str, str]]:
    return key(f"USER#{user_id}", f"SESSION#{sid}")


def refresh_key(token_hash: str) -> dict[str, dict[str, str]]:
    return key(f"REFRESH#{token_hash}", "REFRESH")


def token_key(token_hash: str) -> dict[str, dict[str, str]]:
    return key(f"TOKEN#{token_hash}", "TOKEN")


def note_key(user_id: str, note_id: str) -> dict[str, dict[str, str]]:
    return key(f"USER#{user_id}", f"NOTE#{note_id}")


def reset_key(user_id: str) -> dict[str, dict[str, str]]:
    return key(f"USER#{user_id}", "RESET")


def email_change_key(user_id: str) -> dict[str, dict[str, str]]:
    return key(f"USER#{user_id}", "EMAIL_CHANGE")


def table_definition(table: str) -> dict[str, Any]:
    """CreateTable arguments: on-demand, string keys, one GSI projecting everything."""
    return {
        "TableName": table,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"}
            for name in ("pk", "sk", "gsi1pk", "gsi1sk")
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": GSI1,
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    }


async def ensure_table(db: Dynamo) -> bool:
    """Create the table with TTL on if it does not exist; True when it was created.

    It looks before it writes: on a table that exists with TTL on (one made by
    ``deploy/template.yaml``) only ``DescribeTable`` and ``DescribeTimeToLive`` are called,
    so a deployed service needs no right to create or change tables.
    """
    created = False
    try:
        await db.client.describe_table(TableName=db.table)
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        created = await _create_table(db)
    waiter = db.client.get_waiter("table_exists")
    await waiter.wait(TableName=db.table, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    ttl = await db.client.describe_time_to_live(TableName=db.table)
    if ttl["TimeToLiveDescription"].get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        await db.client.update_time_to_live(
            TableName=db.table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
    return created


async def _create_table(db: Dynamo) -> bool:
    try:
        await db.client.create_table(**table_definition(db.table))
    except ClientError as error:
        if error_code(error) != "ResourceInUseException":
            raise
        return False  # another process created it between our look and our write
    return True
