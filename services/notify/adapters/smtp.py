"""Email through SMTP with aiosmtplib (plain, STARTTLS or implicit TLS; optional auth)."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from services.notify.ports import DeliveryFailed
from services.notify.settings import NotifySettings

__all__ = ["SmtpMailer"]


class SmtpMailer:
    """One connection per message: simple, and robust to server restarts."""

    def __init__(self, settings: NotifySettings) -> None:
        self._settings = settings

    async def send(self, message: EmailMessage) -> None:
        """Send, or raise DeliveryFailed."""
        s = self._settings
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                use_tls=s.smtp_security == "tls",
                start_tls=s.smtp_security == "starttls",
                username=s.smtp_username,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                timeout=s.smtp_timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryFailed(f"smtp: {type(exc).__name__}") from exc
