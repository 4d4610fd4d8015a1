"""The lab's DynamoDB items, kept raw on purpose.

The lab shows the pitfalls of hand-written DynamoDB code, so it hands the raw low-level
items (``{"enabled": {"BOOL": true}}``) to the code that reads them; the flaw switches
decide whether that reading is careful or not.

    entity          pk                  sk            gsi1pk / gsi1sk
    user            USER#<id>           PROFILE       USERS / <email>
    email claim     EMAIL#<email>       CLAIM
    session         SESSION#<sid>       SESSION
    refresh token   REFRESH#<sha256>    REFRESH
    one-time token  TOKEN#<key>         VERIFY|RESET
    note            NOTE#<id>           NOTE          OWNER#<user id> / <created>#<id>
    failures        THROTTLE#<id>       WINDOW#<n>    (id: an email, or mfa:<user id>)
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from botocore.exceptions import ClientError

from dynaguard.lab.attributes import int_attr
from dynaguard.store.client import Dynamo, cancellation_codes, error_code

__all__ = ["DECOY_USER_ID", "EmailTaken", "LabStore", "RawItem", "key"]

RawItem = dict[str, Any]
CONDITION_FAILED = "ConditionalCheckFailedException"
CLAIM_TAKEN = "ConditionalCheckFailed"  # a cancelled transaction names the reason so


# The account item an unknown email's login reads, so that it reads an item of the same
# shape as a known email's (an engine answers a found item measurably slower than none).
DECOY_USER_ID = "decoy"


class EmailTaken(Exception):
    """Registration of an email that already has an account."""


def key(pk: str, sk: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


class LabStore:
    """Reads and writes of the lab's items; conditional wherever two requests can race."""

    def __init__(self, db: Dynamo) -> None:
        self.db = db
        self.table = db.table

    async def _get(self, pk: str, sk: str) -> RawItem | None:
        found = await self.db.call(self.db.client.get_item, TableName=self.table,
                                   Key=key(pk, sk), ConsistentRead=True)
        item: RawItem | None = found.get("Item")
        return item

    async def _put(self, item: RawItem, *, new: bool = False) -> None:
        extra = {"ConditionExpression": "attribute_not_exists(pk)"} if new else {}
        await self.db.call(self.db.client.put_item, TableName=self.table, Item=item, **extra)

    async def _update(self, pk: str, sk: str, expression: str, values: RawItem,
                      condition: str = "attribute_exists(pk)") -> bool:
        """Run an update; False when its condition did not hold."""
        try:
            await self.db.call(self.db.client.update_item, TableName=self.table,
                               Key=key(pk, sk), UpdateExpression=expression,
                               ConditionExpression=condition, ExpressionAttributeValues=values)
        except ClientError as error:
            if error_code(error) == CONDITION_FAILED:
                return False
            raise
        return True

    # users -------------------------------------------------------------------------
    async def create_user(self, user: RawItem) -> None:
        """Store a user and claim its email in one transaction; raise EmailTaken."""
        email = user["email"]["S"]
        claim = {**key(f"EMAIL#{email}", "CLAIM"), "user_id": user["id"]}
        try:
            await self.db.call(self.db.client.transact_write_items, TransactItems=[
                {"Put": {"TableName": self.table, "Item": user,
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Put": {"TableName": self.table, "Item": claim,
                         "ConditionExpression": "attribute_not_exists(pk)"}},
            ])
        except ClientError as error:
            if CLAIM_TAKEN in cancellation_codes(error):
                raise EmailTaken(email) from None
            raise

    async def user_id_for_email(self, email: str) -> str | None:
        claim = await self._get(f"EMAIL#{email}", "CLAIM")
        if claim is None or "S" not in claim.get("user_id", {}):
            return None
        return str(claim["user_id"]["S"])

    async def get_user(self, user_id: str) -> RawItem | None:
        return await self._get(f"USER#{user_id}", "PROFILE")

    async def put_decoy(self, item: RawItem) -> None:
        """Store the decoy account (no email claims it, so no login can reach it), out of
        the user listing's index."""
        await self._put({**item, "gsi1pk": _s("DECOY")})

    async def list_users(self) -> list[RawItem]:
        page = await self.db.call(
            self.db.client.query, TableName=self.table, IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :p", ExpressionAttributeValues={":p": _s("USERS")},
        )
        items: list[RawItem] = page.get("Items", [])
        return items

    async def confirm_email(self, user_id: str) -> None:
        await self._update(f"USER#{user_id}", "PROFILE", "SET email_confirmed = :t",
                           {":t": {"BOOL": True}})

    async def set_password(self, user_id: str, password_hash: str, *, revoke: bool) -> int:
        """Store a new hash; with ``revoke`` bump the credentials version. Returns it."""
        expression, values = "SET password_hash = :h", {":h": _s(password_hash)}
        if revoke:
            expression += " ADD credentials_version :one"
            values[":one"] = _n(1)
        found = await self.db.call(
            self.db.client.update_item, TableName=self.table,
            Key=key(f"USER#{user_id}", "PROFILE"), UpdateExpression=expression,
            ConditionExpression="attribute_exists(pk)", ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        return int(found["Attributes"].get("credentials_version", {"N": "0"})["N"])

    async def bump_credentials_version(self, user_id: str) -> int:
        found = await self.db.call(
            self.db.client.update_item, TableName=self.table,
            Key=key(f"USER#{user_id}", "PROFILE"), UpdateExpression="ADD credentials_version :one",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":one": _n(1)}, ReturnValues="ALL_NEW",
        )
        return int(found["Attributes"]["credentials_version"]["N"])

    # sessions and refresh tokens ---------------------------------------------------------
    async def put_session(self, session: RawItem) -> None:
        await self._put(session)

    async def get_session(self, sid: str) -> RawItem | None:
        return await self._get(f"SESSION#{sid}", "SESSION")

    async def revoke_session(self, sid: str) -> None:
        await self._update(f"SESSION#{sid}", "SESSION", "SET revoked = :t", {":t": {"BOOL": True}})

    async def set_session_version(self, sid: str, version: int) -> None:
        await self._update(f"SESSION#{sid}", "SESSION", "SET version = :v", {":v": _n(version)})

    async def put_refresh(self, token_hash: str, sid: str, user_id: str, expires_at: int) -> None:
        await self._put({**key(f"REFRESH#{token_hash}", "REFRESH"), "sid": _s(sid),
                         "user_id": _s(user_id), "used": {"BOOL": False},
                         "expires_at": _n(expires_at)}, new=True)

    async def get_refresh(self, token_hash: str) -> RawItem | None:
        return await self._get(f"REFRESH#{token_hash}", "REFRESH")

    async def mark_refresh_used(self, token_hash: str) -> bool:
        """Mark a refresh token used; False if it already was (a replay)."""
        return await self._update(f"REFRESH#{token_hash}", "REFRESH", "SET used = :t",
                                  {":t": {"BOOL": True}, ":f": {"BOOL": False}},
                                  condition="used = :f")

    # one-time tokens (email verification, password reset) -----------------------------
    async def put_token(self, kind: str, token_key: str, user_id: str,
                        expires_at: int | None, *, new: bool = True) -> None:
        """Store a one-time token; without ``expires_at`` it never expires."""
        item: RawItem = {**key(f"TOKEN#{token_key}", kind), "user_id": _s(user_id)}
        if expires_at is not None:
            item["expires_at"] = _n(expires_at)
        await self._put(item, new=new)

    async def get_token(self, kind: str, token_key: str) -> RawItem | None:
        return await self._get(f"TOKEN#{token_key}", kind)

    async def take_token(self, kind: str, token_key: str) -> RawItem | None:
        """Delete a token and return it; None if it was not there (or already taken)."""
        try:
            found = await self.db.call(
                self.db.client.delete_item, TableName=self.table,
                Key=key(f"TOKEN#{token_key}", kind),
                ConditionExpression="attribute_exists(pk)", ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if error_code(error) == CONDITION_FAILED:
                return None
            raise
        item: RawItem | None = found.get("Attributes")
        return item

    # notes -----------------------------------------------------------------------------
    async def add_note(self, owner: str, text: str) -> RawItem:
        note_id = uuid.uuid4().hex
        now = int(time.time())
        note = {**key(f"NOTE#{note_id}", "NOTE"), "id": _s(note_id), "owner": _s(owner),
                "text": _s(text), "created_at": _n(now),
                "gsi1pk": _s(f"OWNER#{owner}"), "gsi1sk": _s(f"{now:012d}#{note_id}")}
        await self._put(note, new=True)
        return note

    async def get_note(self, note_id: str) -> RawItem | None:
        return await self._get(f"NOTE#{note_id}", "NOTE")

    async def delete_note(self, note_id: str) -> bool:
        try:
            await self.db.call(self.db.client.delete_item, TableName=self.table,
                               Key=key(f"NOTE#{note_id}", "NOTE"),
                               ConditionExpression="attribute_exists(pk)")
        except ClientError as error:
            if error_code(error) == CONDITION_FAILED:
                return False
            raise
        return True

    async def notes_of(self, owner: str) -> list[RawItem]:
        page = await self.db.call(
            self.db.client.query, TableName=self.table, IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": _s(f"OWNER#{owner}")},
        )
        items: list[RawItem] = page.get("Items", [])
        return items

    # login failures --------------------------------------------------------------------
    async def failures(self, identifier: str, window: int) -> int:
        item = await self._get(f"THROTTLE#{identifier}", f"WINDOW#{window}")
        return (int_attr(item, "failures") or 0) if item else 0

    async def add_failure(self, identifier: str, window: int, expires_at: int) -> None:
        """Count one failure atomically (ADD), whether or not the account exists."""
        await self.db.call(
            self.db.client.update_item, TableName=self.table,
            Key=key(f"THROTTLE#{identifier}", f"WINDOW#{window}"),
            UpdateExpression="ADD failures :one SET expires_at = :e",
            ExpressionAttributeValues={":one": _n(1), ":e": _n(expires_at)},
        )
