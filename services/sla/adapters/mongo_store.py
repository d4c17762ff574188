"""SLA clocks on MongoDB / FerretDB: `sla_clocks`, written by this service only."""

from __future__ import annotations

from datetime import datetime

from shared.contracts.types import Stage, Status
from shared.locks import KeyedLock
from shared.mongo import CASES, SLA_CLOCKS, Database

__all__ = ["MongoClockStore"]

_STATUS_OF_STAGE = {
    Stage.VERIFICATION: [Status.BELUM_TERVERIFIKASI],
    Stage.FOLLOW_UP: [Status.DIDISPOSISIKAN],
    Stage.COMPLETION: [Status.DITINDAKLANJUTI, Status.TUNDA],
}


class MongoClockStore:
    """Upserts of deterministic values: event order and redelivery don't matter."""

    def __init__(self, db: Database) -> None:
        self._clocks = db[SLA_CLOCKS]
        self._cases = db[CASES]
        self._locks = KeyedLock()  # FerretDB v1 does not apply updates atomically

    async def start_stage(
        self,
        *,
        tracking_id: str,
        stage: Stage,
        started_at: datetime,
        due_at: datetime,
        opd: str | None,
    ) -> None:
        """Upsert the stage's start and due instant."""
        fields: dict[str, object] = {
            f"stages.{stage.value}.started_at": started_at,
            f"stages.{stage.value}.due_at": due_at,
        }
        if opd is not None:
            fields["opd"] = opd
        async with self._locks.hold(tracking_id):
            await self._clocks.update_one({"_id": tracking_id}, {"$set": fields}, upsert=True)

    async def complete_stage(self, *, tracking_id: str, stage: Stage, at: datetime) -> None:
        """Mark the stage met (the first time only)."""
        async with self._locks.hold(tracking_id):
            await self._clocks.update_one(
                {"_id": tracking_id},
                {"$min": {f"stages.{stage.value}.met_at": at}},
                upsert=True,
            )

    async def count_open_by_stage(self) -> dict[Stage, int]:
        """Cases per waiting stage, counted from case statuses."""
        counts: dict[Stage, int] = {}
        for stage, statuses in _STATUS_OF_STAGE.items():
            counts[stage] = await self._cases.count_documents(
                {"status": {"$in": [s.value for s in statuses]}}
            )
        return counts
