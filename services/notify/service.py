"""Notify's use cases: each step of a case reaches the people it concerns, exactly once.

A notification is identified by (event, channel, recipient). It is claimed in the log
before sending and marked sent after; a redelivered event finds it sent and does nothing.
If a gateway is down the use case raises DeliveryFailed after trying every recipient, and
the handler schedules a retry; what went out already is not sent again. If the store fails
between a send and its record, the process remembers the send and the retry records it;
after a crash, an SMS waits for the gateway's delivery report and an email is resent with
the same Message-ID.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from services.notify.messages import MailIdentity, compose_email
from services.notify.metrics import NotifyMetrics
from services.notify.ports import (
    AwaitingReport,
    CaseReader,
    Claim,
    DeliveryFailed,
    DeliveryRefused,
    DeliveryUncertain,
    Mailer,
    NotificationLog,
    NotifyError,
    SmsGateway,
)
from services.notify.recipients import (
    Recipient,
    StaffContacts,
    format_local,
    reporter_of,
    stage_label,
)
from services.notify.render import Templates
from shared.contracts.events import (
    ComplaintAssigned,
    ComplaintFollowUpReceived,
    ComplaintReceived,
    ComplaintResolved,
    ComplaintResponded,
    ComplaintStatusChanged,
    Event,
    SlaEscalated,
    SlaReminderDue,
    StatusRequested,
)
from shared.contracts.types import STATUS_LABELS, Stage, Status
from shared.email_address import wire_address
from shared.store.complaints import ComplaintDocument

__all__ = ["SERVICE", "ComplaintNotFound", "NotifyService"]

log = logging.getLogger(__name__)
SERVICE = "notify"


class _Outcome(IntEnum):
    """What became of a notification; an event's outcome is the worst of its recipients'."""

    DONE = 0  # sent now or before, or refused for good
    WAITING = 1  # its earlier attempt may have gone out, or is still going: look again later
    FAILED = 2  # the gateway is away: retried with backoff, each retry an attempt


@dataclass(frozen=True)
class _Notification:
    """One message about one event to one recipient; `id` is a digest of `key`."""

    id: str
    key: str
    kind: str
    to: Recipient
    tracking_id: str
    ctx: dict[str, Any]
    thread: bool


_GONE = object()
_UNRECORDED_MAX = 10_000  # a store outage this long forgets the oldest: they wait, or resend
_SHRINK = {"ditindaklanjuti": "response", "ditunda": "reason", "arsip": "reason"}


class ComplaintNotFound(NotifyError):
    """The event names a complaint the store does not have (yet): retried."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class NotifyService:
    """Reporter and staff notifications."""

    cases: CaseReader
    log: NotificationLog
    mailer: Mailer
    sms: SmsGateway | None
    templates: Templates
    identity: MailIdentity
    staff: StaffContacts
    metrics: NotifyMetrics
    tz: ZoneInfo
    public_base_url: str
    dlr_base_url: str
    service_name: str
    clock: Callable[[], datetime] = _utcnow
    # Handed over by this process but not yet marked sent (the store failed right after the
    # send): the retry records it rather than sending it again.
    unrecorded: dict[str, str | None] = field(default_factory=dict)
    # Being sent by this process now: a copy of the event that arrives meanwhile waits.
    sending: set[str] = field(default_factory=set)

    # --- the reporter --------------------------------------------------------------------
    async def on_received(self, *, event: ComplaintReceived) -> None:
        """Diterima, with the tracking ID."""
        await self._tell_reporter(event, "diterima")

    async def on_assigned(self, *, event: ComplaintAssigned) -> None:
        """Didisposisikan (or diteruskan) to the reporter; the new case to the OPD's desk."""
        kind = "diteruskan" if event.external else "didisposisikan"
        complaint = await self._complaint(event.tracking_id)
        outcome = await self._reporter_delivery(event, kind, complaint, agency_name=event.opd_name)
        r = complaint.reporter
        contact = ", ".join(c for c in (r.phone, r.email) if c) or None
        staff = await self._staff_delivery(
            event,
            "penugasan",
            [self.staff.opd_desk(event.opd)],
            complaint,
            agency_name=event.opd_name,
            text=complaint.text,
            location=complaint.location,
            reporter_name=None if complaint.anonymous else r.name,
            reporter_contact=None if complaint.anonymous else contact,
        )
        self._raise_if(max(outcome, staff))

    async def on_responded(self, *, event: ComplaintResponded) -> None:
        """Ditindaklanjuti, with the OPD's answer."""
        await self._tell_reporter(
            event, "ditindaklanjuti", agency_name=event.opd_name, response=event.response
        )

    async def on_resolved(self, *, event: ComplaintResolved) -> None:
        """Selesai, with an invitation to rate."""
        await self._tell_reporter(event, "selesai", agency_name=event.opd_name, response=event.text)

    async def on_status_changed(self, *, event: ComplaintStatusChanged) -> None:
        """Ditunda or arsip, with the reason; resuming says nothing."""
        kind = {Status.TUNDA: "ditunda", Status.ARSIP: "arsip"}.get(event.status)
        if kind is not None:
            await self._tell_reporter(event, kind, reason=event.reason or "-")

    async def on_status_requested(self, *, event: StatusRequested) -> None:
        """`CEK <ID>` by SMS: the public status, to the number that asked."""
        tracking_id = event.tracking_id or "-"
        case = await self.cases.load_case(tracking_id) if event.tracking_id else None
        complaint = await self.cases.load_complaint(tracking_id) if event.tracking_id else None
        ctx: dict[str, Any] = {"tracking_id": tracking_id, "known": complaint is not None}
        if complaint is not None:
            status = case.status if case else Status.BELUM_TERVERIFIKASI
            agency = (
                self.staff.directory.get(case.opd)
                if case and case.opd and not complaint.confidential
                else None
            )
            ctx |= {
                "status_label": STATUS_LABELS[status],
                "agency_name": agency.name if agency else None,
            }
        to = Recipient("sms", event.reply_to)
        self._raise_if(await self._deliver(event, "status", to, tracking_id, ctx, thread=False))

    # --- staff ---------------------------------------------------------------------------
    async def on_reminder(self, *, event: SlaReminderDue) -> None:
        """A deadline is near: the operator for verification, otherwise the OPD's desk."""
        owner = (
            self.staff.operator()
            if event.stage is Stage.VERIFICATION or not event.opd
            else self.staff.opd_desk(event.opd)
        )
        complaint = await self._complaint(event.tracking_id)
        self._raise_if(
            await self._staff_delivery(
                event,
                "pengingat",
                [owner],
                complaint,
                stage_label=stage_label(event.stage),
                due_at=format_local(event.due_at, self.tz),
            )
        )

    async def on_escalated(self, *, event: SlaEscalated) -> None:
        """A missed deadline: the Admin Koordinator and the OPD's head."""
        recipients = [self.staff.operator()]
        if event.opd:
            recipients.append(self.staff.opd_head(event.opd))
        complaint = await self._complaint(event.tracking_id)
        agency = self.staff.directory.get(event.opd) if event.opd else None
        self._raise_if(
            await self._staff_delivery(
                event,
                "eskalasi",
                recipients,
                complaint,
                stage_label=stage_label(event.stage),
                due_at=format_local(event.due_at, self.tz),
                agency_name=agency.name if agency else None,
            )
        )

    async def on_follow_up(self, *, event: ComplaintFollowUpReceived) -> None:
        """The reporter answered: the OPD handling the case reads it."""
        case = await self.cases.load_case(event.tracking_id)
        if case is None or case.opd is None:
            return  # not with an OPD: the operator sees it in the verification queue
        complaint = await self._complaint(event.tracking_id)
        agency = self.staff.directory.get(case.opd)
        self._raise_if(
            await self._staff_delivery(
                event,
                "balasan",
                [self.staff.opd_desk(case.opd)],
                complaint,
                agency_name=agency.name if agency else case.opd,
                text=event.text,
            )
        )

    # --- machinery -----------------------------------------------------------------------
    async def _tell_reporter(self, event: Event, kind: str, **context: Any) -> None:
        complaint = await self._complaint(getattr(event, "tracking_id"))  # noqa: B009
        self._raise_if(await self._reporter_delivery(event, kind, complaint, **context))

    async def _reporter_delivery(
        self, event: Event, kind: str, complaint: ComplaintDocument, **context: Any
    ) -> _Outcome:
        recipient = reporter_of(complaint)
        if recipient is None:
            return _Outcome.DONE  # no contact given: the public status page says it all
        ctx = self._context(complaint, reporter_name=complaint.reporter.name, **context)
        return await self._deliver(event, kind, recipient, complaint, ctx, thread=True)

    async def _staff_delivery(
        self,
        event: Event,
        kind: str,
        recipients: list[Recipient],
        complaint: ComplaintDocument,
        **context: Any,
    ) -> _Outcome:
        worst = _Outcome.DONE
        for recipient in recipients:
            ctx = self._context(complaint, recipient_label=recipient.label, **context)
            outcome = await self._deliver(event, kind, recipient, complaint, ctx, thread=False)
            worst = max(worst, outcome)
        return worst

    def _context(self, complaint: ComplaintDocument, **extra: Any) -> dict[str, Any]:
        return {
            "tracking_id": complaint.tracking_id,
            "status_url": f"{self.public_base_url.rstrip('/')}/api/v1/complaints/"
            f"{complaint.tracking_id}",
            "service_name": self.service_name,
            "anonymous": complaint.anonymous,
            **extra,
        }

    async def _deliver(
        self,
        event: Event,
        kind: str,
        to: Recipient,
        complaint: ComplaintDocument | str,
        ctx: dict[str, Any],
        *,
        thread: bool,
    ) -> _Outcome:
        """Send one notification once."""
        if to.channel == "sms" and self.sms is None:
            return _Outcome.DONE
        key = f"{event.message_id}:{kind}:{to.channel}:{to.address}"
        n = _Notification(
            id=hashlib.sha256(key.encode()).hexdigest()[:24],
            key=key,
            kind=kind,
            to=to,
            tracking_id=complaint if isinstance(complaint, str) else complaint.tracking_id,
            ctx=ctx,
            thread=thread,
        )
        if n.id in self.unrecorded:  # this process sent it; its record failed
            await self._record_sent(n, self.unrecorded[n.id])
            return _Outcome.DONE
        if n.id in self.sending:  # a copy of the event, delivered again meanwhile
            return _Outcome.WAITING
        self.sending.add(n.id)
        try:
            return await self._claim_and_send(n)
        finally:
            self.sending.discard(n.id)

    async def _claim_and_send(self, n: _Notification) -> _Outcome:
        channel = n.to.channel
        claim = await self.log.claim(
            notification_id=n.id,
            key=n.key,
            tracking_id=n.tracking_id,
            kind=n.kind,
            channel=channel,
        )
        if claim is Claim.REFUSED:
            return _Outcome.DONE  # refused for good by an earlier attempt
        if claim is Claim.ALREADY_SENT:
            self.metrics.sent.labels(channel=channel, result="duplicate").inc()
            return _Outcome.DONE
        if claim is Claim.WAIT:
            return _Outcome.WAITING  # by the next look, the gateway's delivery report tells
        about = {"tracking_id": n.tracking_id, "kind": n.kind, "channel": channel}
        if claim is Claim.UNCERTAIN:
            log.warning("resending a notification whose earlier attempt was cut off", extra=about)
        try:
            message_id = await self._send(n)
        except DeliveryUncertain as exc:
            # Left pending, like a send cut off by a crash: the next attempt waits for the
            # gateway's delivery report before it sends again.
            log.warning(
                "notification may have gone out, waiting for its delivery report",
                extra={**about, "error": str(exc)},
            )
            return _Outcome.FAILED  # an attempt: a gateway that never answers is given up
        except DeliveryFailed as exc:
            final = isinstance(exc, DeliveryRefused)  # refused for good: never retried
            result = "refused" if final else "failed"
            self.metrics.sent.labels(channel=channel, result=result).inc()
            await self.log.mark_failed(notification_id=n.id, error=str(exc), final=final)
            log.warning(
                "notification refused for good, not retried"
                if final
                else "notification failed, will retry",
                extra={**about, "error": str(exc)},
            )
            return _Outcome.DONE if final else _Outcome.FAILED
        if len(self.unrecorded) >= _UNRECORDED_MAX:
            del self.unrecorded[next(iter(self.unrecorded))]
        self.unrecorded[n.id] = message_id
        await self._record_sent(n, message_id)
        return _Outcome.DONE

    async def _record_sent(self, n: _Notification, message_id: str | None) -> None:
        """Mark sent what this process handed over; kept in `unrecorded` until it is."""
        await self.log.mark_sent(notification_id=n.id, message_id=message_id)
        if self.unrecorded.pop(n.id, _GONE) is _GONE:
            return  # a concurrent copy of the event recorded it first
        self.metrics.sent.labels(channel=n.to.channel, result="sent").inc()
        log.info(
            "notified",
            extra={"tracking_id": n.tracking_id, "kind": n.kind, "channel": n.to.channel},
        )

    async def _send(self, n: _Notification) -> str | None:
        if n.to.channel == "sms":
            assert self.sms is not None
            sms = self.templates.sms(n.kind, n.ctx, shrink=_SHRINK.get(n.kind))
            dlr = f"{self.dlr_base_url.rstrip('/')}/sms/dlr?" + urlencode({"n": n.id})
            await self.sms.send(to=n.to.address, sms=sms, dlr_url=f"{dlr}&type=%d")
            return None
        try:
            address = wire_address(n.to.address)
        except ValueError as exc:
            raise DeliveryRefused(f"email address: {exc}") from exc
        rendered = self.templates.email(n.kind, n.ctx)
        mail = compose_email(
            rendered=rendered,
            kind=n.kind,
            tracking_id=n.tracking_id,
            key=n.key,
            to=address,
            to_name=n.to.name,
            identity=self.identity,
            now=self.clock(),
            thread=n.thread,
        )
        await self.mailer.send(mail)
        return mail.message_id

    async def _complaint(self, tracking_id: str) -> ComplaintDocument:
        complaint = await self.cases.load_complaint(tracking_id)
        if complaint is None:
            raise ComplaintNotFound(tracking_id)
        return complaint

    @staticmethod
    def _raise_if(outcome: _Outcome) -> None:
        if outcome is _Outcome.FAILED:
            raise DeliveryFailed("a notification could not be sent now")
        if outcome is _Outcome.WAITING:
            raise AwaitingReport("a notification may have gone out: looked at again later")

    async def record_delivery_report(self, *, notification_id: str, report: int) -> bool:
        """An SMS delivery report from the gateway."""
        found = await self.log.record_delivery_report(
            notification_id=notification_id, report=report
        )
        if found:
            self.metrics.delivery_reports.labels(outcome=str(report)).inc()
        return found
