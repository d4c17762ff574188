"""What notify's use cases need from the outside world."""

from __future__ import annotations

from email.message import EmailMessage
from enum import StrEnum
from typing import Protocol

from shared.store.complaints import ComplaintDocument

__all__ = [
    "Claim",
    "ComplaintReader",
    "DeliveryFailed",
    "Mailer",
    "NotificationLog",
    "NotifyError",
]


class NotifyError(Exception):
    """Base of notify's errors."""


class DeliveryFailed(NotifyError):
    """A gateway (SMTP, SMS) refused or could not be reached; retry later."""


class Claim(StrEnum):
    """The outcome of claiming a notification in the log."""

    NEW = "new"
    RETRY = "retry"
    ALREADY_SENT = "already_sent"


class ComplaintReader(Protocol):
    """Reads the complaint a notification is about."""

    async def load(self, tracking_id: str) -> ComplaintDocument | None:
        """The stored complaint, or None."""


class NotificationLog(Protocol):
    """Exactly-once bookkeeping: one record per (event, channel, recipient) key."""

    async def claim(self, *, key: str, tracking_id: str, kind: str, channel: str) -> Claim:
        """Register the intent to send; tells whether it already went out."""

    async def mark_sent(self, *, key: str, message_id: str) -> None:
        """Record the successful send."""

    async def mark_failed(self, *, key: str, error: str) -> None:
        """Record a failed attempt."""


class Mailer(Protocol):
    """Sends one email."""

    async def send(self, message: EmailMessage) -> None:
        """Deliver to the SMTP server; DeliveryFailed when it cannot."""
