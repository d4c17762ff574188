"""Intake's use cases: accept a complaint durably, show its public status."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from services.intake.metrics import IntakeMetrics
from services.intake.model import Submission
from services.intake.ports import ComplaintStore, EventRelay, TrackingIdTaken, Unavailable
from services.intake.tracking import new_tracking_id
from services.intake.views import PublicStatus, public_status_of
from shared.contracts.events import ComplaintReceived
from shared.directory import Directory
from shared.messaging.topology import EVENTS
from shared.outbox import outbox_entry
from shared.store.complaints import ComplaintDocument

__all__ = ["IntakeService"]

log = logging.getLogger(__name__)
SERVICE = "intake"
_ID_ATTEMPTS = 8


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class IntakeService:
    """Accepting and showing complaints."""

    store: ComplaintStore
    relay: EventRelay
    directory: Directory
    metrics: IntakeMetrics
    tz: ZoneInfo
    clock: Callable[[], datetime] = _utcnow

    async def submit(self, *, submission: Submission) -> str:
        """Store the complaint with its ComplaintReceived event, publish it; the tracking ID."""
        if not await self.relay.broker_ready():
            raise Unavailable("broker unavailable")
        received_at = self.clock()
        for _ in range(_ID_ATTEMPTS):
            tracking_id = new_tracking_id(received_at, self.tz)
            try:
                await self._store_new(
                    tracking_id=tracking_id, submission=submission, received_at=received_at
                )
                break
            except TrackingIdTaken:
                continue
        else:
            raise Unavailable("could not allocate a tracking ID")
        self.metrics.received.labels(channel=submission.channel.value).inc()
        log.info(
            "complaint accepted",
            extra={"tracking_id": tracking_id, "channel": submission.channel.value},
        )
        await self._publish_now(tracking_id)
        return tracking_id

    async def _store_new(
        self, *, tracking_id: str, submission: Submission, received_at: datetime
    ) -> None:
        complaint = ComplaintDocument(
            tracking_id=tracking_id,
            channel=submission.channel,
            text=submission.text,
            title=submission.title,
            location=submission.location,
            reporter=submission.reporter,
            anonymous=submission.anonymous,
            confidential=submission.confidential,
            received_at=received_at,
        )
        event = ComplaintReceived(
            correlation_id=tracking_id,
            tracking_id=tracking_id,
            channel=submission.channel,
            text=submission.text,
            title=submission.title,
            location=submission.location,
            anonymous=submission.anonymous,
            confidential=submission.confidential,
            received_at=received_at,
        )
        entry = outbox_entry(publisher=SERVICE, exchange=EVENTS, event=event)
        await self.store.insert(complaint, outbox=[entry])

    async def _publish_now(self, tracking_id: str) -> None:
        # The complaint is stored with its event; if publishing fails now, the relay retries.
        try:
            await self.relay.flush(tracking_id)
        except Exception as exc:
            log.warning(
                "publish deferred to outbox relay: %s",
                type(exc).__name__,
                extra={"tracking_id": tracking_id},
            )

    async def public_status(self, *, tracking_id: str) -> PublicStatus | None:
        """What anyone may see of a complaint; None if unknown."""
        record = await self.store.load_record(tracking_id)
        if record is None:
            return None
        return public_status_of(record, self.directory, self.tz)
