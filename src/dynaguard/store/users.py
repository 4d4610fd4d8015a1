"""Users and their email claims.

An email belongs to at most one account: the user item and its claim item are written in
one ``TransactWriteItems``, each guarded by ``attribute_not_exists``.

Every session carries a copy of its account's state: a write here that changes enabled,
the credentials version, email, email_verified, scopes or mfa_enabled takes effect on
requests only once ``AccountSync.push`` has run, and must not be answered before
(``store.account_sync``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

from botocore.exceptions import ClientError

from dynaguard.errors import StoreUnavailable
from dynaguard.store.client import Dynamo, cancellation_codes, cancelled_by_condition, error_code
from dynaguard.store.codec import encode_item
from dynaguard.store.items import AccountState, EmailClaimItem, UserItem, parse_item
from dynaguard.store.schema import claim_key, user_key

# A disabled profile read in place of a missing account at login (see guard.flows.login).
DECOY_ID = "decoy"

__all__ = ["DECOY_ID", "EmailTaken", "UserRepository", "normalize_email"]


class EmailTaken(Exception):
    """The email already belongs to an account."""


def normalize_email(email: str) -> str:
    """The form an email is stored and looked up in."""
    return email.strip().lower()


class UserRepository:
    def __init__(self, db: Dynamo) -> None:
        self.db = db

    def new_user(self, email: str, password_hash: str, scopes: list[str]) -> UserItem:
        uid = uuid.uuid4().hex
        return UserItem(
            pk=f"USER#{uid}", sk="PROFILE", gsi1pk="USERS", gsi1sk=email, id=uid, email=email,
            password_hash=password_hash, enabled=True, email_verified=False, scopes=scopes,
            credentials_version=0, mfa_enabled=False, created_at=int(time.time()),
        )

    def create_puts(self, user: UserItem) -> list[dict[str, object]]:
        """Transaction items that create ``user`` and claim its email, both only if new."""
        claim = EmailClaimItem(pk=f"EMAIL#{user.email}", sk="CLAIM", user_id=user.id)
        return [
            {"Put": {"TableName": self.db.table, "Item": encode_item(claim.model_dump()),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": self.db.table, "Item": encode_item(user.model_dump()),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        ]

    async def create(self, user: UserItem, extra: Sequence[dict[str, object]] = ()) -> None:
        """Create the user (and ``extra`` writes) atomically; raise EmailTaken on a clash."""
        items = [*self.create_puts(user), *extra]
        try:
            await self.db.call(self.db.client.transact_write_items, TransactItems=items)
        except ClientError as error:
            if not cancelled_by_condition(error):
                raise
            if cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:
                raise EmailTaken from None
            # A concurrent registration of the same email holds the claim right now.
            raise StoreUnavailable from None

    async def ensure_decoy(self, password_hash: str) -> None:
        """Store the decoy profile once: disabled, unverified, claimed by no email, and
        outside the user index, so it can never sign in or be listed."""
        decoy = UserItem(
            pk=f"USER#{DECOY_ID}", sk="PROFILE", gsi1pk="DECOY", gsi1sk=DECOY_ID, id=DECOY_ID,
            email="decoy@decoy.invalid", password_hash=password_hash, enabled=False,
            email_verified=False, scopes=[], credentials_version=0, mfa_enabled=False,
            created_at=int(time.time()),
        )
        try:
            await self.db.call(
                self.db.client.put_item, TableName=self.db.table,
                Item=encode_item(decoy.model_dump()),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise

    async def user_id_for_email(self, email: str) -> str | None:
        """The id claiming ``email``, read consistently; None when unclaimed."""
        found = await self.db.call(
            self.db.client.get_item, TableName=self.db.table, Key=claim_key(email),
            ConsistentRead=True,
        )
        if "Item" not in found:
            return None
        return parse_item(EmailClaimItem, found["Item"]).user_id

    async def get(self, user_id: str) -> UserItem | None:
        """The user, read consistently; None when absent or expired. Corrupt items raise."""
        found = await self.db.call(
            self.db.client.get_item, TableName=self.db.table, Key=user_key(user_id),
            ConsistentRead=True,
        )
        if "Item" not in found:
            return None
        user = parse_item(UserItem, found["Item"])
        return None if user.expired() else user

    async def set_password_hash(self, user: UserItem, new_hash: str) -> bool:
        """Replace the hash only if it is still the one we read (a rehash must not race)."""
        try:
            await self.db.call(
                self.db.client.update_item, TableName=self.db.table, Key=user_key(user.id),
                UpdateExpression="SET password_hash = :new",
                ConditionExpression="password_hash = :old",
                ExpressionAttributeValues={":new": {"S": new_hash},
                                           ":old": {"S": user.password_hash}},
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    async def set_enabled(self, user_id: str, enabled: bool) -> None:
        """Enable or disable an account (then push it: its sessions end)."""
        await self.db.call(
            self.db.client.update_item, TableName=self.db.table, Key=user_key(user_id),
            UpdateExpression="SET enabled = :e ADD credentials_version :one",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":e": {"BOOL": enabled}, ":one": {"N": "1"}},
        )

    async def bump_credentials_version(self, user_id: str) -> int:
        """Move the account to its next credentials version (then push it: every session
        ends); returns the new version."""
        result = await self.db.call(
            self.db.client.update_item, TableName=self.db.table, Key=user_key(user_id),
            UpdateExpression="ADD credentials_version :one",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(result["Attributes"]["credentials_version"]["N"])

    def unchanged_check(self, state: AccountState) -> dict[str, object]:
        """Transaction item that holds only while the account is enabled and still exactly
        as ``state`` copies it: what a session is created, refreshed or brought up to date
        under (see ``store.account_sync``)."""
        return {"ConditionCheck": {
            "TableName": self.db.table, "Key": user_key(state.id),
            "ConditionExpression": (
                "#en = :t AND #cv = :cv AND #em = :em AND #ev = :ev AND #sc = :sc"
                " AND #mfa = :mfa"),
            "ExpressionAttributeNames": {
                "#en": "enabled", "#cv": "credentials_version", "#em": "email",
                "#ev": "email_verified", "#sc": "scopes", "#mfa": "mfa_enabled"},
            "ExpressionAttributeValues": {
                ":t": {"BOOL": True}, ":cv": {"N": str(state.credentials_version)},
                ":em": {"S": state.email}, ":ev": {"BOOL": state.email_verified},
                ":sc": {"L": [{"S": s} for s in state.scopes]},
                ":mfa": {"BOOL": state.mfa_enabled}},
        }}

    def verify_email_update(self, user_id: str) -> dict[str, object]:
        """Transaction item marking the user's email as verified."""
        return {"Update": {
            "TableName": self.db.table, "Key": user_key(user_id),
            "UpdateExpression": "SET email_verified = :t",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": {":t": {"BOOL": True}},
        }}

    def replace_password(
        self, user: UserItem, new_hash: str, *, verify_email: bool = False
    ) -> dict[str, object]:
        """Transaction item setting a new hash and bumping the credentials version, which
        ends every session; only if the account is still as ``user`` was read."""
        sets = "password_hash = :new" + (", email_verified = :t" if verify_email else "")
        return {"Update": {
            "TableName": self.db.table, "Key": user_key(user.id),
            "UpdateExpression": f"SET {sets} ADD credentials_version :one",
            "ConditionExpression": (
                "credentials_version = :cv AND password_hash = :old AND enabled = :t"),
            "ExpressionAttributeValues": {
                ":new": {"S": new_hash}, ":old": {"S": user.password_hash},
                ":cv": {"N": str(user.credentials_version)}, ":one": {"N": "1"},
                ":t": {"BOOL": True}},
        }}

    def change_email_ops(self, user: UserItem, new_email: str) -> list[dict[str, object]]:
        """Transaction items moving ``user`` to ``new_email``: release the old claim, take
        the new one only if unclaimed, and switch the user only if still at the old email."""
        claim = EmailClaimItem(pk=f"EMAIL#{new_email}", sk="CLAIM", user_id=user.id)
        return [
            {"Delete": {
                "TableName": self.db.table, "Key": claim_key(user.email),
                "ConditionExpression": "user_id = :u",
                "ExpressionAttributeValues": {":u": {"S": user.id}},
            }},
            {"Put": {"TableName": self.db.table, "Item": encode_item(claim.model_dump()),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Update": {
                "TableName": self.db.table, "Key": user_key(user.id),
                "UpdateExpression": "SET email = :new, gsi1sk = :new, email_verified = :t",
                "ConditionExpression": (
                    "email = :old AND enabled = :t AND credentials_version = :cv"),
                "ExpressionAttributeValues": {":new": {"S": new_email}, ":old": {"S": user.email},
                                              ":t": {"BOOL": True},
                                              ":cv": {"N": str(user.credentials_version)}},
            }},
        ]
