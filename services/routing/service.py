"""Routing's use cases: choose the agency, or hand the case to a human verifier."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from services.routing.assignment import SERVICE, assignment_events, status_for
from services.routing.metrics import RoutingMetrics
from services.routing.model import Prediction
from services.routing.ports import CaseStore, Classifier, EventRelay, RoutingError
from shared.contracts.events import ComplaintHeldForVerification, ComplaintReceived, Event
from shared.contracts.types import RoutingMethod, Status
from shared.directory import Directory
from shared.locks import KeyedLock
from shared.messaging.topology import EVENTS
from shared.outbox import outbox_entry
from shared.store.cases import CaseDocument, HistoryEntry, RoutingDecision
from shared.store.complaints import ComplaintDocument

__all__ = ["SERVICE", "ComplaintNotFound", "RoutingService"]

log = logging.getLogger(__name__)


class ComplaintNotFound(RoutingError):
    """The event names a complaint the store does not have (yet): retried."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class RoutingService:
    """Deciding where complaints go."""

    store: CaseStore
    relay: EventRelay
    classifier: Classifier
    directory: Directory
    metrics: RoutingMetrics
    threshold: float
    public_base_url: str
    locks: KeyedLock
    clock: Callable[[], datetime] = _utcnow

    async def route_complaint(self, *, event: ComplaintReceived) -> None:
        """Assign a newly received complaint, or hold it for verification (idempotent)."""
        async with self.locks.hold(event.tracking_id):
            complaint = await self.store.load_complaint(event.tracking_id)
            if complaint is None:
                raise ComplaintNotFound(event.tracking_id)
            case = await self.store.load_case(event.tracking_id)
            if case is None:
                await self.store.open_case(self._new_case(complaint))
            if case is None or case.routing is None:
                prediction = self.classifier.classify(complaint.text)
                await self._decide(complaint=complaint, prediction=prediction, cause=event)
        await self.relay.flush(event.tracking_id)

    def _new_case(self, complaint: ComplaintDocument) -> CaseDocument:
        return CaseDocument(
            tracking_id=complaint.tracking_id,
            channel=complaint.channel,
            anonymous=complaint.anonymous,
            confidential=complaint.confidential,
            received_at=complaint.received_at,
            updated_at=self.clock(),
        )

    async def _decide(
        self, *, complaint: ComplaintDocument, prediction: Prediction, cause: Event
    ) -> None:
        now = self.clock()
        agency = self.directory.get(prediction.opd)
        self.metrics.confidence.observe(prediction.confidence)
        if agency is None or prediction.confidence < self.threshold:
            await self._hold(complaint=complaint, prediction=prediction, cause=cause, now=now)
            return
        status = status_for(agency)
        decision = RoutingDecision(
            method=RoutingMethod.CLASSIFIER, confidence=prediction.confidence, decided_at=now
        )
        outbox = assignment_events(
            complaint=complaint,
            agency=agency,
            method=decision.method,
            confidence=decision.confidence,
            assigned_at=now,
            correlation_id=cause.correlation_id,
            status_url=self.status_url(complaint.tracking_id),
        )
        note = f"{'Diteruskan ke' if agency.external else 'Didisposisikan ke'} {agency.name}"
        changed = await self.store.record_routing(
            tracking_id=complaint.tracking_id,
            status=status,
            opd=agency.code,
            decision=decision,
            history=HistoryEntry(
                at=now, status=status, actor=SERVICE, action="disposition", note=note
            ),
            outbox=outbox,
        )
        if changed:
            self.metrics.routed.labels(opd=agency.code, method=decision.method.value).inc()
            self.metrics.latency.observe(max(0.0, (now - complaint.received_at).total_seconds()))
            log.info(
                "complaint assigned",
                extra={
                    "tracking_id": complaint.tracking_id,
                    "opd": agency.code,
                    "confidence": prediction.confidence,
                },
            )

    def status_url(self, tracking_id: str) -> str:
        """The public status link of a complaint."""
        return f"{self.public_base_url.rstrip('/')}/api/v1/complaints/{tracking_id}"

    async def _hold(
        self,
        *,
        complaint: ComplaintDocument,
        prediction: Prediction,
        cause: Event,
        now: datetime,
    ) -> None:
        suggested = prediction.opd if prediction.opd in self.directory else None
        decision = RoutingDecision(
            method=RoutingMethod.CLASSIFIER,
            confidence=prediction.confidence,
            suggested_opd=suggested,
            decided_at=now,
        )
        held = ComplaintHeldForVerification(
            correlation_id=cause.correlation_id,
            tracking_id=complaint.tracking_id,
            suggested_opd=suggested,
            confidence=prediction.confidence,
            reason="low_confidence",
        )
        changed = await self.store.record_routing(
            tracking_id=complaint.tracking_id,
            status=Status.BELUM_TERVERIFIKASI,
            opd=None,
            decision=decision,
            history=HistoryEntry(
                at=now,
                status=Status.BELUM_TERVERIFIKASI,
                actor=SERVICE,
                action="held_for_verification",
                note="Menunggu verifikasi petugas",
                public=False,
            ),
            outbox=[outbox_entry(publisher=SERVICE, exchange=EVENTS, event=held)],
        )
        if changed:
            self.metrics.held.inc()
            log.info(
                "complaint held for verification",
                extra={"tracking_id": complaint.tracking_id, "confidence": prediction.confidence},
            )
