"""The facts behind the performance figures (`shared/store/stats.py`), kept by the SLA service.

The SLA service already follows every step of a complaint and owns its deadlines, so it
records, per complaint: where it is, when it was dispositioned and first followed up (in
working days, by the deployment's calendar), whether that was within the deadline, which
deadlines were missed, whether an agency passed it back, and the reporter's rating.

Every change is a pure function of the stored facts and one event, written so that events
may arrive late, twice or out of order: sets only grow, the latest instant wins, and derived
figures are recomputed from the instants (`settle`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.sla.workcalendar import WorkingDayCalendar
from shared.contracts.events import (
    ComplaintAssigned,
    ComplaintHeldForVerification,
    ComplaintRated,
    ComplaintReceived,
    ComplaintResolved,
    ComplaintResponded,
    ComplaintStatusChanged,
)
from shared.contracts.types import Stage, Status
from shared.store.stats import HK_DECIMALS, CaseFacts

__all__ = ["FactsStore", "StatsRecorder"]

Change = Callable[[CaseFacts], CaseFacts]


class FactsStore(Protocol):
    """Where the facts live (`case_stats` and its day and open-list copies)."""

    async def load_facts(self, tracking_id: str) -> CaseFacts | None:
        """The complaint's facts, or None."""
        ...

    async def save_facts(self, *, before: CaseFacts | None, after: CaseFacts) -> None:
        """Store `after` (and its copies), knowing what was stored before."""
        ...


def _later(at: datetime, than: datetime | None) -> bool:
    return than is None or at >= than


def _with_status(facts: CaseFacts, status: Status, at: datetime) -> CaseFacts:
    if not _later(at, facts.status_at):
        return facts
    return facts.model_copy(update={"status": status.value, "status_at": at})


