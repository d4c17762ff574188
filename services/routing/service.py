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
from shared.mongo import Document
from shared.outbox import outbox_entry
from shared.store.cases import CaseDocument, HistoryEntry, RoutingDecision
from shared.store.complaints import ComplaintDocument

__all__ = ["SERVICE", "ComplaintNotFound", "RoutingService"]

log = logging.getLogger(__name__)


class ComplaintNotFound(RoutingError):
    """The event names a complaint the store does not have (yet): retried."""


@dataclass(frozen=True)
class Decided:
    """A routing decision as it is stored: the case's new state and the events it sends."""

    status: Status
    opd: str | None  # None: held for a human verifier
    decision: RoutingDecision
    history: HistoryEntry
    outbox: list[Document]


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
            if case is None or case.routing is None:
                prediction = self.classifier.classify(complaint.text)
                decided = self._decision(complaint=complaint, prediction=prediction, cause=event)
                if case is None:  # the case, its decision and its events: one insert
                    changed = await self.store.open_case(
                        self._new_case(complaint, decided), outbox=decided.outbox
                    )
                else:  # opened, not routed yet (by an earlier version)
                    changed = await self.store.record_routing(
                        tracking_id=complaint.tracking_id,
                        status=decided.status,
                        opd=decided.opd,
                        decision=decided.decision,
                        history=decided.history,
                        outbox=decided.outbox,
                    )
                if changed:
                    self._count(complaint, prediction, decided)
        await self.relay.flush(event.tracking_id)

    def _new_case(self, complaint: ComplaintDocument, decided: Decided) -> CaseDocument:
        return CaseDocument(
            tracking_id=complaint.tracking_id,
            channel=complaint.channel,
            anonymous=complaint.anonymous,
            confidential=complaint.confidential,
            status=decided.status,
            opd=decided.opd,
            routing=decided.decision,
            history=[decided.history],
            received_at=complaint.received_at,
            updated_at=decided.decision.decided_at,
        )

    def _decision(
        self, *, complaint: ComplaintDocument, prediction: Prediction, cause: Event
    ) -> Decided:
        now = self.clock()
        agency = self.directory.get(prediction.opd)
        if agency is None or prediction.confidence < self.threshold:
            return self._hold(complaint=complaint, prediction=prediction, cause=cause, now=now)
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
        return Decided(
            status=status,
            opd=agency.code,
            decision=decision,
            history=HistoryEntry(
                at=now, status=status, actor=SERVICE, action="disposition", note=note
            ),
            outbox=outbox,
        )

    def _count(
        self, complaint: ComplaintDocument, prediction: Prediction, decided: Decided
    ) -> None:
        self.metrics.confidence.observe(prediction.confidence)
        if decided.opd is None:
            self.metrics.held.inc()
            log.info(
                "complaint held for verification",
                extra={"tracking_id": complaint.tracking_id, "confidence": prediction.confidence},
            )
            return
        self.metrics.routed.labels(opd=decided.opd, method=decided.decision.method.value).inc()
        waited = (decided.decision.decided_at - complaint.received_at).total_seconds()
        self.metrics.latency.observe(max(0.0, waited))
        log.info(
            "complaint assigned",
            extra={
                "tracking_id": complaint.tracking_id,
                "opd": decided.opd,
                "confidence": prediction.confidence,
            },
        )

    def status_url(self, tracking_id: str) -> str:
        """The public status link of a complaint."""
        return f"{self.public_base_url.rstrip('/')}/api/v1/complaints/{tracking_id}"

    def _hold(
        self,
        *,
        complaint: ComplaintDocument,
        prediction: Prediction,
        cause: Event,
        now: datetime,
    ) -> Decided:
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
        return Decided(
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
