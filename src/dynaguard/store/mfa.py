"""Second factors of a user (TOTP, recovery codes, passkeys) and step-up tickets.

Every single-use thing here is spent by a conditional write: a TOTP time step only moves
forward (``last_step < :step``), a recovery code flips ``used`` once, a passkey's signature
counter changes only from the value that was read, a ticket is used once before it expires.
The factor items live under the user's partition, so one consistent query reads them all.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from dynaguard.errors import StoreUnavailable
from dynaguard.store.client import Dynamo, cancellation_codes, error_code
from dynaguard.store.codec import encode_item
from dynaguard.store.items import (
    MfaTicketItem,
    PasskeyClaimItem,
    PasskeyItem,
    RecoveryCodeItem,
    TotpItem,
    UserItem,
    parse_item,
)
from dynaguard.store.schema import key, user_key

__all__ = ["FactorState", "MfaRepository", "WriteRefused", "passkey_digest"]

Op = dict[str, object]
TOTP_SK = "MFA#TOTP"
RC_PREFIX = "MFA#RC#"
PASSKEY_PREFIX = "MFA#PASSKEY#"


class WriteRefused(Exception):
    """A conditional write found the item changed: already used, replayed or gone."""


def _refused_by_condition(error: ClientError) -> bool:
    """A transaction cancelled by a condition (or a racing transaction) is a refusal; one
    cancelled for capacity is an outage, never a refusal the caller could act on."""
    if error_code(error) != "TransactionCanceledException":
        return False
    codes = set(cancellation_codes(error))
    if codes & {"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}:
        raise StoreUnavailable from None
    return bool(codes & {"ConditionalCheckFailed", "TransactionConflict"})


def passkey_digest(credential_id: str) -> str:
    """Key form of a credential id (ids may be longer than a sort key may be)."""
    return hashlib.sha256(credential_id.encode()).hexdigest()


def _ticket_key(ticket_hash: str) -> dict[str, dict[str, str]]:
    return key(f"MFATICKET#{ticket_hash}", "TICKET")


@dataclass(frozen=True)
class FactorState:
    """Everything a user has enrolled, as read in one consistent query."""

    totp: TotpItem | None = None
    recovery: list[RecoveryCodeItem] = field(default_factory=list)
    passkeys: list[PasskeyItem] = field(default_factory=list)

    @property
    def totp_on(self) -> bool:
        return self.totp is not None and self.totp.confirmed

    @property
    def codes_left(self) -> int:
        return sum(not c.used for c in self.recovery)

    @property
    def any_factor(self) -> bool:
        return self.totp_on or bool(self.passkeys)


class MfaRepository:
    def __init__(self, db: Dynamo) -> None:
        self.db = db

    def _put(self, values: dict[str, object], condition: str = "attribute_not_exists(pk)") -> Op:
        return {"Put": {"TableName": self.db.table, "Item": encode_item(values),
                        "ConditionExpression": condition}}

    async def transact(self, ops: Sequence[Op]) -> None:
        """Apply ``ops`` all or none; WriteRefused when a condition fails."""
        try:
            await self.db.call(self.db.client.transact_write_items, TransactItems=list(ops))
        except ClientError as error:
            if _refused_by_condition(error):
                raise WriteRefused from None
            raise

    async def factors(self, user_id: str) -> FactorState:
        """The user's factors, read consistently; expired pending setups are left out."""
        totp: TotpItem | None = None
        codes: list[RecoveryCodeItem] = []
        passkeys: list[PasskeyItem] = []
        kwargs: dict[str, object] = {
            "TableName": self.db.table, "ConsistentRead": True,
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :m)",
            "ExpressionAttributeValues": {":p": {"S": f"USER#{user_id}"}, ":m": {"S": "MFA#"}},
        }
        while True:
            page = await self.db.call(self.db.client.query, **kwargs)
            for raw in page.get("Items", []):
                sk = raw.get("sk", {}).get("S", "")
                if sk == TOTP_SK:
                    item = parse_item(TotpItem, raw)
                    totp = None if item.expired() else item
                elif sk.startswith(RC_PREFIX):
                    codes.append(parse_item(RecoveryCodeItem, raw))
                elif sk.startswith(PASSKEY_PREFIX):
                    passkeys.append(parse_item(PasskeyItem, raw))
            if "LastEvaluatedKey" not in page:
                return FactorState(totp, codes, passkeys)
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # -- TOTP ---------------------------------------------------------------------------

    async def put_pending_totp(self, user_id: str, sealed: bytes, ttl: int) -> None:
        """Store an unconfirmed secret, replacing an older unconfirmed one only."""
        now = int(time.time())
        item = TotpItem(pk=f"USER#{user_id}", sk=TOTP_SK, user_id=user_id, secret_sealed=sealed,
                        confirmed=False, last_step=0, created_at=now, expires_at=now + ttl)
        try:
            await self.db.call(
                self.db.client.put_item, TableName=self.db.table,
                Item=encode_item(item.model_dump()),
                ConditionExpression="attribute_not_exists(pk) OR confirmed = :f",
                ExpressionAttributeValues={":f": {"BOOL": False}},
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise WriteRefused from None
            raise

    def confirm_totp_op(self, item: TotpItem, step: int) -> Op:
        """Confirm exactly the pending secret that was read (and checked) at ``step``."""
        return {"Update": {
            "TableName": self.db.table, "Key": key(item.pk, item.sk),
            "UpdateExpression": "SET confirmed = :t, last_step = :s REMOVE expires_at",
            "ConditionExpression": "confirmed = :f AND secret_sealed = :sealed",
            "ExpressionAttributeValues": {":t": {"BOOL": True}, ":f": {"BOOL": False},
                                          ":s": {"N": str(step)},
                                          ":sealed": {"B": item.secret_sealed}},
        }}

    def totp_step_op(self, user_id: str, step: int) -> Op:
        """Accept time step ``step`` only if no later or equal step was accepted (replay)."""
        return {"Update": {
            "TableName": self.db.table, "Key": key(f"USER#{user_id}", TOTP_SK),
            "UpdateExpression": "SET last_step = :s",
            "ConditionExpression": "confirmed = :t AND last_step < :s",
            "ExpressionAttributeValues": {":t": {"BOOL": True}, ":s": {"N": str(step)}},
        }}

    def delete_totp_op(self, user_id: str) -> Op:
        return {"Delete": {"TableName": self.db.table, "Key": key(f"USER#{user_id}", TOTP_SK)}}

    # -- recovery codes -----------------------------------------------------------------

    def put_recovery_ops(self, user_id: str, digests: Sequence[str]) -> list[Op]:
        now = int(time.time())
        return [
            self._put(RecoveryCodeItem(pk=f"USER#{user_id}", sk=f"{RC_PREFIX}{d}", user_id=user_id,
                                       used=False, created_at=now).model_dump())
            for d in digests
        ]

    def delete_ops(self, items: Sequence[RecoveryCodeItem | PasskeyItem]) -> list[Op]:
        return [{"Delete": {"TableName": self.db.table, "Key": key(i.pk, i.sk)}} for i in items]

    def spend_recovery_op(self, user_id: str, digest: str) -> Op:
        return {"Update": {
            "TableName": self.db.table, "Key": key(f"USER#{user_id}", f"{RC_PREFIX}{digest}"),
            "UpdateExpression": "SET used = :t",
            "ConditionExpression": "attribute_exists(pk) AND used = :f",
            "ExpressionAttributeValues": {":t": {"BOOL": True}, ":f": {"BOOL": False}},
        }}

    # -- passkeys -----------------------------------------------------------------------

    def new_passkey(self, user_id: str, credential_id: str, *, public_key: bytes,
                    sign_count: int, transports: list[str], name: str) -> PasskeyItem:
        now = int(time.time())
        return PasskeyItem(
            pk=f"USER#{user_id}", sk=f"{PASSKEY_PREFIX}{passkey_digest(credential_id)}",
            user_id=user_id, credential_id=credential_id, public_key=public_key,
            sign_count=sign_count, transports=transports, name=name, created_at=now,
            last_used_at=now,
        )

    def add_passkey_ops(self, item: PasskeyItem) -> list[Op]:
        """Store the passkey and claim its credential id (an id belongs to one account)."""
        claim = PasskeyClaimItem(pk=f"PASSKEY#{passkey_digest(item.credential_id)}", sk="CLAIM",
                                 user_id=item.user_id)
        return [self._put(claim.model_dump()), self._put(item.model_dump())]

    def remove_passkey_ops(self, item: PasskeyItem) -> list[Op]:
        claim = key(f"PASSKEY#{passkey_digest(item.credential_id)}", "CLAIM")
        return [*self.delete_ops([item]), {"Delete": {"TableName": self.db.table, "Key": claim}}]

    async def passkey(self, credential_id: str) -> PasskeyItem | None:
        """The passkey with this credential id, whoever owns it; None when unknown."""
        digest = passkey_digest(credential_id)
        found = await self.db.call(
            self.db.client.get_item, TableName=self.db.table, ConsistentRead=True,
            Key=key(f"PASSKEY#{digest}", "CLAIM"),
        )
        if "Item" not in found:
            return None
        owner = parse_item(PasskeyClaimItem, found["Item"]).user_id
        found = await self.db.call(
            self.db.client.get_item, TableName=self.db.table, ConsistentRead=True,
            Key=key(f"USER#{owner}", f"{PASSKEY_PREFIX}{digest}"),
        )
        if "Item" not in found:
            return None
        item = parse_item(PasskeyItem, found["Item"])
        return item if item.credential_id == credential_id else None

    def passkey_used_op(self, item: PasskeyItem, new_count: int) -> Op:
        """Move the signature counter on from exactly the value that was checked."""
        return {"Update": {
            "TableName": self.db.table, "Key": key(item.pk, item.sk),
            "UpdateExpression": "SET sign_count = :new, last_used_at = :now",
            "ConditionExpression": "sign_count = :old",
            "ExpressionAttributeValues": {":new": {"N": str(new_count)},
                                          ":old": {"N": str(item.sign_count)},
                                          ":now": {"N": str(int(time.time()))}},
        }}

    # -- the user's flag ----------------------------------------------------------------

    def set_mfa_enabled_op(self, user_id: str, enabled: bool) -> Op:
        return {"Update": {
            "TableName": self.db.table, "Key": user_key(user_id),
            "UpdateExpression": "SET mfa_enabled = :e",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": {":e": {"BOOL": enabled}},
        }}

    # -- step-up tickets ----------------------------------------------------------------

    async def put_ticket(
        self, ticket_hash: str, user: UserItem, scopes: Sequence[str] | None, ttl: int
    ) -> None:
        now = int(time.time())
        item = MfaTicketItem(
            pk=f"MFATICKET#{ticket_hash}", sk="TICKET", user_id=user.id,
            scopes=list(scopes) if scopes is not None else None,
            credentials_version=user.credentials_version, used=False, created_at=now,
            expires_at=now + ttl,
        )
        await self.db.call(self.db.client.put_item, TableName=self.db.table,
                           Item=encode_item(item.model_dump()),
                           ConditionExpression="attribute_not_exists(pk)")

    async def ticket(self, ticket_hash: str) -> MfaTicketItem | None:
        """The live, unused ticket; None otherwise (corrupt items raise)."""
        found = await self.db.call(
            self.db.client.get_item, TableName=self.db.table, Key=_ticket_key(ticket_hash),
            ConsistentRead=True,
        )
        if "Item" not in found:
            return None
        item = parse_item(MfaTicketItem, found["Item"])
        return None if item.used or item.expired() else item

    def spend_ticket_op(self, ticket_hash: str, user_id: str) -> Op:
        return {"Update": {
            "TableName": self.db.table, "Key": _ticket_key(ticket_hash),
            "UpdateExpression": "SET used = :t",
            "ConditionExpression": "used = :f AND user_id = :u AND expires_at > :now",
            "ExpressionAttributeValues": {":t": {"BOOL": True}, ":f": {"BOOL": False},
                                          ":u": {"S": user_id},
                                          ":now": {"N": str(int(time.time()))}},
        }}
