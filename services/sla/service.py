"""SLA use cases: each case event starts, meets, cancels, pauses or resumes stage clocks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.sla.metrics import SlaMetrics
from services.sla.plan import StagePlan, plan_stage, remaining_working_days
from services.sla.ports import Clock, ClockStore, StageClock
from services.sla.stats import Change, StatsRecorder
from services.sla.workcalendar import WorkingDayCalendar
from shared.contracts.events import (
    ComplaintAssigned,
    ComplaintFollowUpReceived,
    ComplaintHeldForVerification,
    ComplaintRated,
    ComplaintReceived,
    ComplaintResolved,
    ComplaintResponded,
    ComplaintStatusChanged,
)
from shared.contracts.types import Stage, Status
from shared.locks import KeyedLock

__all__ = ["SERVICE", "SlaPolicy", "SlaService"]

log = logging.getLogger(__name__)
SERVICE = "sla"


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SlaPolicy:
    """The allowances (INTERFACES and the LAPOR! rules)."""

    verification_days: int = 3
    follow_up_days: int = 5
    completion_days: int = 60
    completion_in_working_days: bool = False
    auto_close_days: int = 10
    reminder_lead: int = 1


@dataclass
class _Writes:
    """The clock writes one event causes, made together by `SlaService._save`."""

    stages: dict[Stage, StageClock] = field(default_factory=dict)
    opd: str | None = None  # the case's agency, when a started stage gives one
    cancel: list[Stage] = field(default_factory=list)
    plans: list[StagePlan] = field(default_factory=list)  # one agency: an event has one
    resume: bool = False  # the clock's pause ends with this write

    def started(self) -> list[Stage]:
        """The stages this event starts (or restarts)."""
        return [plan.stage for plan in self.plans]


@dataclass
class SlaService:
    """Stage clocks, driven by case events. Every handler is idempotent."""

    store: ClockStore
    calendar: WorkingDayCalendar
    metrics: SlaMetrics
    policy: SlaPolicy
    locks: KeyedLock
    clock: Callable[[], datetime] = _utcnow
    stats: StatsRecorder | None = None

    async def on_received(self, *, event: ComplaintReceived) -> None:
        """Verification (3 HK) and completion (60 days) start at receipt."""
        p, start = self.policy, event.received_at
        completion = (
            self.calendar.due(start, p.completion_days)
            if p.completion_in_working_days
            else self.calendar.add_calendar_days(start, p.completion_days)
        )
        async with self.locks.hold(event.tracking_id):
            clock = await self._clock(event.tracking_id)
            w = _Writes()
            if Stage.VERIFICATION not in clock.stages:
                due = self.calendar.due(start, p.verification_days)
                self._start(w, Stage.VERIFICATION, start, due, opd=None)
            if Stage.COMPLETION not in clock.stages:
                self._start(w, Stage.COMPLETION, start, completion, opd=None)
            await self._save(clock, w)
            await self._record(event.tracking_id, StatsRecorder.received(event))

    async def on_assigned(self, *, event: ComplaintAssigned) -> None:
        """Disposition meets verification and (re)starts the OPD's follow-up (5 HK)."""
        async with self.locks.hold(event.tracking_id):
            clock = await self._clock(event.tracking_id)
            if self.stats is not None:
                await self._record(event.tracking_id, self.stats.assigned(event))
            w = _Writes()
            self._meet(w, clock, Stage.VERIFICATION, event.assigned_at)
            follow_up = clock.stages.get(Stage.FOLLOW_UP)
            # Unless this disposition (or a later one) was handled already:
            if follow_up is None or follow_up.started_at < event.assigned_at:
                self._cancel_timers(w, clock, [Stage.FOLLOW_UP])
                if not event.external:  # forwarded outside the pemda: no OPD follow-up clock
                    due = self.calendar.due(event.assigned_at, self.policy.follow_up_days)
                    self._start(w, Stage.FOLLOW_UP, event.assigned_at, due, opd=event.opd)
            await self._save(clock, w)

    async def on_held(self, *, event: ComplaintHeldForVerification) -> None:
        """Bukan wewenang: the follow-up stops, verification starts again."""
        if event.reason != "rejected_by_opd":
            return  # low confidence at receipt: the verification clock already runs
        async with self.locks.hold(event.tracking_id):
            await self._record(event.tracking_id, StatsRecorder.held(event))
            clock = await self._clock(event.tracking_id)
            verification = clock.stages.get(Stage.VERIFICATION)
            if verification is not None and verification.started_at >= event.occurred_at:
                return
            w = _Writes()
            self._cancel(w, clock, [Stage.FOLLOW_UP, Stage.AUTO_CLOSE], event.occurred_at)
            due = self.calendar.due(event.occurred_at, self.policy.verification_days)
            self._start(w, Stage.VERIFICATION, event.occurred_at, due, opd=None)
            await self._save(clock, w)

    async def on_responded(self, *, event: ComplaintResponded) -> None:
        """A follow-up meets the OPD's stage and starts the auto-close clock (10 HK)."""
        async with self.locks.hold(event.tracking_id):
            clock = await self._clock(event.tracking_id)
            follow_up = clock.stages.get(Stage.FOLLOW_UP)
            due_at = follow_up.due_at if follow_up is not None else None
            await self._record(event.tracking_id, StatsRecorder.responded(event, due_at=due_at))
            w = _Writes()
            self._meet(w, clock, Stage.FOLLOW_UP, event.responded_at)
            auto = clock.stages.get(Stage.AUTO_CLOSE)
            if auto is None or auto.started_at < event.responded_at:  # not handled yet
                self._cancel_timers(w, clock, [Stage.AUTO_CLOSE])
                due = self.calendar.due(event.responded_at, self.policy.auto_close_days)
                self._start(w, Stage.AUTO_CLOSE, event.responded_at, due, opd=event.opd)
            await self._save(clock, w)

    async def on_reporter_reply(self, *, event: ComplaintFollowUpReceived) -> None:
        """The reporter answered: the case must not close itself."""
        async with self.locks.hold(event.tracking_id):
            clock = await self._clock(event.tracking_id)
            auto = clock.stages.get(Stage.AUTO_CLOSE)
            if auto is not None and auto.started_at <= event.received_at:
                w = _Writes()
                self._cancel(w, clock, [Stage.AUTO_CLOSE], event.received_at)
                await self._save(clock, w)

    async def on_resolved(self, *, event: ComplaintResolved) -> None:
        """Selesai: completion is met; every other clock stops."""
        async with self.locks.hold(event.tracking_id):
            await self._record(event.tracking_id, StatsRecorder.resolved(event))
            clock = await self._clock(event.tracking_id)
            w = _Writes()
            self._meet(w, clock, Stage.COMPLETION, event.resolved_at)
            self._meet(w, clock, Stage.FOLLOW_UP, event.resolved_at)
            self._cancel(w, clock, [Stage.VERIFICATION, Stage.AUTO_CLOSE], event.resolved_at)
            await self._save(clock, w)

    async def on_status_changed(self, *, event: ComplaintStatusChanged) -> None:
        """Tunda pauses every open clock, resuming restarts them; arsip stops them."""
        async with self.locks.hold(event.tracking_id):
            await self._record(event.tracking_id, StatsRecorder.status_changed(event))
            clock = await self._clock(event.tracking_id)
            if event.status is Status.TUNDA:
                await self._pause(clock, event.changed_at)
            elif event.status is Status.ARSIP:
                w = _Writes()
                self._cancel(w, clock, list(Stage), event.changed_at)
                await self._save(clock, w)
            elif event.previous_status is Status.TUNDA:
                await self._resume(clock, event.changed_at)

    async def on_rated(self, *, event: ComplaintRated) -> None:
        """The reporter's rating: only the performance figures change."""
        async with self.locks.hold(event.tracking_id):
            await self._record(event.tracking_id, StatsRecorder.rated(event))

    # --- machinery -----------------------------------------------------------------------
    # A handler plans its clock writes into a _Writes and makes them in _save: one update of
    # the clock, then the timers it cancels, then one batch of new timers.
    async def _record(self, tracking_id: str, change: Change) -> None:
        if self.stats is not None:
            await self.stats.record(tracking_id, change)

    async def _clock(self, tracking_id: str) -> Clock:
        clock = await self.store.load_clock(tracking_id)
        return clock or Clock.model_validate({"_id": tracking_id})

    def _start(
        self, w: _Writes, stage: Stage, started_at: datetime, due_at: datetime, *, opd: str | None
    ) -> None:
        w.stages[stage] = StageClock(started_at=started_at, due_at=due_at)
        if opd is not None:
            w.opd = opd
        plan = plan_stage(
            self.calendar,
            stage=stage,
            started_at=started_at,
            due_at=due_at,
            reminder_lead=self.policy.reminder_lead,
        )
        w.plans.append(plan)

    def _meet(self, w: _Writes, clock: Clock, stage: Stage, at: datetime) -> None:
        current = clock.stages.get(stage)
        if current is None or not current.open:
            return
        w.stages[stage] = current.model_copy(update={"met_at": at})
        self._cancel_timers(w, clock, [stage])

    def _cancel(self, w: _Writes, clock: Clock, stages: list[Stage], at: datetime) -> None:
        for stage in stages:
            current = clock.stages.get(stage)
            if current is not None and current.open:
                w.stages[stage] = current.model_copy(update={"cancelled_at": at})
        self._cancel_timers(w, clock, stages)

    @staticmethod
    def _cancel_timers(w: _Writes, clock: Clock, stages: list[Stage]) -> None:
        # A stage's timers are added after the stage is saved: no stage, no timers to find.
        w.cancel += [s for s in stages if s in clock.stages and s not in w.cancel]

    async def _save(self, clock: Clock, w: _Writes) -> None:
        # Timers first, the clock last: a redelivered event is judged by the clock, so the
        # clock must not show a stage as started before its timers exist. A timer written
        # for a clock write that then failed is harmless: the scanner fires a timer only if
        # its stage is open in the clock with the same deadline, and cancels it otherwise.
        tracking_id = clock.tracking_id
        if w.cancel:  # before the new timers: a restarted stage may reuse their ids
            await self.store.cancel_timers(tracking_id=tracking_id, stages=w.cancel)
        if w.plans:
            await self.store.add_timers(tracking_id=tracking_id, opd=w.opd, plans=w.plans)
        if w.stages or w.resume:
            await self.store.save_stages(
                tracking_id=tracking_id, stages=w.stages, opd=w.opd, resume=w.resume
            )
        for stage in w.started():
            log.info("stage started", extra={"tracking_id": tracking_id, "stage": stage.value})

    async def _pause(self, clock: Clock, at: datetime) -> None:
        if clock.paused_at is not None:
            return
        await self.store.set_paused(tracking_id=clock.tracking_id, paused_at=at)
        w = _Writes()
        self._cancel_timers(w, clock, list(Stage))
        await self._save(clock, w)

    async def _resume(self, clock: Clock, at: datetime) -> None:
        if clock.paused_at is None:
            return
        w = _Writes()
        for stage, current in clock.stages.items():
            if not current.open:
                continue
            left = remaining_working_days(
                self.calendar, paused_at=clock.paused_at, due_at=current.due_at
            )
            self._start(w, stage, at, self.calendar.due(at, left), opd=clock.opd)
        w.resume = True  # in the same write as the new deadlines: never extended twice
        await self._save(clock, w)

    async def refresh_open_gauge(self) -> None:
        """Set `lapor_complaints_open{stage}` from the store."""
        for stage, count in (await self.store.count_open_by_stage()).items():
            self.metrics.open_cases.labels(stage=stage.value).set(count)
        by_opd = await self.store.count_open_by_stage_and_opd()
        self.metrics.open_by_opd.clear()
        for (stage, opd), count in by_opd.items():
            self.metrics.open_by_opd.labels(stage=stage.value, opd=opd).set(count)

    async def run_open_gauge(self, interval: float) -> None:
        """Refresh the open-cases gauge forever."""
        while True:
            try:
                await self.refresh_open_gauge()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("open gauge refresh failed: %s", type(exc).__name__)
            await asyncio.sleep(interval)
