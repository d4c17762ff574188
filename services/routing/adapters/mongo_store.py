"""Routing's store: writes `cases` and `routing_labels`, reads `complaints` and `sla_clocks`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from shared.contracts.types import Stage, Status
from shared.mongo import CASES, COMPLAINTS, ROUTING_LABELS, SLA_CLOCKS, Database, Document
from shared.store.cases import (
    CaseDocument,
    HistoryEntry,
    RoutingDecision,
    apply_case_change,
    load_case,
)
from shared.store.clocks import deadlines_from
from shared.store.complaints import ComplaintDocument, load_complaint

__all__ = ["MongoCaseStore"]


class MongoCaseStore:
    """Cases on MongoDB / FerretDB."""

    def __init__(self, db: Database) -> None:
        self._cases = db[CASES]
        self._complaints = db[COMPLAINTS]
        self._clocks = db[SLA_CLOCKS]
        self._labels = db[ROUTING_LABELS]

    async def load_complaint(self, tracking_id: str) -> ComplaintDocument | None:
        """The complaint as intake stored it, or None."""
        return await load_complaint(self._complaints, tracking_id)

    async def load_case(self, tracking_id: str) -> CaseDocument | None:
        """The case, or None."""
        return await load_case(self._cases, tracking_id)

    async def open_case(self, case: CaseDocument, *, outbox: Sequence[Document] = ()) -> bool:
        """Insert the case with its events (one atomic write); an existing one is left as is."""
        try:
            await self._cases.insert_one({**case.to_mongo(), "outbox": list(outbox)})
        except DuplicateKeyError:  # redelivered, or another replica was first
            return False
        return True

    async def record_routing(
        self,
        *,
        tracking_id: str,
        status: Status,
        opd: str | None,
        decision: RoutingDecision,
        history: HistoryEntry,
        outbox: Sequence[Document],
    ) -> bool:
        """Only a case not yet routed changes (idempotent on redelivery)."""
        return await apply_case_change(
            self._cases,
            tracking_id=tracking_id,
            expect_status=[Status.BELUM_TERVERIFIKASI],
            expect_unrouted=True,
            set_fields={
                "status": status.value,
                "opd": opd,
                "routing": decision.model_dump(mode="python"),
            },
            history=history,
            outbox=outbox,
        )

    async def change_case(
        self,
        *,
        tracking_id: str,
        expect_status: Status,
        set_fields: dict[str, Any],
        history: HistoryEntry,
        outbox: Sequence[Document],
    ) -> bool:
        """Apply a staff action with its events (the caller holds the case's lock)."""
        return await apply_case_change(
            self._cases,
            tracking_id=tracking_id,
            expect_status=[expect_status],
            set_fields=set_fields,
            history=history,
            outbox=outbox,
        )

    async def list_cases(
        self, *, statuses: Sequence[Status], opd: str | None = None, limit: int = 500
    ) -> list[CaseDocument]:
        """Cases in these statuses, oldest first."""
        query: Document = {"status": {"$in": [s.value for s in statuses]}}
        if opd is not None:
            query["opd"] = opd
        cursor = self._cases.find(query, {"outbox": 0}).sort("received_at", ASCENDING)
        return [CaseDocument.model_validate(doc) async for doc in cursor.limit(limit)]

    async def deadlines_of(self, tracking_ids: Sequence[str]) -> dict[str, dict[Stage, datetime]]:
        """Stage deadlines per case."""
        if not tracking_ids:
            return {}
        cursor = self._clocks.find({"_id": {"$in": list(tracking_ids)}}, {"stages": 1})
        return {doc["_id"]: deadlines_from(doc) async for doc in cursor}

    async def keep_label(self, *, tracking_id: str, text: str, opd: str, at: datetime) -> None:
        """One label per complaint: the latest human decision wins."""
        await self._labels.replace_one(
            {"_id": tracking_id},
            {"_id": tracking_id, "text": text, "opd": opd, "source": "operator", "at": at},
            upsert=True,
        )
