"""SLA storage on MongoDB / FerretDB.

- `sla_clocks`: one document per case with its stages (written by this service only,
  under a per-case lock);
- `sla_timers`: one document per future action, `_id` = case:stage:kind:instant (on
  FerretDB v1 a stopped stage's timers are cancelled by the scanner when due, see
  `cancel_timers`);
- `sla_fired`: one document per action taken, same `_id`, inserted once. A unique insert is
  atomic on MongoDB and FerretDB alike, so two replicas never fire one timer twice. The
  document carries the action's events (outbox).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from pymongo import ASCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.sla.plan import StagePlan
from services.sla.ports import Clock, DueTimer, StageClock
from shared.contracts.types import Stage, Status
from shared.mongo import (
    CASES,
    SLA_CLOCKS,
    SLA_FIRED,
    SLA_TIMERS,
    Database,
    Document,
    scans_unless_id_filter,
    update_one_where,
)

__all__ = ["MongoClockStore"]

_STATUS_OF_STAGE = {
    Stage.VERIFICATION: [Status.BELUM_TERVERIFIKASI],
    Stage.FOLLOW_UP: [Status.DIDISPOSISIKAN],
    Stage.COMPLETION: [Status.DITINDAKLANJUTI, Status.TUNDA],
}


def timer_id(tracking_id: str, stage: Stage, kind: str, fire_at: datetime) -> str:
    """What and when: the same plan always yields the same timers."""
    return f"{tracking_id}:{stage.value}:{kind}:{int(fire_at.timestamp())}"


class MongoClockStore:
    """The SLA service's collections."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._clocks = db[SLA_CLOCKS]
        self._timers = db[SLA_TIMERS]
        self._fired = db[SLA_FIRED]
        self._cases = db[CASES]

    async def load_clock(self, tracking_id: str) -> Clock | None:
        """The case's clock, or None."""
        doc = await self._clocks.find_one({"_id": tracking_id})
        return None if doc is None else Clock.model_validate(doc)

    async def save_stages(
        self,
        *,
        tracking_id: str,
        stages: Mapping[Stage, StageClock],
        opd: str | None,
        resume: bool = False,
    ) -> None:
        """Write these stages (and the agency; with `resume`, the pause's end) in one update."""
        fields: Document = {
            f"stages.{stage.value}": clock.model_dump(mode="python")
            for stage, clock in stages.items()
        }
        if opd is not None:
            fields["opd"] = opd
        if resume:
            fields["paused_at"] = None
        await self._clocks.update_one({"_id": tracking_id}, {"$set": fields}, upsert=True)

    async def set_paused(self, *, tracking_id: str, paused_at: datetime | None) -> None:
        """Record (or clear) a pause."""
        await self._clocks.update_one(
            {"_id": tracking_id}, {"$set": {"paused_at": paused_at}}, upsert=True
        )

    async def add_timers(
        self, *, tracking_id: str, opd: str | None, plans: Sequence[StagePlan]
    ) -> None:
        """Insert each timer; one cancelled before comes back (never one that fired).

        A stage restarted with the same deadline (bukan wewenang and a new disposition on
        the same day) plans timers with the same `_id` as the ones its restart cancelled.
        """
        docs = [
            {
                "_id": timer_id(tracking_id, plan.stage, timer.kind, timer.fire_at),
                "tracking_id": tracking_id,
                "stage": plan.stage.value,
                "kind": timer.kind.value,
                "fire_at": timer.fire_at,
                "due_at": plan.due_at,
                "opd": opd,
                "state": "pending",
            }
            for plan in plans
            for timer in plan.timers
        ]
        if not docs:
            return
        try:
            await self._timers.insert_many(docs)  # one round trip: usually all are new
        except BulkWriteError:
            for doc in docs:
                await self._insert_or_revive(doc)

    async def _insert_or_revive(self, doc: Document) -> None:
        try:
            await self._timers.insert_one(doc)
        except DuplicateKeyError:
            await update_one_where(
                self._timers,
                doc_id=doc["_id"],
                where={"state": "cancelled"},
                update={"$set": {"state": "pending", "due_at": doc["due_at"], "opd": doc["opd"]}},
            )

    async def cancel_timers(self, *, tracking_id: str, stages: Sequence[Stage]) -> None:
        """Cancel the pending timers of these stages (on MongoDB; see below for FerretDB).

        FerretDB v1 finds a case's timers only by reading every timer of every case, and its
        scanner query reads them all anyway, cancelled or not. There a met or stopped
        stage's timers are left pending: before firing, the scanner checks the stage in the
        clock (open, same deadline, not paused) and marks such a timer cancelled instead.
        """
        if await scans_unless_id_filter(self._db):
            return
        await self._timers.update_many(
            {
                "tracking_id": tracking_id,
                "state": "pending",
                "stage": {"$in": [s.value for s in stages]},
            },
            {"$set": {"state": "cancelled"}},
        )

    async def due_timers(self, *, now: datetime, limit: int) -> list[DueTimer]:
        """Pending timers due by `now`, earliest first."""
        cursor = self._timers.find({"state": "pending", "fire_at": {"$lte": now}})
        cursor = cursor.sort("fire_at", ASCENDING).limit(limit)
        return [DueTimer.model_validate(doc) async for doc in cursor]

    async def claim_firing(
        self, *, timer_id: str, outbox: Sequence[Document], fired_at: datetime
    ) -> bool:
        """Insert the fired record once."""
        try:
            await self._fired.insert_one(
                {"_id": timer_id, "fired_at": fired_at, "outbox": list(outbox)}
            )
        except DuplicateKeyError:
            return False
        return True

    async def finish_timer(self, *, timer_id: str, state: str) -> None:
        """Mark a timer done or cancelled."""
        await self._timers.update_one({"_id": timer_id}, {"$set": {"state": state}})

    async def count_open_by_stage_and_opd(self) -> dict[tuple[Stage, str], int]:
        """Cases per waiting stage and agency (`none` before disposition)."""
        counts: dict[tuple[Stage, str], int] = {}
        for stage, statuses in _STATUS_OF_STAGE.items():
            cursor = await self._cases.aggregate(
                [
                    {"$match": {"status": {"$in": [s.value for s in statuses]}}},
                    {"$group": {"_id": "$opd", "n": {"$sum": 1}}},
                ]
            )
            async for row in cursor:
                counts[(stage, str(row["_id"] or "none"))] = int(row["n"])
        return counts

    async def count_open_by_stage(self) -> dict[Stage, int]:
        """Cases per waiting stage, counted from case statuses."""
        counts: dict[Stage, int] = {}
        for stage, statuses in _STATUS_OF_STAGE.items():
            counts[stage] = await self._cases.count_documents(
                {"status": {"$in": [s.value for s in statuses]}}
            )
        return counts
