"""Notify's storage: the notification log and the complaints it reads."""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo.errors import DuplicateKeyError

from services.notify.ports import Claim
from shared.mongo import Collection
from shared.store.complaints import ComplaintDocument, load_complaint

__all__ = ["MongoComplaintReader", "MongoNotificationLog"]


class MongoComplaintReader:
    """Reads complaints (for the reporter's contact details)."""

    def __init__(self, collection: Collection) -> None:
        self._collection = collection

    async def load(self, tracking_id: str) -> ComplaintDocument | None:
        """The stored complaint, or None."""
        return await load_complaint(self._collection, tracking_id)


class MongoNotificationLog:
    """`notifications`, unique on `key`."""

    def __init__(self, collection: Collection) -> None:
        self._collection = collection

    async def claim(self, *, key: str, tracking_id: str, kind: str, channel: str) -> Claim:
        """Insert the pending record, or report what an earlier attempt achieved."""
        now = datetime.now(UTC)
        try:
            await self._collection.insert_one(
                {
                    "key": key,
                    "tracking_id": tracking_id,
                    "kind": kind,
                    "channel": channel,
                    "status": "pending",
                    "attempts": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        except DuplicateKeyError:
            existing = await self._collection.find_one_and_update(
                {"key": key, "status": {"$ne": "sent"}},
                {"$inc": {"attempts": 1}, "$set": {"updated_at": now}},
            )
            return Claim.ALREADY_SENT if existing is None else Claim.RETRY
        return Claim.NEW

    async def mark_sent(self, *, key: str, message_id: str) -> None:
        """Record the successful send."""
        now = datetime.now(UTC)
        await self._collection.update_one(
            {"key": key},
            {
                "$set": {
                    "status": "sent",
                    "message_id": message_id,
                    "sent_at": now,
                    "updated_at": now,
                }
            },
        )

    async def mark_failed(self, *, key: str, error: str) -> None:
        """Record a failed attempt (the message will be retried)."""
        await self._collection.update_one(
            {"key": key},
            {"$set": {"status": "failed", "last_error": error, "updated_at": datetime.now(UTC)}},
        )