@dataclass
class StatsRecorder:
    """Turns case events into facts; the caller holds the complaint's lock."""

    store: FactsStore
    calendar: WorkingDayCalendar
    follow_up_days: int = 5

    async def record(self, tracking_id: str, change: Change) -> None:
        """Apply one change to the complaint's facts and store the result."""
        before = await self.store.load_facts(tracking_id)
        current = before or CaseFacts.model_validate({"_id": tracking_id})
        after = self.settle(change(current))
        if before is not None and after == before:
            return  # already recorded (a redelivery)
        await self.store.save_facts(before=before, after=after)

    # --- changes, one per event ------------------------------------------------------------
    @staticmethod
    def received(event: ComplaintReceived) -> Change:
        """Receipt: the period, channel and kecamatan it counts under."""

        def change(f: CaseFacts) -> CaseFacts:
            kecamatan = (event.kecamatan or "").strip() or None
            return f.model_copy(
                update={
                    "received_at": event.received_at,
                    "channel": event.channel.value,
                    "kecamatan": kecamatan,
                    "confidential": event.confidential,
                }
            )

        return change

    def assigned(self, event: ComplaintAssigned) -> Change:
        """Disposition to an agency (again): it holds the complaint; its clock starts."""

        def change(f: CaseFacts) -> CaseFacts:
            update: dict[str, object] = {
                "assigned_opds": sorted({*f.assigned_opds, event.opd}),
            }
            if _later(event.assigned_at, f.opd_at):
                external = event.external
                update |= {
                    "opd": event.opd,
                    "opd_at": event.assigned_at,
                    "dispositioned": 1,
                    "disposition_at": None if external else event.assigned_at,
                    "follow_up_due_at": None
                    if external
                    else self.calendar.due(event.assigned_at, self.follow_up_days),
                }
            return _with_status(f.model_copy(update=update), event.status, event.assigned_at)

        return change

    @staticmethod
    def held(event: ComplaintHeldForVerification) -> Change:
        """Bukan wewenang: the agency passes it back; it waits for verification again."""

        def change(f: CaseFacts) -> CaseFacts:
            if event.reason != "rejected_by_opd":
                return f  # held at receipt: nothing changes until someone disposes it
            update: dict[str, object] = {}
            if event.rejected_by:
                update["passed_back_by"] = sorted({*f.passed_back_by, event.rejected_by})
            if _later(event.occurred_at, f.opd_at):
                update |= {
                    "opd": None,
                    "opd_at": event.occurred_at,
                    "dispositioned": 0,
                    "disposition_at": None,
                    "follow_up_due_at": None,
                }
                if not f.followed_up:  # the next agency gets a clean follow-up record
                    update |= {"follow_up_decided": 0, "follow_up_on_time": 0}
            changed = f.model_copy(update=update)
            return _with_status(changed, Status.BELUM_TERVERIFIKASI, event.occurred_at)

        return change

    @staticmethod
    def responded(event: ComplaintResponded, *, due_at: datetime | None) -> Change:
        """Tindak lanjut; `due_at` is the follow-up deadline the SLA clock held (pauses in)."""

        def change(f: CaseFacts) -> CaseFacts:
            update: dict[str, object] = {}
            if not f.followed_up or (
                f.first_follow_up_at is not None and event.responded_at < f.first_follow_up_at
            ):
                update |= {"followed_up": 1, "first_follow_up_at": event.responded_at}
                if due_at is not None and f.disposition_at is not None:
                    update["follow_up_due_at"] = due_at
            changed = f.model_copy(update=update)
            return _with_status(changed, Status.DITINDAKLANJUTI, event.responded_at)

        return change

    @staticmethod
    def resolved(event: ComplaintResolved) -> Change:
        """Selesai; a case resolved without a separate tindak lanjut was followed up then."""

        def change(f: CaseFacts) -> CaseFacts:
            update: dict[str, object] = {"resolved": 1, "resolved_at": event.resolved_at}
            if not f.followed_up and f.dispositioned:
                update |= {"followed_up": 1, "first_follow_up_at": event.resolved_at}
            return _with_status(f.model_copy(update=update), Status.SELESAI, event.resolved_at)

        return change

    @staticmethod
    def status_changed(event: ComplaintStatusChanged) -> Change:
        """Tunda, lanjut, arsip."""

        def change(f: CaseFacts) -> CaseFacts:
            if event.status is Status.ARSIP:
                f = f.model_copy(update={"archived": 1})
            return _with_status(f, event.status, event.changed_at)

        return change

    @staticmethod
    def breached(stage: Stage) -> Change:
        """A deadline passed; a missed follow-up is decided (late) until one comes."""

        def change(f: CaseFacts) -> CaseFacts:
            match stage:
                case Stage.VERIFICATION:
                    return f.model_copy(update={"breached_verification": 1})
                case Stage.FOLLOW_UP:
                    update: dict[str, object] = {"breached_follow_up": 1}
                    if not f.followed_up:
                        update |= {"follow_up_decided": 1, "follow_up_on_time": 0}
                    return f.model_copy(update=update)
                case Stage.COMPLETION:
                    return f.model_copy(update={"breached_completion": 1})
                case _:
                    return f

        return change

    @staticmethod
    def rated(event: ComplaintRated) -> Change:
        """The reporter's NILAI; the latest rating counts."""

        def change(f: CaseFacts) -> CaseFacts:
            if not _later(event.rated_at, f.rated_at):
                return f
            return f.model_copy(update={"rating": event.score, "rated_at": event.rated_at})

        return change

    # --- derived ---------------------------------------------------------------------------
    def settle(self, f: CaseFacts) -> CaseFacts:
        """Recompute what follows from the instants: duration and timeliness of follow-up."""
        start, first, due = f.disposition_at, f.first_follow_up_at, f.follow_up_due_at
        if not f.followed_up or start is None or first is None or first < start:
            return f.model_copy(update={"follow_up_days": None})
        days = round(self.calendar.working_time_between(start, first), HK_DECIMALS)
        update: dict[str, object] = {"follow_up_days": days}
        if due is not None:
            update |= {"follow_up_decided": 1, "follow_up_on_time": int(first <= due)}
        return f.model_copy(update=update)
