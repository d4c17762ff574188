"""SLA settings (`LAPOR_` prefix; documented in `.env.example`)."""

from __future__ import annotations

from pydantic import Field

from services.sla.workcalendar import CalendarSettings
from shared.settings import CommonSettings

__all__ = ["SlaSettings"]


class SlaSettings(CommonSettings, CalendarSettings):
    """SLA: stage deadlines in working days, reminders, escalation, auto-close."""

    sla_port: int = Field(default=8002, ge=1, le=65535)
    verification_days: int = Field(default=3, ge=1, le=60)
    follow_up_days: int = Field(default=5, ge=1, le=60)
    completion_days: int = Field(default=60, ge=1, le=365)
    completion_in_working_days: bool = False
    auto_close_days: int = Field(default=10, ge=1, le=60)
    reminder_lead_working_days: int = Field(default=1, ge=1, le=10)
    sla_scan_interval_seconds: float = Field(default=30.0, gt=0)
    open_gauge_interval_seconds: float = Field(default=15.0, gt=0)
