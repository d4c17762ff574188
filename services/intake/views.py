"""What the public may see of a complaint: never the reporter; only the status if rahasia."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from services.intake.ports import ComplaintRecord
from shared.contracts.types import STATUS_LABELS, Stage, Status
from shared.directory import Directory

__all__ = ["AgencyView", "PublicHistoryEntry", "PublicStatus", "public_status_of"]


class AgencyView(BaseModel):
    """The agency handling the case."""

    code: str
    name: str


class PublicHistoryEntry(BaseModel):
    """One public step."""

    at: datetime
    status: Status
    status_label: str
    note: str | None = None


class PublicStatus(BaseModel):
    """The public status page's data."""

    tracking_id: str
    status: Status
    status_label: str
    confidential: bool
    received_at: datetime | None = None
    agency: AgencyView | None = None
    deadlines: dict[Stage, datetime] = {}
    title: str | None = None
    text: str | None = None
    location: str | None = None
    history: list[PublicHistoryEntry] = []


def public_status_of(record: ComplaintRecord, directory: Directory, tz: ZoneInfo) -> PublicStatus:
    """Filter a complaint's record down to what the public may see (times in local time)."""

    def _entry(at: datetime, status: Status, note: str | None) -> PublicHistoryEntry:
        return PublicHistoryEntry(
            at=at.astimezone(tz), status=status, status_label=STATUS_LABELS[status], note=note
        )

    complaint, case = record.complaint, record.case
    status = case.status if case else Status.BELUM_TERVERIFIKASI
    base = PublicStatus(
        tracking_id=complaint.tracking_id,
        status=status,
        status_label=STATUS_LABELS[status],
        confidential=complaint.confidential,
    )
    if complaint.confidential:
        return base
    agency = directory.get(case.opd) if case and case.opd else None
    history = [_entry(complaint.received_at, Status.BELUM_TERVERIFIKASI, "Laporan diterima")]
    if case:
        history += [_entry(h.at, h.status, h.note) for h in case.history if h.public]
    return base.model_copy(
        update={
            "received_at": complaint.received_at.astimezone(tz),
            "agency": AgencyView(code=agency.code, name=agency.name) if agency else None,
            "deadlines": {stage: due.astimezone(tz) for stage, due in record.deadlines.items()},
            "title": complaint.title,
            "text": complaint.text,
            "location": complaint.location,
            "history": history,
        }
    )
