"""In-memory test doubles for the ports (kept next to the tests that use them)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from pymongo.errors import AutoReconnect

from services.intake.ports import ComplaintRecord, DuplicateSubmission, TrackingIdTaken
from services.notify.messages import OutgoingMail
from services.notify.ports import Claim, DeliveryFailed
from services.notify.smstext import SmsText
from shared.contracts.types import Channel, Stage, Status
from shared.mongo import Document
from shared.store.cases import CaseDocument, HistoryEntry, RoutingDecision
from shared.store.complaints import ComplaintDocument


class Outboxes:
    """Pending events per document."""

    def __init__(self) -> None:
        self.outbox: dict[str, list[Document]] = {}


class FakeComplaints(Outboxes):
    """Intake's complaint store in memory (with optional case and deadlines for status)."""

    def __init__(self) -> None:
        super().__init__()
        self.docs: dict[str, ComplaintDocument] = {}
        self.cases: dict[str, CaseDocument] = {}
        self.deadlines: dict[str, dict[Stage, datetime]] = {}
        self.followups: dict[str, tuple[str, str]] = {}
        self.ratings: dict[str, int] = {}
        self.fail_with: Exception | None = None

    async def insert(self, complaint: ComplaintDocument, *, outbox: list[Document]) -> None:
        if self.fail_with:
            raise self.fail_with
        existing = await self.find_by_source(complaint.source_key or "")
        if existing is not None:
            raise DuplicateSubmission(existing)
        if complaint.tracking_id in self.docs:
            raise TrackingIdTaken(complaint.tracking_id)
        self.docs[complaint.tracking_id] = complaint
        self.outbox[complaint.tracking_id] = list(outbox)

    async def find_by_source(self, source_key: str) -> str | None:
        return next((t for t, d in self.docs.items() if d.source_key == source_key), None)

    async def latest_of_reporter(self, *, phone: str | None, email: str | None) -> str | None:
        mine = [
            d
            for d in self.docs.values()
            if (phone and d.reporter.phone == phone) or (email and d.reporter.email == email)
        ]
        return max(mine, key=lambda d: d.received_at).tracking_id if mine else None

    async def add_follow_up(
        self,
        *,
        source_key: str,
        tracking_id: str,
        channel: Channel,
        text: str,
        received_at: datetime,
        outbox: list[Document],
    ) -> bool:
        if source_key in self.followups:
            return False
        self.followups[source_key] = (tracking_id, text)
        self.outbox[source_key] = list(outbox)
        return True

    async def set_rating(
        self,
        *,
        tracking_id: str,
        score: int,
        channel: Channel,
        rated_at: datetime,
        outbox: list[Document],
    ) -> None:
        self.ratings[tracking_id] = score
        self.outbox.setdefault(tracking_id, []).extend(outbox)

    async def load_record(self, tracking_id: str) -> ComplaintRecord | None:
        complaint = self.docs.get(tracking_id)
        if complaint is None:
            return None
        return ComplaintRecord(
            complaint=complaint,
            case=self.cases.get(tracking_id),
            deadlines=self.deadlines.get(tracking_id, {}),
        )


class FakeInbound(Outboxes):
    """Raw inbound items by source key."""

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, dict[str, Any]] = {}

    async def record(
        self, *, source_key: str, channel: Channel, payload: dict[str, Any], received_at: datetime
    ) -> str | None:
        if source_key in self.items:
            return str(self.items[source_key]["outcome"])
        self.items[source_key] = {"payload": payload, "outcome": "received"}
        return None

    async def settle(
        self,
        *,
        source_key: str,
        outcome: str,
        tracking_id: str | None = None,
        reason: str | None = None,
        outbox: list[Document] | None = None,
    ) -> None:
        self.items[source_key].update(outcome=outcome, tracking_id=tracking_id, reason=reason)
        if outbox:
            self.outbox.setdefault(source_key, []).extend(outbox)


