"""What notify's use cases need from the outside world."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from services.notify.messages import OutgoingMail
from services.notify.smstext import SmsText
from shared.store.cases import CaseDocument
from shared.store.complaints import ComplaintDocument

__all__ = [
    "AwaitingReport",
    "CaseReader",
    "Claim",
    "DeliveryFailed",
    "DeliveryRefused",
    "DeliveryUncertain",
    "Mailer",
    "NotificationLog",
    "NotifyError",
    "SmsGateway",
]


class NotifyError(Exception):
    """Base of notify's errors."""


class DeliveryFailed(NotifyError):
    """A gateway (SMTP, SMS) refused or could not be reached: try again later."""


class DeliveryRefused(DeliveryFailed):
    """Refused for good (an address no gateway can take, a 5xx for the recipient): not
    retried; the notification is recorded as refused."""


class AwaitingReport(DeliveryFailed):
    """A notification may have gone out (cut off mid-send, or being sent by a copy of the
    event): looked at again later without using up an attempt; the wait for its delivery
    report is bounded."""


class DeliveryUncertain(DeliveryFailed):
    """The request reached the gateway but its answer did not come back: it may have sent."""


class Claim(StrEnum):
    """The outcome of claiming a notification in the log."""

    NEW = "new"
    RETRY = "retry"  # the last attempt failed before the gateway took it: send again
    UNCERTAIN = "uncertain"  # the last attempt died mid-send: it may have gone out
    WAIT = "wait"  # an SMS that may have gone out: wait for its delivery report first
    ALREADY_SENT = "already_sent"
    REFUSED = "refused"  # refused for good before: not again


class CaseReader(Protocol):
    """Reads what a notification is about (never writes)."""

    async def load_complaint(self, tracking_id: str) -> ComplaintDocument | None:
        """The complaint as intake stored it, or None."""

    async def load_case(self, tracking_id: str) -> CaseDocument | None:
        """The case as routing keeps it, or None."""


class NotificationLog(Protocol):
    """Exactly-once bookkeeping: one record per (event, channel, recipient)."""

    async def claim(
        self, *, notification_id: str, key: str, tracking_id: str, kind: str, channel: str
    ) -> Claim:
        """Register the intent to send; tells whether it already went out."""

    async def mark_sent(self, *, notification_id: str, message_id: str | None) -> None:
        """Record the successful hand-over to the gateway."""

    async def mark_failed(self, *, notification_id: str, error: str, final: bool = False) -> None:
        """Record a failed attempt; `final`: refused for good, never to be retried."""

    async def record_delivery_report(self, *, notification_id: str, report: int) -> bool:
        """Record an SMS delivery report; False for an unknown notification."""


class Mailer(Protocol):
    """Sends one email."""

    async def send(self, mail: OutgoingMail) -> None:
        """Hand over to the SMTP server; DeliveryFailed when it cannot be done now."""


class SmsGateway(Protocol):
    """Sends one SMS through a Kannel-compatible sendsms URL."""

    async def send(self, *, to: str, sms: SmsText, dlr_url: str) -> None:
        """Hand over to the gateway; DeliveryFailed when it cannot be done now."""
