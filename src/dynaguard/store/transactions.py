"""``TransactWriteItems`` with its cancellation reasons kept, for flows that must tell
which condition failed (a taken email from a stale token, a raced session from a raced user).
"""

from __future__ import annotations

from collections.abc import Sequence

from botocore.exceptions import ClientError

from dynaguard.store.client import Dynamo, cancellation_codes, error_code

__all__ = ["TransactionCancelled", "transact_write"]


class TransactionCancelled(Exception):
    """A condition of the transaction failed; nothing was written."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__("transaction cancelled")
        self.codes = codes

    def failed_at(self, index: int) -> bool:
        """True when the item at ``index`` (request order) failed its condition."""
        return index < len(self.codes) and self.codes[index] == "ConditionalCheckFailed"


async def transact_write(db: Dynamo, items: Sequence[dict[str, object]]) -> None:
    """Write ``items`` all or none; raise :class:`TransactionCancelled` on a failed condition."""
    try:
        await db.call(db.client.transact_write_items, TransactItems=list(items))
    except ClientError as error:
        if error_code(error) == "TransactionCanceledException":
            raise TransactionCancelled(cancellation_codes(error)) from None
        raise