class FakeCases(Outboxes):
    """Routing's case store in memory, reading complaints from a FakeComplaints."""

    def __init__(self, complaints: FakeComplaints) -> None:
        super().__init__()
        self.complaints = complaints
        self.cases: dict[str, CaseDocument] = {}
        self.deadlines: dict[str, dict[Stage, datetime]] = {}
        self.labels: dict[str, str] = {}

    async def load_complaint(self, tracking_id: str) -> ComplaintDocument | None:
        return self.complaints.docs.get(tracking_id)

    async def load_case(self, tracking_id: str) -> CaseDocument | None:
        return self.cases.get(tracking_id)

    async def open_case(self, case: CaseDocument, *, outbox: Sequence[Document] = ()) -> bool:
        if case.tracking_id in self.cases:
            return False
        self.cases[case.tracking_id] = case
        self.outbox.setdefault(case.tracking_id, []).extend(outbox)
        return True

    async def record_routing(
        self,
        *,
        tracking_id: str,
        status: Status,
        opd: str | None,
        decision: RoutingDecision,
        history: HistoryEntry,
        outbox: Sequence[Document],
    ) -> bool:
        case = self.cases.get(tracking_id)
        if case is None or case.routing is not None or case.status != Status.BELUM_TERVERIFIKASI:
            return False
        self.cases[tracking_id] = case.model_copy(
            update={
                "status": status,
                "opd": opd,
                "routing": decision,
                "history": [*case.history, history],
            }
        )
        self.outbox.setdefault(tracking_id, []).extend(outbox)
        return True

    async def change_case(
        self,
        *,
        tracking_id: str,
        expect_status: Status,
        set_fields: dict[str, Any],
        history: HistoryEntry,
        outbox: Sequence[Document],
    ) -> bool:
        case = self.cases.get(tracking_id)
        if case is None or case.status != expect_status:
            return False
        update = {
            k: (Status(v) if k in ("status", "status_before_hold") and v else v)
            for k, v in set_fields.items()
        }
        self.cases[tracking_id] = case.model_copy(
            update={**update, "history": [*case.history, history]}
        )
        self.outbox.setdefault(tracking_id, []).extend(outbox)
        return True

    async def list_cases(
        self, *, statuses: Sequence[Status], opd: str | None = None, limit: int = 500
    ) -> list[CaseDocument]:
        found = [
            c for c in self.cases.values() if c.status in statuses and (opd is None or c.opd == opd)
        ]
        return sorted(found, key=lambda c: c.received_at)[:limit]

    async def deadlines_of(self, tracking_ids: Sequence[str]) -> dict[str, dict[Stage, datetime]]:
        return {t: self.deadlines[t] for t in tracking_ids if t in self.deadlines}

    async def keep_label(self, *, tracking_id: str, text: str, opd: str, at: datetime) -> None:
        self.labels[tracking_id] = opd


class FakeRelay:
    """Moves outbox entries into `published`."""

    def __init__(self, *stores: Outboxes, broker_up: bool = True) -> None:
        self.stores = stores
        self.published: list[Document] = []
        self.broker_up = broker_up

    async def flush(self, doc_id: str, *, collection: str = "") -> int:
        sent = 0
        for store in self.stores:
            pending = store.outbox.pop(doc_id, [])
            self.published.extend(pending)
            sent += len(pending)
        return sent

    async def broker_ready(self) -> bool:
        return self.broker_up


class FakeNotificationLog:
    """Notification records by id."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.mark_sent_fails = 0  # so many records of a send fail, as in a store outage

    async def claim(
        self, *, notification_id: str, key: str, tracking_id: str, kind: str, channel: str
    ) -> Claim:
        record = self.records.get(notification_id)
        if record is None:
            self.records[notification_id] = {"status": "pending", "kind": kind, "key": key}
            return Claim.NEW
        if record["status"] == "refused":
            return Claim.REFUSED
        if record["status"] == "sent" or record.get("reports"):
            return Claim.ALREADY_SENT
        if record["status"] == "pending":  # an earlier attempt was cut off mid-send
            return Claim.WAIT if channel == "sms" else Claim.UNCERTAIN
        return Claim.RETRY

    async def mark_sent(self, *, notification_id: str, message_id: str | None) -> None:
        if self.mark_sent_fails:
            self.mark_sent_fails -= 1
            raise AutoReconnect("store down")
        self.records[notification_id]["status"] = "sent"

    async def mark_failed(self, *, notification_id: str, error: str, final: bool = False) -> None:
        self.records[notification_id]["status"] = "refused" if final else "failed"

    async def record_delivery_report(self, *, notification_id: str, report: int) -> bool:
        record = self.records.get(notification_id)
        if record is None:
            return False
        record.setdefault("reports", []).append(report)
        return True


class FakeSmsGateway:
    """Collects SMS; can be switched off to simulate a gateway outage."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, SmsText, str]] = []
        self.down = False

    async def send(self, *, to: str, sms: SmsText, dlr_url: str) -> None:
        if self.down:
            raise DeliveryFailed("sms gateway: down")
        self.sent.append((to, sms, dlr_url))


class FakeMailer:
    """Collects messages; can be switched off to simulate an SMTP outage."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.down = False

    async def send(self, mail: OutgoingMail) -> None:
        if self.down:
            raise DeliveryFailed("smtp: down")
        # Parsed back from the bytes that would go on the wire, as a mail client would.
        parsed = email.message_from_bytes(mail.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        assert parsed["Message-ID"] == mail.message_id and not parsed.defects
        self.sent.append(parsed)
