"""Fires due timers: reminders, breaches, escalations, auto-close.

Restart-safe (timers live in the store; overdue ones fire at the next scan, including the
first one after start) and replica-safe (a timer fires only for the replica whose insert
of its `sla_fired` record succeeds; that record carries the events it publishes).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from services.sla.metrics import SlaMetrics
from services.sla.plan import TimerKind
from services.sla.ports import ClockStore, DueTimer
from services.sla.stats import StatsRecorder
from shared.contracts.events import (
    CloseComplaint,
    Event,
    SlaBreached,
    SlaEscalated,
    SlaReminderDue,
)
from shared.locks import KeyedLock
from shared.messaging.topology import EVENTS
from shared.outbox import OutboxRelay, outbox_entry

__all__ = ["TimerScanner"]

log = logging.getLogger(__name__)
SERVICE = "sla"


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class TimerScanner:
    """One pass fires every due timer; `run` repeats passes forever."""

    store: ClockStore
    relay: OutboxRelay
    metrics: SlaMetrics
    locks: KeyedLock
    batch: int = 200
    clock: Callable[[], datetime] = _utcnow
    stats: StatsRecorder | None = None

    async def scan_once(self) -> int:
        """Fire what is due now; returns how many timers fired here."""
        fired = 0
        now = self.clock()
        for timer in await self.store.due_timers(now=now, limit=self.batch):
            fired += await self._fire(timer, now)
        return fired

    async def _fire(self, timer: DueTimer, now: datetime) -> int:
        async with self.locks.hold(timer.tracking_id):
            clock = await self.store.load_clock(timer.tracking_id)
            stage = clock.stages.get(timer.stage) if clock else None
            if (
                stage is None
                or not stage.open
                or stage.due_at != timer.due_at
                or (clock is not None and clock.paused_at is not None)
            ):
                await self.store.finish_timer(timer_id=timer.id, state="cancelled")
                return 0
            event = self._event_for(timer, now)
            entry = outbox_entry(publisher=SERVICE, exchange=EVENTS, event=event)
            claimed = await self.store.claim_firing(timer_id=timer.id, outbox=[entry], fired_at=now)
            if claimed and timer.kind is TimerKind.BREACH:
                self.metrics.breaches.labels(stage=timer.stage.value, opd=timer.opd or "none").inc()
                await self.store.save_stages(
                    tracking_id=timer.tracking_id,
                    stages={timer.stage: stage.model_copy(update={"breached_at": timer.due_at})},
                    opd=None,
                )
                if self.stats is not None:
                    await self.stats.record(timer.tracking_id, StatsRecorder.breached(timer.stage))
        if claimed:
            await self.relay.flush(timer.id)
            log.info(
                "timer fired",
                extra={
                    "tracking_id": timer.tracking_id,
                    "stage": timer.stage.value,
                    "kind": timer.kind.value,
                },
            )
        await self.store.finish_timer(timer_id=timer.id, state="done")
        return 1 if claimed else 0

    @staticmethod
    def _event_for(timer: DueTimer, now: datetime) -> Event:
        base = {"correlation_id": timer.tracking_id, "tracking_id": timer.tracking_id}
        match timer.kind:
            case TimerKind.REMIND:
                return SlaReminderDue(**base, stage=timer.stage, opd=timer.opd, due_at=timer.due_at)
            case TimerKind.BREACH:
                return SlaBreached(
                    **base, stage=timer.stage, opd=timer.opd, due_at=timer.due_at, breached_at=now
                )
            case TimerKind.ESCALATE:
                return SlaEscalated(**base, stage=timer.stage, opd=timer.opd, due_at=timer.due_at)
            case TimerKind.AUTO_CLOSE:
                return CloseComplaint(**base, reason="auto_close")

    async def run(self, interval: float) -> None:
        """Scan forever (until cancelled), surviving store and broker outages."""
        while True:
            try:
                await self.scan_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("timer scan failed: %s: %s", type(exc).__name__, exc)
            await asyncio.sleep(interval)
