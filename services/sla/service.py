"""SLA use cases: start and stop stage clocks as the case moves."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from services.sla.metrics import SlaMetrics
from services.sla.ports import ClockStore
from services.sla.workcalendar import Calendar
from shared.contracts.events import ComplaintAssigned, ComplaintReceived
from shared.contracts.types import Stage

__all__ = ["SERVICE", "SlaService"]

log = logging.getLogger(__name__)
SERVICE = "sla"


@dataclass
class SlaService:
    """Stage deadlines."""

    store: ClockStore
    calendar: Calendar
    metrics: SlaMetrics
    verification_days: int
    follow_up_days: int

    async def start_verification(self, *, event: ComplaintReceived) -> None:
        """A received complaint must be verified within the verification allowance."""
        due = self.calendar.due(event.received_at, self.verification_days)
        await self.store.start_stage(
            tracking_id=event.tracking_id,
            stage=Stage.VERIFICATION,
            started_at=event.received_at,
            due_at=due,
            opd=None,
        )
        log.info(
            "deadline recorded",
            extra={"tracking_id": event.tracking_id, "stage": Stage.VERIFICATION.value},
        )

    async def start_follow_up(self, *, event: ComplaintAssigned) -> None:
        """Disposition ends verification and starts the OPD's follow-up clock."""
        await self.store.complete_stage(
            tracking_id=event.tracking_id, stage=Stage.VERIFICATION, at=event.assigned_at
        )
        if event.external:
            return  # forwarded to a body outside the pemda: no OPD follow-up clock
        due = self.calendar.due(event.assigned_at, self.follow_up_days)
        await self.store.start_stage(
            tracking_id=event.tracking_id,
            stage=Stage.FOLLOW_UP,
            started_at=event.assigned_at,
            due_at=due,
            opd=event.opd,
        )

    async def refresh_open_gauge(self) -> None:
        """Set `lapor_complaints_open{stage}` from the store."""
        for stage, count in (await self.store.count_open_by_stage()).items():
            self.metrics.open_cases.labels(stage=stage.value).set(count)

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
