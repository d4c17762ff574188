"""Intake settings (`LAPOR_` prefix; documented in `.env.example`)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from shared.settings import CommonSettings

__all__ = ["DEV_SECRET_KEY", "IntakeSettings"]

DEV_SECRET_KEY = "dev-secret-change-me"  # noqa: S105 - documented development default


class IntakeSettings(CommonSettings):
    """Intake: the public entry points for web, SMS and email complaints."""

    intake_port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_text_chars: int = Field(default=5000, ge=100)
    max_photo_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    default_phone_region: str = "ID"
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    rate_limit_per_client: int = Field(default=30, ge=1)
    rate_limit_per_phone: int = Field(default=30, ge=1)
    sms_keyword: str = "LAPOR"
    sms_webhook_token: SecretStr | None = None
    imap_enabled: bool = True
    imap_host: str = "127.0.0.1"
    imap_port: int = Field(default=1143, ge=1, le=65535)
    imap_security: str = Field(default="none", pattern="^(none|starttls|tls)$")
    imap_username: str = "pengaduan@lapor.test"
    imap_password: SecretStr = SecretStr("lapor-dev")
    imap_mailbox: str = "INBOX"
    imap_processed_mailbox: str = "Diproses"
    imap_poll_seconds: float = Field(default=10.0, gt=0)
    intake_address: str = "pengaduan@lapor.test"
    stats_cache_seconds: float = Field(default=60.0, ge=0)

    @model_validator(mode="after")
    def _no_development_secret_in_production(self) -> IntakeSettings:
        if self.environment == "production" and (
            self.secret_key.get_secret_value() == DEV_SECRET_KEY
            or len(self.secret_key.get_secret_value()) < 32
        ):
            raise ValueError("LAPOR_SECRET_KEY must be set (32+ characters) in production")
        return self
