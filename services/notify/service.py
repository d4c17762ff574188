"""Notify's use cases: tell the reporter at each step, exactly once per step and channel."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from services.notify.messages import (
    MailIdentity,
    ReporterMail,
    acknowledgement,
    assignment,
    compose_email,
)
from services.notify.metrics import NotifyMetrics
from services.notify.ports import (
    Claim,
    ComplaintReader,
    DeliveryFailed,
    Mailer,
    NotificationLog,
    NotifyError,
)
from shared.contracts.events import ComplaintAssigned, ComplaintReceived
from shared.store.complaints import ComplaintDocument

__all__ = ["SERVICE", "ComplaintNotFound", "NotifyService"]

log = logging.getLogger(__name__)
SERVICE = "notify"


class ComplaintNotFound(NotifyError):
    """The event names a complaint the store does not have (yet)."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class NotifyService:
    """Reporter notifications."""

    complaints: ComplaintReader
    log: NotificationLog
    mailer: Mailer
    identity: MailIdentity
    metrics: NotifyMetrics
    public_base_url: str
    clock: Callable[[], datetime] = _utcnow

    def _status_url(self, tracking_id: str) -> str:
        return f"{self.public_base_url.rstrip('/')}/api/v1/complaints/{tracking_id}"

    async def acknowledge_receipt(self, *, event: ComplaintReceived) -> None:
        """Send the acknowledgement with the tracking ID."""
        complaint = await self._complaint(event.tracking_id)
        mail = acknowledgement(
            tracking_id=event.tracking_id, status_url=self._status_url(event.tracking_id)
        )
        await self._email_reporter(complaint=complaint, mail=mail)

    async def announce_assignment(self, *, event: ComplaintAssigned) -> None:
        """Tell the reporter which agency has the case."""
        complaint = await self._complaint(event.tracking_id)
        mail = assignment(
            tracking_id=event.tracking_id,
            agency_name=event.opd_name,
            external=event.external,
            status_url=self._status_url(event.tracking_id),
        )
        await self._email_reporter(complaint=complaint, mail=mail)

    async def _complaint(self, tracking_id: str) -> ComplaintDocument:
        complaint = await self.complaints.load(tracking_id)
        if complaint is None:
            raise ComplaintNotFound(tracking_id)
        return complaint

    async def _email_reporter(self, *, complaint: ComplaintDocument, mail: ReporterMail) -> None:
        address = complaint.reporter.email
        if address is None:
            return  # no email address given: the status page (and later SMS) say it all
        key = f"{mail.kind}:{complaint.tracking_id}:email:{address}"
        claim = await self.log.claim(
            key=key, tracking_id=complaint.tracking_id, kind=mail.kind, channel="email"
        )
        if claim is Claim.ALREADY_SENT:
            self.metrics.sent.labels(channel="email", result="duplicate").inc()
            return
        message = compose_email(
            mail=mail,
            to=address,
            to_name=complaint.reporter.name,
            identity=self.identity,
            now=self.clock(),
        )
        try:
            await self.mailer.send(message)
        except DeliveryFailed as exc:
            self.metrics.sent.labels(channel="email", result="failed").inc()
            await self.log.mark_failed(key=key, error=str(exc))
            raise
        await self.log.mark_sent(key=key, message_id=str(message["Message-ID"]))
        self.metrics.sent.labels(channel="email", result="sent").inc()
        log.info(
            "reporter notified",
            extra={"tracking_id": complaint.tracking_id, "kind": mail.kind, "channel": "email"},
        )
