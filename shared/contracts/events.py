"""Versioned events. Readers ignore unknown fields; writers validate; fields are only added."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar
from uuid import uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.contracts.types import Channel, RoutingMethod, Stage, Status

__all__ = [
    "CloseComplaint",
    "ComplaintAssigned",
    "ComplaintFollowUpReceived",
    "ComplaintHeldForVerification",
    "ComplaintRated",
    "ComplaintReceived",
    "ComplaintResolved",
    "ComplaintResponded",
    "ComplaintStatusChanged",
    "Event",
    "OpdAssignment",
    "ReporterView",
    "SlaBreached",
    "SlaEscalated",
    "SlaReminderDue",
    "StatusRequested",
]


def _new_id() -> str:
    return uuid4().hex


def _now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Envelope fields every message carries."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    event_type: ClassVar[str] = "event"

    message_id: str = Field(default_factory=_new_id, min_length=1, max_length=64)
    occurred_at: AwareDatetime = Field(default_factory=_now)
    correlation_id: str = Field(min_length=1, max_length=64)
    schema_version: int = 1


class ComplaintReceived(Event):
    """Intake accepted and stored a complaint. Carries no contact details of the reporter."""

    event_type: ClassVar[str] = "complaint.received"

    tracking_id: str
    channel: Channel
    text: str
    title: str | None = None
    location: str | None = None
    anonymous: bool = False
    confidential: bool = False
    received_at: AwareDatetime
    kecamatan: str | None = None
    desa: str | None = None
    attachments: int = 0


class ComplaintAssigned(Event):
    """Routing gave the complaint to an agency (an OPD, or an external body: forwarded)."""

    event_type: ClassVar[str] = "complaint.assigned"

    tracking_id: str
    opd: str
    opd_name: str
    external: bool = False
    status: Status
    method: RoutingMethod
    confidence: float = Field(ge=0.0, le=1.0)
    received_at: AwareDatetime
    assigned_at: AwareDatetime
    previous_opd: str | None = None
    note: str | None = None


class ComplaintHeldForVerification(Event):
    """A human verifier must choose the agency: routing was unsure, or an OPD passed it back.

    `reason` is `low_confidence` or `rejected_by_opd` (bukan wewenang, with `note`).
    """

    event_type: ClassVar[str] = "complaint.held_for_verification"

    tracking_id: str
    suggested_opd: str | None = None
    confidence: float = Field(ge=0.0, le=1.0)
    reason: str
    rejected_by: str | None = None
    note: str | None = None


class ComplaintResponded(Event):
    """The OPD wrote a follow-up (tindak lanjut) for the reporter."""

    event_type: ClassVar[str] = "complaint.responded"

    tracking_id: str
    opd: str
    opd_name: str
    response: str
    responded_at: AwareDatetime


class ComplaintResolved(Event):
    """The case is closed as done (selesai), by the OPD, the operator or auto-close."""

    event_type: ClassVar[str] = "complaint.resolved"

    tracking_id: str
    opd: str | None = None
    opd_name: str | None = None
    text: str | None = None
    resolved_by: str
    resolved_at: AwareDatetime


class ComplaintStatusChanged(Event):
    """The operator put a case on hold (tunda), resumed it, or archived it (arsip)."""

    event_type: ClassVar[str] = "complaint.status_changed"

    tracking_id: str
    status: Status
    previous_status: Status
    reason: str | None = None
    changed_at: AwareDatetime


class ReporterView(BaseModel):
    """The reporter as an OPD may see them; absent for anonymous reports."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str | None = None
    email: str | None = None
    phone: str | None = None


class OpdAssignment(Event):
    """One assignment on the OPD's own queue `lapor.opd.<code>`.

    `reporter` is null when the reporter asked to stay anonymous.
    """

    event_type: ClassVar[str] = "opd.assignment"

    tracking_id: str
    opd: str
    title: str | None = None
    text: str
    location: str | None = None
    channel: Channel
    confidential: bool = False
    anonymous: bool = False
    reporter: ReporterView | None = None
    received_at: AwareDatetime
    assigned_at: AwareDatetime
    status_url: str


class ComplaintFollowUpReceived(Event):
    """The reporter wrote again about a complaint (SMS or email reply carrying its ID)."""

    event_type: ClassVar[str] = "complaint.follow_up_received"

    tracking_id: str
    channel: Channel
    text: str
    received_at: AwareDatetime


class SlaReminderDue(Event):
    """A stage's deadline is near: remind whoever owns the stage (in working hours)."""

    event_type: ClassVar[str] = "sla.reminder_due"

    tracking_id: str
    stage: Stage
    opd: str | None = None
    due_at: AwareDatetime


class SlaBreached(Event):
    """A stage's deadline passed without the stage being met."""

    event_type: ClassVar[str] = "sla.breached"

    tracking_id: str
    stage: Stage
    opd: str | None = None
    due_at: AwareDatetime
    breached_at: AwareDatetime


class SlaEscalated(Event):
    """A breach, escalated to the Admin Koordinator and the OPD head (in working hours)."""

    event_type: ClassVar[str] = "sla.escalated"

    tracking_id: str
    stage: Stage
    opd: str | None = None
    due_at: AwareDatetime


class CloseComplaint(Event):
    """Command to routing: close a case the reporter did not answer after its follow-up."""

    event_type: ClassVar[str] = "command.close_complaint"

    tracking_id: str
    reason: str
    responded_at: AwareDatetime | None = None


class ComplaintRated(Event):
    """The reporter rated how their complaint was handled (1-5)."""

    event_type: ClassVar[str] = "complaint.rated"

    tracking_id: str
    score: int = Field(ge=1, le=5)
    channel: Channel
    rated_at: AwareDatetime


class StatusRequested(Event):
    """Someone texted `CEK <tracking ID>`: answer with the public status by SMS.

    `reply_to` is the number that asked (any number may ask: the answer is public data).
    """

    event_type: ClassVar[str] = "complaint.status_requested"

    tracking_id: str | None = None
    reply_to: str
    requested_at: AwareDatetime
