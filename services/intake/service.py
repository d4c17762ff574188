"""Intake's use cases: accept what citizens send, durably and once; show public status.

Every SMS and email is stored raw first (`inbound`), then interpreted: a new complaint, a
follow-up on a known complaint, a rating, a status request, or something to ignore (an
auto-reply, a bounce). A gateway that delivers the same item twice gets the same outcome.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.intake.intents import (
    FollowUp,
    Ignore,
    Intent,
    Invalid,
    NewComplaint,
    Rating,
    StatusRequest,
)
from services.intake.metrics import IntakeMetrics
from services.intake.model import Submission
from services.intake.ports import (
    ComplaintStore,
    DuplicateSubmission,
    EventRelay,
    InboundStore,
    TrackingIdTaken,
    Unavailable,
)
from services.intake.tracking import new_tracking_id
from services.intake.views import PublicStatus, public_status_of
from shared.contracts.events import (
    ComplaintFollowUpReceived,
    ComplaintRated,
    ComplaintReceived,
    StatusRequested,
)
from shared.contracts.types import Channel
from shared.directory import Directory
from shared.messaging.topology import EVENTS
from shared.mongo import COMPLAINTS, FOLLOWUPS, INBOUND, RATINGS
from shared.outbox import outbox_entry
from shared.store.complaints import ComplaintDocument

__all__ = ["SERVICE", "IntakeService", "Outcome", "SubmitResult"]

log = logging.getLogger(__name__)
SERVICE = "intake"
_ID_ATTEMPTS = 8


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _short(key: str) -> str:
    """A correlation ID for an item without a tracking ID (gateway ids may be long)."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class SubmitResult:
    """The tracking ID, and whether this submission had been accepted before."""

    tracking_id: str
    duplicate: bool = False


@dataclass(frozen=True)
class Outcome:
    """What became of an inbound item."""

    kind: str  # complaint, follow_up, rating, status, ignored, invalid, duplicate
    tracking_id: str | None = None
    reason: str | None = None


