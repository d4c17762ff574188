"""SLA settings (`LAPOR_` prefix; documented in `.env.example`)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import CommonSettings

__all__ = ["SlaSettings"]


class SlaSettings(CommonSettings):
    """SLA: stage deadlines, reminders, escalation."""

    sla_port: int = Field(default=8002, ge=1, le=65535)
    verification_days: int = Field(default=3, ge=1, le=60)
    follow_up_days: int = Field(default=5, ge=1, le=60)
    open_gauge_interval_seconds: float = Field(default=15.0, gt=0)
