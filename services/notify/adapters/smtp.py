"""Email through SMTP with aiosmtplib (plain, STARTTLS or implicit TLS; optional auth)."""

from __future__ import annotations

import asyncio
import time

import aiosmtplib

from services.notify.messages import OutgoingMail
from services.notify.ports import DeliveryFailed, DeliveryRefused
from services.notify.settings import NotifySettings

__all__ = ["SmtpMailer"]

_ERRORS = (aiosmtplib.SMTPException, OSError, TimeoutError)


class SmtpMailer:
    """Reuses a few SMTP connections: a message on an open one is three round trips instead
    of seven (connect, greeting, EHLO, STARTTLS/AUTH, QUIT each time).

    A connection idle for longer than `idle_seconds` is closed rather than reused (servers
    drop idle clients after a minute or more). Any failure closes the connection it happened
    on and raises DeliveryFailed; the caller's retry then gets a fresh one.
    """

    def __init__(
        self, settings: NotifySettings, *, connections: int = 4, idle_seconds: float = 15.0
    ) -> None:
        self._settings = settings
        self._slots = asyncio.Semaphore(connections)
        self._idle: list[tuple[float, aiosmtplib.SMTP]] = []  # (last used, client)
        self._idle_seconds = idle_seconds

    async def send(self, mail: OutgoingMail) -> None:
        """Send, or raise DeliveryFailed (DeliveryRefused when the recipient is refused with
        a permanent 5xx)."""
        async with self._slots:
            client = self._reusable()
            try:
                if client is None:
                    client = self._client()
                    await client.connect()
                await client.sendmail(mail.sender, list(mail.recipients), mail.data)
            except aiosmtplib.SMTPRecipientsRefused as exc:
                # A 5xx for the recipient is final (the server itself answered).
                if client is not None:
                    client.close()
                codes = [r.code for r in exc.recipients]
                if codes and all(500 <= code < 600 for code in codes):
                    raise DeliveryRefused(f"smtp: recipient refused ({codes[0]})") from exc
                raise DeliveryFailed(f"smtp: recipient deferred ({codes[:1]})") from exc
            except _ERRORS as exc:
                if client is not None:
                    client.close()
                raise DeliveryFailed(f"smtp: {type(exc).__name__}") from exc
            self._idle.append((time.monotonic(), client))

    async def close(self) -> None:
        """Say goodbye on every idle connection."""
        idle, self._idle = self._idle, []
        for _, client in idle:
            try:
                await client.quit()
            except _ERRORS:
                client.close()

    def _reusable(self) -> aiosmtplib.SMTP | None:
        now = time.monotonic()
        while self._idle:
            used, client = self._idle.pop()  # the most recently used first
            if client.is_connected and now - used < self._idle_seconds:
                return client
            client.close()
        return None

    def _client(self) -> aiosmtplib.SMTP:
        s = self._settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls",
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            timeout=s.smtp_timeout_seconds,
        )
