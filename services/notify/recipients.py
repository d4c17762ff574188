"""Who hears about what, and where to reach them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from shared.contracts.types import Channel, Stage
from shared.directory import Directory
from shared.indonesian import DAYS, MONTHS
from shared.store.complaints import ComplaintDocument

__all__ = ["Recipient", "StaffContacts", "format_local", "reporter_of", "stage_label"]

_ZONES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
_STAGES = {
    Stage.VERIFICATION: "verifikasi",
    Stage.FOLLOW_UP: "tindak lanjut OPD",
    Stage.COMPLETION: "penyelesaian",
    Stage.AUTO_CLOSE: "penutupan otomatis",
}


@dataclass(frozen=True)
class Recipient:
    """One address on one channel."""

    channel: str  # "email" or "sms"
    address: str
    name: str | None = None
    label: str | None = None


def reporter_of(complaint: ComplaintDocument) -> Recipient | None:
    """The reporter, on the channel they used (web: email first, else SMS); None: no contact."""
    r = complaint.reporter
    email = Recipient("email", r.email, r.name) if r.email else None
    sms = Recipient("sms", r.phone, r.name) if r.phone else None
    if complaint.channel is Channel.SMS:
        return sms or email
    return email or sms


def format_local(at: datetime, tz: ZoneInfo) -> str:
    """`Senin, 7 Desember 2026 pukul 16.00 WIB`."""
    local = at.astimezone(tz)
    zone = _ZONES.get(str(tz), local.strftime("%Z"))
    return (
        f"{DAYS[local.weekday()]}, {local.day} {MONTHS[local.month - 1]} {local.year} "
        f"pukul {local:%H.%M} {zone}"
    )


def stage_label(stage: Stage) -> str:
    """The stage's name in Bahasa Indonesia."""
    return _STAGES[stage]


@dataclass(frozen=True)
class StaffContacts:
    """Staff addresses: the Admin Koordinator, each OPD's desk and its head."""

    directory: Directory
    operator_email: str
    opd_email_pattern: str
    opd_head_email_pattern: str

    def operator(self) -> Recipient:
        """The Admin Koordinator."""
        return Recipient("email", self.operator_email, label="Admin Koordinator")

    def opd_desk(self, code: str) -> Recipient:
        """The OPD's contact for new cases and reminders."""
        agency = self.directory.get(code)
        address = (
            agency.email
            if agency and agency.email
            else self.opd_email_pattern.format(code=code.lower())
        )
        return Recipient("email", address, label=agency.name if agency else code)

    def opd_head(self, code: str) -> Recipient:
        """The head of the OPD, for escalations."""
        agency = self.directory.get(code)
        name = agency.name if agency else code
        return Recipient(
            "email", self.opd_head_email_pattern.format(code=code.lower()), label=f"Kepala {name}"
        )
