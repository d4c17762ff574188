"""Notify settings (`LAPOR_` prefix; documented in `.env.example`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from shared.settings import CommonSettings

__all__ = ["NotifySettings"]


class NotifySettings(CommonSettings):
    """Notify: outbound email (and later SMS) to reporters and OPD staff."""

    notify_port: int = Field(default=8003, ge=1, le=65535)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=2525, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=15.0, gt=0)
    mail_from: str = "pengaduan@lapor.test"
    mail_from_name: str = "Layanan Pengaduan Kabupaten Lingga"
    mail_reply_to: str = "pengaduan@lapor.test"
