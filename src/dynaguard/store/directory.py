"""The user directory for administrators: listing, searching by email prefix, scope changes.

Listing reads the GSI (``USERS`` / email), which is eventually consistent: it is for
display only, never for a decision. Scope changes are conditional writes, so two
administrators changing one account at once cannot lose each other's change.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from dynaguard.errors import Conflict, NotFound
from dynaguard.store.client import Dynamo, error_code
from dynaguard.store.items import UserItem, parse_item
from dynaguard.store.schema import GSI1, user_key

__all__ = ["MAX_SCOPES", "UserDirectory", "UserPage"]

MAX_SCOPES = 64
_REMOVE_ATTEMPTS = 5


@dataclass(frozen=True)
class UserPage:
    users: list[UserItem]
    # (user id, email) of the last user shown, where the next page starts; None at the end.
    after: tuple[str, str] | None


class UserDirectory:
    def __init__(self, db: Dynamo) -> None:
        self.db = db

    async def search(
        self, email_prefix: str = "", *, limit: int = 50, after: tuple[str, str] | None = None
    ) -> UserPage:
        """Users whose email starts with ``email_prefix``, in email order."""
        condition = "gsi1pk = :u"
        values: dict[str, object] = {":u": {"S": "USERS"}}
        if email_prefix:
            condition += " AND begins_with(gsi1sk, :p)"
            values[":p"] = {"S": email_prefix}
        kwargs: dict[str, object] = {
            "TableName": self.db.table, "IndexName": GSI1, "Limit": limit,
            "KeyConditionExpression": condition, "ExpressionAttributeValues": values,
        }
        if after is not None:
            user_id, email = after
            kwargs["ExclusiveStartKey"] = {**user_key(user_id), "gsi1pk": {"S": "USERS"},
                                           "gsi1sk": {"S": email}}
        page = await self.db.call(self.db.client.query, **kwargs)
        users = [parse_item(UserItem, raw) for raw in page.get("Items", [])]
        more = "LastEvaluatedKey" in page and len(users) == limit
        return UserPage(users, (users[-1].id, users[-1].email) if more and users else None)

    async def grant_scope(self, user_id: str, scope: str) -> bool:
        """Add ``scope`` to the account unless it holds it already; True when it was added.

        NotFound when the account does not exist, Conflict when it holds too many."""
        try:
            await self.db.call(
                self.db.client.update_item, TableName=self.db.table, Key=user_key(user_id),
                UpdateExpression="SET scopes = list_append(scopes, :new)",
                ConditionExpression=(
                    "attribute_exists(pk) AND NOT contains(scopes, :s) AND size(scopes) < :max"),
                ExpressionAttributeValues={":new": {"L": [{"S": scope}]}, ":s": {"S": scope},
                                           ":max": {"N": str(MAX_SCOPES)}},
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            user = await self._get(user_id)
            if scope in user.scopes:
                return False
            raise Conflict(f"An account holds at most {MAX_SCOPES} scopes.") from None
        return True

    async def remove_scope(self, user_id: str, scope: str) -> bool:
        """Take ``scope`` from the account; True when it held it.

        DynamoDB removes list elements by index only, so the index read is made a
        condition of the write, and a concurrent change makes us read again."""
        for _ in range(_REMOVE_ATTEMPTS):
            user = await self._get(user_id)
            if scope not in user.scopes:
                return False
            index = user.scopes.index(scope)
            try:
                await self.db.call(
                    self.db.client.update_item, TableName=self.db.table, Key=user_key(user_id),
                    UpdateExpression=f"REMOVE scopes[{index}]",
                    ConditionExpression=f"scopes[{index}] = :s",
                    ExpressionAttributeValues={":s": {"S": scope}},
                )
            except ClientError as error:
                if error_code(error) != "ConditionalCheckFailedException":
                    raise
                continue
            return True
        raise Conflict("The account's scopes kept changing; try again.")

    async def _get(self, user_id: str) -> UserItem:
        found = await self.db.call(
            self.db.client.get_item, TableName=self.db.table, Key=user_key(user_id),
            ConsistentRead=True,
        )
        if "Item" not in found:
            raise NotFound("No such user.")
        return parse_item(UserItem, found["Item"])
