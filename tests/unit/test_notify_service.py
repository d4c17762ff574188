"""Reporter notifications over fakes: once per step, threaded, automatic, retried on outage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notify.messages import MailIdentity
from services.notify.metrics import NotifyMetrics
from services.notify.ports import DeliveryFailed
from services.notify.service import NotifyService
from shared.contracts.events import ComplaintAssigned, ComplaintReceived
from shared.contracts.types import Channel, RoutingMethod, Status
from shared.observability import new_registry
from shared.store.complaints import ComplaintDocument, Reporter
from tests.fakes import FakeComplaints, FakeMailer, FakeNotificationLog

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
TID = "LPR-261128-AAAAA"


def make(email: str | None = "warga@lapor.test") -> tuple[NotifyService, FakeMailer]:
    complaints = FakeComplaints()
    complaints.docs[TID] = ComplaintDocument(
        tracking_id=TID,
        channel=Channel.WEB,
        text="Jalan rusak",
        received_at=NOW,
        reporter=Reporter(name="Warga", email=email),
    )
    mailer = FakeMailer()
    service = NotifyService(
        complaints=complaints,
        log=FakeNotificationLog(),
        mailer=mailer,
        identity=MailIdentity(
            sender="pengaduan@lapor.test", sender_name="Lapor", reply_to="pengaduan@lapor.test"
        ),
        metrics=NotifyMetrics.create(new_registry()),
        public_base_url="http://x",
        clock=lambda: NOW,
    )
    return service, mailer


RECEIVED = ComplaintReceived(
    correlation_id=TID, tracking_id=TID, channel=Channel.WEB, text="Jalan rusak", received_at=NOW
)
ASSIGNED = ComplaintAssigned(
    correlation_id=TID,
    tracking_id=TID,
    opd="DPUPR",
    opd_name="Dinas Pekerjaan Umum dan Penataan Ruang",
    status=Status.DIDISPOSISIKAN,
    method=RoutingMethod.CLASSIFIER,
    confidence=0.9,
    received_at=NOW,
    assigned_at=NOW,
)


async def test_the_acknowledgement_carries_the_tracking_id_and_is_marked_automatic() -> None:
    service, mailer = make()
    await service.acknowledge_receipt(event=RECEIVED)
    [mail] = mailer.sent
    assert TID in mail["Subject"] and TID in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Reply-To"] == "pengaduan@lapor.test"


async def test_a_redelivered_event_is_not_sent_twice() -> None:
    service, mailer = make()
    await service.acknowledge_receipt(event=RECEIVED)
    await service.acknowledge_receipt(event=RECEIVED)
    assert len(mailer.sent) == 1


async def test_later_mails_thread_on_the_acknowledgement() -> None:
    service, mailer = make()
    await service.acknowledge_receipt(event=RECEIVED)
    await service.announce_assignment(event=ASSIGNED)
    ack, assigned = mailer.sent
    assert assigned["In-Reply-To"] == ack["Message-ID"]
    assert "Dinas Pekerjaan Umum" in assigned.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_an_smtp_outage_raises_so_the_message_is_retried_then_sent_once() -> None:
    service, mailer = make()
    mailer.down = True
    with pytest.raises(DeliveryFailed):
        await service.acknowledge_receipt(event=RECEIVED)
    mailer.down = False
    await service.acknowledge_receipt(event=RECEIVED)
    await service.acknowledge_receipt(event=RECEIVED)
    assert len(mailer.sent) == 1


async def test_reporters_without_email_get_no_mail() -> None:
    service, mailer = make(email=None)
    await service.acknowledge_receipt(event=RECEIVED)
    assert mailer.sent == []