@dataclass
class IntakeService:
    """Accepting and showing complaints."""

    store: ComplaintStore
    inbound: InboundStore
    relay: EventRelay
    directory: Directory
    metrics: IntakeMetrics
    tz: ZoneInfo
    clock: Callable[[], datetime] = _utcnow

    # --- new complaints ------------------------------------------------------------------
    async def submit(self, *, submission: Submission) -> SubmitResult:
        """Store the complaint with its ComplaintReceived event and publish it."""
        if not await self.relay.broker_ready():
            raise Unavailable("broker unavailable")
        received_at = self.clock()
        try:
            tracking_id = await self._store_with_fresh_id(submission, received_at)
        except DuplicateSubmission as dup:
            if dup.tracking_id is None:
                raise
            return SubmitResult(tracking_id=dup.tracking_id, duplicate=True)
        self.metrics.received.labels(channel=submission.channel.value).inc()
        log.info(
            "complaint accepted",
            extra={"tracking_id": tracking_id, "channel": submission.channel.value},
        )
        await self._publish_now(tracking_id, COMPLAINTS)
        return SubmitResult(tracking_id=tracking_id)

    async def _store_with_fresh_id(self, submission: Submission, received_at: datetime) -> str:
        for _ in range(_ID_ATTEMPTS):
            tracking_id = new_tracking_id(received_at, self.tz)
            complaint = ComplaintDocument(
                tracking_id=tracking_id,
                channel=submission.channel,
                text=submission.text,
                title=submission.title,
                location=submission.location,
                kecamatan=submission.kecamatan,
                desa=submission.desa,
                reporter=submission.reporter,
                anonymous=submission.anonymous,
                confidential=submission.confidential,
                attachments=list(submission.attachments),
                source_key=submission.source_key,
                received_at=received_at,
            )
            event = ComplaintReceived(
                correlation_id=tracking_id,
                tracking_id=tracking_id,
                channel=submission.channel,
                text=submission.text,
                title=submission.title,
                location=submission.location,
                kecamatan=submission.kecamatan,
                desa=submission.desa,
                anonymous=submission.anonymous,
                confidential=submission.confidential,
                received_at=received_at,
                attachments=len(submission.attachments),
            )
            entry = outbox_entry(publisher=SERVICE, exchange=EVENTS, event=event)
            try:
                await self.store.insert(complaint, outbox=[entry])
            except TrackingIdTaken:
                continue
            return tracking_id
        raise Unavailable("could not allocate a tracking ID")

    # --- SMS and email: raw first, then the interpretation --------------------------------
    async def receive(
        self,
        *,
        source_key: str,
        channel: Channel,
        payload: dict[str, Any],
        interpret: Callable[[], Awaitable[Intent]],
    ) -> Outcome:
        """Store the raw item, interpret it, act on it once."""
        if not await self.relay.broker_ready():
            raise Unavailable("broker unavailable")
        previous = await self.inbound.record(
            source_key=source_key, channel=channel, payload=payload, received_at=self.clock()
        )
        if previous is not None and previous != "received":
            return Outcome("duplicate", await self.store.find_by_source(source_key))
        try:
            intent = await interpret()
        except ValueError as exc:  # a parser's clear refusal: keep it visible for review
            intent = Invalid(str(exc))
        outcome = await self._act(source_key, channel, intent)
        if outcome.kind not in ("status",):
            await self.inbound.settle(
                source_key=source_key,
                outcome=outcome.kind,
                tracking_id=outcome.tracking_id,
                reason=outcome.reason,
            )
        return outcome

    async def _act(self, source_key: str, channel: Channel, intent: Intent) -> Outcome:
        match intent:
            case NewComplaint(submission=submission):
                result = await self.submit(submission=submission)
                return Outcome("complaint", result.tracking_id)
            case FollowUp(tracking_id=tid, text=text):
                await self._follow_up(source_key, channel, tid, text)
                return Outcome("follow_up", tid)
            case Rating(tracking_id=tid, score=score, phone=phone, email=email):
                if tid is None or not await self.complaint_of_reporter(
                    tracking_id=tid, phone=phone, email=email
                ):
                    self.metrics.invalid.labels(channel=channel.value).inc()
                    return Outcome("invalid", reason="rating: not the reporter of this complaint")
                return await self._rate(channel, tid, score)
            case StatusRequest(tracking_id=tid, reply_to=reply_to):
                await self._status_requested(source_key, tid, reply_to)
                return Outcome("status", tid)
            case Ignore(reason=reason):
                self.metrics.ignored.labels(channel=channel.value).inc()
                return Outcome("ignored", reason=reason)
            case Invalid(reason=reason):
                self.metrics.invalid.labels(channel=channel.value).inc()
                log.warning("inbound item kept for review", extra={"reason": reason})
                return Outcome("invalid", reason=reason)
        raise AssertionError(f"unhandled intent {intent!r}")

    async def _follow_up(
        self, source_key: str, channel: Channel, tracking_id: str, text: str
    ) -> None:
        now = self.clock()
        event = ComplaintFollowUpReceived(
            correlation_id=tracking_id,
            tracking_id=tracking_id,
            channel=channel,
            text=text,
            received_at=now,
        )
        entry = outbox_entry(publisher=SERVICE, exchange=EVENTS, event=event)
        if await self.store.add_follow_up(
            source_key=source_key,
            tracking_id=tracking_id,
            channel=channel,
            text=text,
            received_at=now,
            outbox=[entry],
        ):
            await self._publish_now(source_key, FOLLOWUPS)

    async def _rate(self, channel: Channel, tracking_id: str | None, score: int) -> Outcome:
        if tracking_id is None:
            return Outcome("invalid", reason="no complaint to rate")
        now = self.clock()
        event = ComplaintRated(
            correlation_id=tracking_id,
            tracking_id=tracking_id,
            score=score,
            channel=channel,
            rated_at=now,
        )
        await self.store.set_rating(
            tracking_id=tracking_id,
            score=score,
            channel=channel,
            rated_at=now,
            outbox=[outbox_entry(publisher=SERVICE, exchange=EVENTS, event=event)],
        )
        await self._publish_now(tracking_id, RATINGS)
        return Outcome("rating", tracking_id)

    async def _status_requested(
        self, source_key: str, tracking_id: str | None, reply_to: str
    ) -> None:
        event = StatusRequested(
            correlation_id=tracking_id or _short(source_key),
            tracking_id=tracking_id,
            reply_to=reply_to,
            requested_at=self.clock(),
        )
        await self.inbound.settle(
            source_key=source_key,
            outcome="status",
            tracking_id=tracking_id,
            outbox=[outbox_entry(publisher=SERVICE, exchange=EVENTS, event=event)],
        )
        await self._publish_now(source_key, INBOUND)

    async def _publish_now(self, doc_id: str, collection: str) -> None:
        # Stored with its events; if publishing fails now, the outbox relay retries.
        try:
            await self.relay.flush(doc_id, collection=collection)
        except Exception as exc:
            log.warning(
                "publish deferred to outbox relay: %s",
                type(exc).__name__,
                extra={"document": doc_id},
            )

    # --- reading -------------------------------------------------------------------------
    async def public_status(self, *, tracking_id: str) -> PublicStatus | None:
        """What anyone may see of a complaint; None if unknown."""
        record = await self.store.load_record(tracking_id)
        if record is None:
            return None
        return public_status_of(record, self.directory, self.tz)

    async def complaint_of_reporter(
        self, *, tracking_id: str, phone: str | None = None, email: str | None = None
    ) -> bool:
        """Whether the complaint exists and this phone number or address reported it."""
        record = await self.store.load_record(tracking_id)
        if record is None:
            return False
        reporter = record.complaint.reporter
        return bool((phone and reporter.phone == phone) or (email and reporter.email == email))
