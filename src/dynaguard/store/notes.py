"""Notes of the demo resource, kept in their owner's partition so ownership is the key."""

from __future__ import annotations

import time
import uuid

from botocore.exceptions import ClientError

from dynaguard.store.client import Dynamo, error_code
from dynaguard.store.codec import encode_item
from dynaguard.store.items import NoteItem, parse_item
from dynaguard.store.schema import note_key

__all__ = ["NoteRepository"]


class NoteRepository:
    def __init__(self, db: Dynamo) -> None:
        self.db = db

    async def add(self, user_id: str, text: str) -> NoteItem:
        nid = uuid.uuid4().hex
        note = NoteItem(pk=f"USER#{user_id}", sk=f"NOTE#{nid}", id=nid, user_id=user_id,
                        text=text, created_at=int(time.time()))
        await self.db.call(
            self.db.client.put_item, TableName=self.db.table, Item=encode_item(note.model_dump()),
            ConditionExpression="attribute_not_exists(pk)",
        )
        return note

    async def for_user(self, user_id: str) -> list[NoteItem]:
        page = await self.db.call(
            self.db.client.query, TableName=self.db.table,
            KeyConditionExpression="pk = :p AND begins_with(sk, :n)",
            ExpressionAttributeValues={":p": {"S": f"USER#{user_id}"}, ":n": {"S": "NOTE#"}},
        )
        return [parse_item(NoteItem, raw) for raw in page.get("Items", [])]

    async def get(self, user_id: str, note_id: str) -> NoteItem | None:
        found = await self.db.call(
            self.db.client.get_item, TableName=self.db.table, Key=note_key(user_id, note_id),
        )
        return parse_item(NoteItem, found["Item"]) if "Item" in found else None

    async def delete(self, user_id: str, note_id: str) -> bool:
        try:
            await self.db.call(
                self.db.client.delete_item, TableName=self.db.table,
                Key=note_key(user_id, note_id), ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True
