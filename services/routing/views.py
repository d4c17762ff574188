"""What staff see of a case. An anonim reporter's identity is never in it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from shared.contracts.events import ReporterView
from shared.contracts.types import STATUS_LABELS, Channel, Stage, Status
from shared.directory import Directory
from shared.store.cases import CaseDocument
from shared.store.complaints import ComplaintDocument

__all__ = ["CaseSummary", "CaseView", "HistoryView", "case_summary", "case_view"]


class HistoryView(BaseModel):
    """One audited step: who, when, what, why."""

    at: datetime
    status: Status
    actor: str
    action: str
    note: str | None = None


class CaseSummary(BaseModel):
    """A line in a queue."""

    tracking_id: str
    status: Status
    status_label: str
    opd: str | None
    opd_name: str | None
    suggested_opd: str | None
    confidence: float | None
    channel: Channel
    anonymous: bool
    confidential: bool
    received_at: datetime
    deadlines: dict[Stage, datetime]
    next_deadline: datetime | None
    overdue: bool


class CaseView(CaseSummary):
    """A whole case for the staff who may handle it."""

    title: str | None
    text: str
    location: str | None
    reporter: ReporterView | None
    history: list[HistoryView]


def _open_deadline(case: CaseDocument, deadlines: dict[Stage, datetime]) -> datetime | None:
    stage = {
        Status.BELUM_TERVERIFIKASI: Stage.VERIFICATION,
        Status.DIDISPOSISIKAN: Stage.FOLLOW_UP,
        Status.DITINDAKLANJUTI: Stage.COMPLETION,
    }.get(case.status)
    return deadlines.get(stage) if stage else None


def case_summary(
    case: CaseDocument,
    deadlines: dict[Stage, datetime],
    directory: Directory,
    *,
    tz: ZoneInfo,
    now: datetime,
) -> CaseSummary:
    """The queue line of a case, times in local time."""
    agency = directory.get(case.opd) if case.opd else None
    routing = case.routing
    due = _open_deadline(case, deadlines)
    return CaseSummary(
        tracking_id=case.tracking_id,
        status=case.status,
        status_label=STATUS_LABELS[case.status],
        opd=case.opd,
        opd_name=agency.name if agency else None,
        suggested_opd=routing.suggested_opd if routing else None,
        confidence=routing.confidence if routing else None,
        channel=case.channel,
        anonymous=case.anonymous,
        confidential=case.confidential,
        received_at=case.received_at.astimezone(tz),
        deadlines={stage: at.astimezone(tz) for stage, at in deadlines.items()},
        next_deadline=due.astimezone(tz) if due else None,
        overdue=due is not None and due < now,
    )


def case_view(
    case: CaseDocument,
    complaint: ComplaintDocument,
    deadlines: dict[Stage, datetime],
    directory: Directory,
    *,
    tz: ZoneInfo,
    now: datetime,
) -> CaseView:
    """The whole case; the reporter only when not anonim."""
    summary = case_summary(case, deadlines, directory, tz=tz, now=now)
    reporter = None
    if not complaint.anonymous:
        r = complaint.reporter
        reporter = ReporterView(name=r.name, email=r.email, phone=r.phone)
    return CaseView(
        **summary.model_dump(),
        title=complaint.title,
        text=complaint.text,
        location=complaint.location,
        reporter=reporter,
        history=[
            HistoryView(
                at=h.at.astimezone(tz), status=h.status, actor=h.actor, action=h.action, note=h.note
            )
            for h in case.history
        ],
    )
