"""Routing's store: writes `cases`, reads `complaints`."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from pymongo.errors import DuplicateKeyError

from shared.contracts.types import Status
from shared.mongo import CASES, COMPLAINTS, Database, Document
from shared.store.cases import (
    CaseDocument,
    HistoryEntry,
    RoutingDecision,
    apply_case_change,
    load_case,
)
from shared.store.complaints import ComplaintDocument, load_complaint

__all__ = ["MongoCaseStore"]


class MongoCaseStore:
    """Cases on MongoDB / FerretDB."""

    def __init__(self, db: Database) -> None:
        self._cases = db[CASES]
        self._complaints = db[COMPLAINTS]

    async def load_complaint(self, tracking_id: str) -> ComplaintDocument | None:
        """The complaint as intake stored it, or None."""
        return await load_complaint(self._complaints, tracking_id)

    async def load_case(self, tracking_id: str) -> CaseDocument | None:
        """The case, or None."""
        return await load_case(self._cases, tracking_id)

    async def open_case(self, case: CaseDocument) -> None:
        """Insert the case; an existing one is left as it is."""
        with contextlib.suppress(DuplicateKeyError):  # redelivered: opened before
            await self._cases.insert_one(case.to_mongo())

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
