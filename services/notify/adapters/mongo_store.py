"""Notify's storage: the notification log (written here) and cases (read only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo.errors import DuplicateKeyError

from services.notify.ports import Claim
from shared.locks import KeyedLock
from shared.mongo import CASES, COMPLAINTS, NOTIFICATIONS, Database, Document, retry_if_busy
from shared.store.cases import CaseDocument, load_case
from shared.store.complaints import ComplaintDocument, load_complaint

__all__ = ["MongoCaseReader", "MongoNotificationLog"]


class MongoCaseReader:
    """Reads complaints and cases."""

    def __init__(self, db: Database) -> None:
        self._complaints = db[COMPLAINTS]
        self._cases = db[CASES]

    async def load_complaint(self, tracking_id: str) -> ComplaintDocument | None:
        """The complaint, or None."""
        return await load_complaint(self._complaints, tracking_id)

    async def load_case(self, tracking_id: str) -> CaseDocument | None:
        """The case, or None."""
        return await load_case(self._cases, tracking_id)


class MongoNotificationLog:
    """`notifications`: `_id` = a digest of the key, `key` unique."""

    def __init__(self, db: Database, *, report_wait: timedelta) -> None:
        self._collection = db[NOTIFICATIONS]
        # How long an SMS cut off mid-send waits for the gateway's delivery report before it
        # is sent again: longer than the gateway takes to restart and retry its report calls.
        self._report_wait = report_wait
        # A delivery report can arrive while the send is being recorded; FerretDB v1 would
        # lose one of two concurrent updates of a document, so writes are serialised here.
        self._locks = KeyedLock()

    async def claim(
        self, *, notification_id: str, key: str, tracking_id: str, kind: str, channel: str
    ) -> Claim:
        """Insert the pending record (atomic), or report what an earlier attempt achieved."""
        now = datetime.now(UTC)
        try:
            await self._insert(
                {
                    "_id": notification_id,
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
            async with self._locks.hold(notification_id):
                existing = (
                    await self._collection.find_one(
                        {"_id": notification_id},
                        {"status": 1, "delivery_reports": 1, "updated_at": 1},
                    )
                    or {}
                )
                if existing.get("status") == "sent":
                    return Claim.ALREADY_SENT
                if existing.get("status") == "refused":
                    return Claim.REFUSED
                if existing.get("delivery_reports"):  # the gateway took it: it went out
                    await self._update(
                        notification_id, {"$set": {"status": "sent", "updated_at": now}}
                    )
                    return Claim.ALREADY_SENT
                previous = existing.get("status")
                since = existing.get("updated_at")
                if (
                    previous == "pending"
                    and channel == "sms"
                    and since is not None
                    and now - since < self._report_wait
                ):
                    return Claim.WAIT  # its delivery report may still be on its way
                await self._update(
                    notification_id,
                    {"$inc": {"attempts": 1}, "$set": {"status": "pending", "updated_at": now}},
                )
            return Claim.UNCERTAIN if previous == "pending" else Claim.RETRY
        return Claim.NEW

    async def mark_sent(self, *, notification_id: str, message_id: str | None) -> None:
        """Record the successful hand-over."""
        now = datetime.now(UTC)
        async with self._locks.hold(notification_id):
            await self._update(
                notification_id,
                {
                    "$set": {
                        "status": "sent",
                        "message_id": message_id,
                        "sent_at": now,
                        "updated_at": now,
                    }
                },
            )

    async def mark_failed(self, *, notification_id: str, error: str, final: bool = False) -> None:
        """Record a failed attempt: retried later, or with `final` refused for good."""
        async with self._locks.hold(notification_id):
            await self._update(
                notification_id,
                {
                    "$set": {
                        "status": "refused" if final else "failed",
                        "last_error": error,
                        "updated_at": datetime.now(UTC),
                    }
                },
            )

    async def record_delivery_report(self, *, notification_id: str, report: int) -> bool:
        """Append an SMS delivery report (Kannel type: 1 delivered, 2 failed, 8 accepted...)."""
        async with self._locks.hold(notification_id):
            return await self._update(
                notification_id,
                {
                    "$push": {"delivery_reports": {"type": report, "at": datetime.now(UTC)}},
                    "$set": {"delivery": _DELIVERY.get(report, "unknown")},
                },
            )

    async def _insert(self, doc: Document) -> None:
        await retry_if_busy(lambda: self._collection.insert_one(doc))

    async def _update(self, notification_id: str, update: Document) -> bool:
        result = await retry_if_busy(
            lambda: self._collection.update_one({"_id": notification_id}, update)
        )
        return result.matched_count == 1


_DELIVERY = {
    1: "delivered",
    2: "undelivered",
    4: "buffered",
    8: "smsc_accepted",
    16: "smsc_rejected",
}
