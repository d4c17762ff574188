"""Intake's storage on MongoDB / FerretDB.

Writes `complaints`, `followups`, `ratings`, `inbound` and the GridFS bucket `attachments`;
reads `cases` and `sla_clocks` for the public status.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from gridfs import AsyncGridFSBucket
from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError, PyMongoError

from services.intake.ports import (
    ComplaintRecord,
    DuplicateSubmission,
    TrackingIdTaken,
    Unavailable,
)
from shared.contracts.types import Channel
from shared.locks import KeyedLock
from shared.mongo import (
    CASES,
    COMPLAINTS,
    FOLLOWUPS,
    INBOUND,
    RATINGS,
    SLA_CLOCKS,
    Database,
    Document,
)
from shared.store.cases import load_case
from shared.store.clocks import load_deadlines
from shared.store.complaints import Attachment, ComplaintDocument, load_complaint

__all__ = ["GridFsAttachmentStore", "MongoComplaintStore", "MongoInboundStore"]


class MongoComplaintStore:
    """Complaints (`_id` = tracking ID, `source_key` unique), follow-ups and ratings."""

    def __init__(self, db: Database, *, locks: KeyedLock | None = None) -> None:
        self._complaints = db[COMPLAINTS]
        self._followups = db[FOLLOWUPS]
        self._ratings = db[RATINGS]
        self._cases = db[CASES]
        self._clocks = db[SLA_CLOCKS]
        self._locks = locks or KeyedLock()

    async def insert(self, complaint: ComplaintDocument, *, outbox: list[Document]) -> None:
        """Insert the complaint and its outbox in one document write."""
        try:
            await self._complaints.insert_one(complaint.to_mongo(outbox=outbox))
        except DuplicateKeyError as exc:
            existing = await self.find_by_source(complaint.source_key or "")
            if existing is not None:
                raise DuplicateSubmission(existing) from exc
            raise TrackingIdTaken(complaint.tracking_id) from exc
        except PyMongoError as exc:
            raise Unavailable("store unavailable") from exc

    async def find_by_source(self, source_key: str) -> str | None:
        """The tracking ID made from this source, or None."""
        doc = await self._complaints.find_one({"source_key": source_key}, {"_id": 1})
        return None if doc is None else str(doc["_id"])

    async def latest_of_reporter(self, *, phone: str | None, email: str | None) -> str | None:
        """The most recent complaint of this reporter."""
        query: Document = {"reporter.phone": phone} if phone else {"reporter.email": email}
        if not phone and not email:
            return None
        cursor = self._complaints.find(query, {"_id": 1}).sort("received_at", DESCENDING)
        async for doc in cursor.limit(1):
            return str(doc["_id"])
        return None

    async def load_record(self, tracking_id: str) -> ComplaintRecord | None:
        """The complaint with its case and deadlines, or None."""
        try:
            complaint, case, deadlines = await asyncio.gather(
                load_complaint(self._complaints, tracking_id),
                load_case(self._cases, tracking_id),
                load_deadlines(self._clocks, tracking_id),
            )
        except PyMongoError as exc:
            raise Unavailable("store unavailable") from exc
        if complaint is None:
            return None
        return ComplaintRecord(complaint=complaint, case=case, deadlines=deadlines)

    async def add_follow_up(
        self,
        *,
        source_key: str,
        tracking_id: str,
        channel: Channel,
        text: str,
        received_at: datetime,
        outbox: list[Document],
    ) -> bool:
        """One follow-up document per source."""
        try:
            await self._followups.insert_one(
                {
                    "_id": source_key,
                    "tracking_id": tracking_id,
                    "channel": channel.value,
                    "text": text,
                    "received_at": received_at,
                    "outbox": outbox,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def set_rating(
        self,
        *,
        tracking_id: str,
        score: int,
        channel: Channel,
        rated_at: datetime,
        outbox: list[Document],
    ) -> None:
        """The latest rating counts."""
        async with self._locks.hold(f"rating:{tracking_id}"):
            await self._ratings.update_one(
                {"_id": tracking_id},
                {
                    "$set": {"score": score, "channel": channel.value, "rated_at": rated_at},
                    "$push": {"outbox": {"$each": outbox}},
                },
                upsert=True,
            )


class MongoInboundStore:
    """`inbound`: the raw item first, its outcome after (`_id` = source key)."""

    def __init__(self, db: Database, *, locks: KeyedLock | None = None) -> None:
        self._inbound = db[INBOUND]
        self._locks = locks or KeyedLock()

    async def record(
        self, *, source_key: str, channel: Channel, payload: dict[str, Any], received_at: datetime
    ) -> str | None:
        """Store the raw item: None when new, else the outcome it had."""
        try:
            await self._inbound.insert_one(
                {
                    "_id": source_key,
                    "channel": channel.value,
                    "payload": payload,
                    "received_at": received_at,
                    "outcome": "received",
                    "outbox": [],
                }
            )
        except DuplicateKeyError:
            doc = await self._inbound.find_one({"_id": source_key}, {"outcome": 1})
            return str((doc or {}).get("outcome", "received"))
        except PyMongoError as exc:
            raise Unavailable("store unavailable") from exc
        return None

    async def settle(
        self,
        *,
        source_key: str,
        outcome: str,
        tracking_id: str | None = None,
        reason: str | None = None,
        outbox: list[Document] | None = None,
    ) -> None:
        """Record the outcome."""
        update: Document = {
            "$set": {
                "outcome": outcome,
                "tracking_id": tracking_id,
                "reason": reason,
                "settled_at": datetime.now(UTC),
            }
        }
        if outbox:
            update["$push"] = {"outbox": {"$each": outbox}}
        async with self._locks.hold(source_key):
            await self._inbound.update_one({"_id": source_key}, update)


class GridFsAttachmentStore:
    """Files in the GridFS bucket `attachments` (works on MongoDB and FerretDB)."""

    def __init__(self, db: Database) -> None:
        self._bucket = AsyncGridFSBucket(db, bucket_name="attachments")

    async def save(self, *, data: bytes, content_type: str, filename: str | None) -> Attachment:
        """Store the bytes; the reference to keep."""
        name = filename or f"lampiran-{uuid.uuid4().hex[:8]}"
        try:
            file_id = await self._bucket.upload_from_stream(
                name, data, metadata={"content_type": content_type}
            )
        except PyMongoError as exc:
            raise Unavailable("store unavailable") from exc
        return Attachment(
            attachment_id=str(file_id), content_type=content_type, size=len(data), filename=filename
        )
