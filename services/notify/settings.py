"""Notify settings (`LAPOR_` prefix; documented in `.env.example`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from shared.messaging.retry import RetryPolicy
from shared.settings import CommonSettings

__all__ = ["NotifySettings"]


class NotifySettings(CommonSettings):
    """Notify: email and SMS to reporters, email to OPD staff and the Admin Koordinator."""

    notify_port: int = Field(default=8003, ge=1, le=65535)
    notify_public_base_url: str = "http://127.0.0.1:8003"
    notify_templates_dir: Path | None = None
    service_name: str = "Layanan Pengaduan Kabupaten Lingga"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=2525, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=15.0, gt=0)
    mail_from: str = "pengaduan@lapor.test"
    mail_from_name: str = "Layanan Pengaduan Kabupaten Lingga"
    mail_reply_to: str = "pengaduan@lapor.test"
    operator_email: str = "admin@lapor.test"
    opd_email_pattern: str = "{code}@lapor.test"
    opd_head_email_pattern: str = "kepala.{code}@lapor.test"
    sms_enabled: bool = True
    sms_sendsms_url: str = "http://127.0.0.1:13013/cgi-bin/sendsms"
    sms_username: str = "lapor"
    sms_password: SecretStr = SecretStr("lapor-dev")
    sms_from: str = "1708"
    sms_timeout_seconds: float = Field(default=10.0, gt=0)
    notify_sms_report_wait_seconds: float = Field(default=600.0, gt=0)
    notify_max_attempts: int = Field(default=12, ge=1, le=100)
    notify_retry_base_seconds: float = Field(default=5.0, gt=0)
    notify_retry_max_seconds: float = Field(default=1800.0, gt=0)

    def retry_policy(self) -> RetryPolicy:
        """The backoff of events a gateway could not take."""
        return RetryPolicy(
            base_seconds=self.notify_retry_base_seconds,
            max_seconds=self.notify_retry_max_seconds,
            max_attempts=self.notify_max_attempts,
        )
