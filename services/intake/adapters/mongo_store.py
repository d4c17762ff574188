"""The complaint store on MongoDB / FerretDB."""

from __future__ import annotations

import asyncio

from pymongo.errors import DuplicateKeyError, PyMongoError

from services.intake.ports import ComplaintRecord, TrackingIdTaken, Unavailable
from shared.mongo import CASES, COMPLAINTS, SLA_CLOCKS, Database, Document
from shared.store.cases import load_case
from shared.store.clocks import load_deadlines
from shared.store.complaints import ComplaintDocument, load_complaint

__all__ = ["MongoComplaintStore"]


class MongoComplaintStore:
    """Writes `complaints` (`_id` = tracking ID); reads `cases` and `sla_clocks` for status."""

    def __init__(self, db: Database) -> None:
        self._complaints = db[COMPLAINTS]
        self._cases = db[CASES]
        self._clocks = db[SLA_CLOCKS]

    async def insert(self, complaint: ComplaintDocument, *, outbox: list[Document]) -> None:
        """Insert the complaint and its outbox in one document write."""
        try:
            await self._complaints.insert_one(complaint.to_mongo(outbox=outbox))
        except DuplicateKeyError as exc:
            raise TrackingIdTaken(complaint.tracking_id) from exc
        except PyMongoError as exc:
            raise Unavailable("store unavailable") from exc

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
