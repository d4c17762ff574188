"""The events of giving a case to an agency: the domain event and the OPD's queue message."""

from __future__ import annotations

from datetime import datetime

from shared.contracts.events import ComplaintAssigned, OpdAssignment, ReporterView
from shared.contracts.types import RoutingMethod, Status
from shared.directory import Agency
from shared.messaging.topology import EVENTS, OPD_EXCHANGE, opd_routing_key
from shared.mongo import Document
from shared.outbox import outbox_entry
from shared.store.complaints import ComplaintDocument

__all__ = ["SERVICE", "assignment_events", "status_for"]

SERVICE = "routing"


def status_for(agency: Agency) -> Status:
    """Didisposisikan for an OPD, diteruskan for a body outside the pemda."""
    return Status.DITERUSKAN if agency.external else Status.DIDISPOSISIKAN


def reporter_view(complaint: ComplaintDocument) -> ReporterView | None:
    """The reporter as an OPD may see them: nobody, when the report is anonim."""
    if complaint.anonymous:
        return None
    r = complaint.reporter
    return ReporterView(name=r.name, email=r.email, phone=r.phone)


def assignment_events(
    *,
    complaint: ComplaintDocument,
    agency: Agency,
    method: RoutingMethod,
    confidence: float,
    assigned_at: datetime,
    correlation_id: str,
    status_url: str,
    previous_opd: str | None = None,
    note: str | None = None,
) -> list[Document]:
    """Outbox entries: `complaint.assigned` on the events exchange, and the OPD's message."""
    assigned = ComplaintAssigned(
        correlation_id=correlation_id,
        tracking_id=complaint.tracking_id,
        opd=agency.code,
        opd_name=agency.name,
        external=agency.external,
        status=status_for(agency),
        method=method,
        confidence=confidence,
        received_at=complaint.received_at,
        assigned_at=assigned_at,
        previous_opd=previous_opd,
        note=note,
    )
    queued = OpdAssignment(
        correlation_id=correlation_id,
        tracking_id=complaint.tracking_id,
        opd=agency.code,
        title=complaint.title,
        text=complaint.text,
        location=complaint.location,
        channel=complaint.channel,
        confidential=complaint.confidential,
        anonymous=complaint.anonymous,
        reporter=reporter_view(complaint),
        received_at=complaint.received_at,
        assigned_at=assigned_at,
        status_url=status_url,
    )
    return [
        outbox_entry(publisher=SERVICE, exchange=EVENTS, event=assigned),
        outbox_entry(
            publisher=SERVICE,
            exchange=OPD_EXCHANGE,
            event=queued,
            routing_key=opd_routing_key(agency.code),
        ),
    ]
