"""Intake settings (`LAPOR_` prefix; documented in `.env.example`)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import CommonSettings

__all__ = ["IntakeSettings"]


class IntakeSettings(CommonSettings):
    """Intake: the public entry points for web, SMS and email complaints."""

    intake_port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_text_chars: int = Field(default=5000, ge=100)
    default_phone_region: str = "ID"
