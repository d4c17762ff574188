"""Notifications over fakes: who hears what, once, on which channel, in which words."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pymongo.errors import AutoReconnect

from services.notify.messages import MailIdentity, OutgoingMail
from services.notify.metrics import NotifyMetrics
from services.notify.ports import AwaitingReport, DeliveryFailed
from services.notify.recipients import StaffContacts
from services.notify.render import Templates, default_templates_dir
from services.notify.service import NotifyService
from services.notify.smstext import plan_sms
from shared.contracts.events import (
    ComplaintAssigned,
    ComplaintReceived,
    ComplaintResolved,
    ComplaintResponded,
    ComplaintStatusChanged,
    SlaEscalated,
    SlaReminderDue,
)
from shared.contracts.types import Channel, RoutingMethod, Stage, Status
from shared.directory import load_directory
from shared.observability import new_registry
from shared.store.cases import CaseDocument
from shared.store.complaints import ComplaintDocument, Reporter
from tests.fakes import FakeCases, FakeComplaints, FakeMailer, FakeNotificationLog, FakeSmsGateway

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
TID = "LPR-261130-AAAAA"


class World:
    def __init__(
        self,
        *,
        channel: Channel = Channel.WEB,
        email: str | None = "warga@lapor.test",
        phone: str | None = None,
        anonymous: bool = False,
    ) -> None:
        complaints = FakeComplaints()
        complaints.docs[TID] = ComplaintDocument(
            tracking_id=TID,
            source_key=f"test:{TID}",
            channel=channel,
            text="Jalan rusak di Resang",
            received_at=NOW,
            reporter=Reporter(name="Warga", email=email, phone=phone),
            anonymous=anonymous,
        )
        self.cases = FakeCases(complaints)
        self.mailer, self.sms, self.log = FakeMailer(), FakeSmsGateway(), FakeNotificationLog()
        self.service = NotifyService(
            cases=self.cases,
            log=self.log,
            mailer=self.mailer,
            sms=self.sms,
            templates=Templates(default_templates_dir()),
            identity=MailIdentity(
                sender="pengaduan@lapor.test", sender_name="Lapor", reply_to="pengaduan@lapor.test"
            ),
            staff=StaffContacts(
                directory=load_directory(),
                operator_email="admin@lapor.test",
                opd_email_pattern="{code}@lapor.test",
                opd_head_email_pattern="kepala.{code}@lapor.test",
            ),
            metrics=NotifyMetrics.create(new_registry()),
            tz=ZoneInfo("Asia/Jakarta"),
            public_base_url="http://x",
            dlr_base_url="http://n",
            service_name="Lapor Lingga",
            clock=lambda: NOW,
        )

    def mails_to(self, address: str) -> list[str]:
        return [
            str(m["Subject"])
            for m in self.mailer.sent
            if f"<{address}>" in str(m["To"]) or str(m["To"]) == address
        ]


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
RESPONDED = ComplaintResponded(
    correlation_id=TID,
    tracking_id=TID,
    opd="DPUPR",
    opd_name="DPUPR",
    response="Jalan ditambal hari Senin.",
    responded_at=NOW,
)
RESOLVED = ComplaintResolved(
    correlation_id=TID,
    tracking_id=TID,
    opd="DPUPR",
    opd_name="DPUPR",
    resolved_by="opd:DPUPR",
    resolved_at=NOW,
)


async def test_the_acknowledgement_carries_the_tracking_id_and_is_marked_automatic() -> None:
    world = World()
    await world.service.on_received(event=RECEIVED)
    [mail] = world.mailer.sent
    assert TID in mail["Subject"]
    assert TID in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Reply-To"] == "pengaduan@lapor.test"
    assert mail.get_body(("html",)) is not None


async def test_a_redelivered_event_is_not_sent_twice() -> None:
    world = World()
    for _ in range(3):
        await world.service.on_received(event=RECEIVED)
    assert len(world.mailer.sent) == 1


async def test_every_step_reaches_the_reporter_threaded_on_the_acknowledgement() -> None:
    world = World()
    await world.service.on_received(event=RECEIVED)
    await world.service.on_assigned(event=ASSIGNED)
    await world.service.on_responded(event=RESPONDED)
    await world.service.on_resolved(event=RESOLVED)
    subjects = world.mails_to("warga@lapor.test")
    assert len(subjects) == 4
    ack, *later = [m for m in world.mailer.sent if "warga" in str(m["To"])]
    assert all(m["In-Reply-To"] == ack["Message-ID"] for m in later)
    bodies = [m.get_body(("plain",)).get_content() for m in later]  # type: ignore[union-attr]
    assert "Dinas Pekerjaan Umum" in bodies[0]
    assert "Jalan ditambal hari Senin." in bodies[1]
    assert "NILAI" in bodies[2]


async def test_the_opd_desk_gets_the_new_case_without_an_anonymous_reporter() -> None:
    world = World(anonymous=True, phone="+6281234567890")
    await world.service.on_assigned(event=ASSIGNED)
    [desk] = [m for m in world.mailer.sent if "dpupr@lapor.test" in str(m["To"])]
    body = desk.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Jalan rusak di Resang" in body
    assert "Warga" not in body and "6281" not in body and "warga@" not in body
    assert "anonim" in body


async def test_sms_reporters_hear_back_by_sms_in_one_short_part() -> None:
    world = World(channel=Channel.SMS, email=None, phone="+6281234567890")
    await world.service.on_received(event=RECEIVED)
    long_answer = RESPONDED.model_copy(update={"response": "Kami sudah mengecek lokasi. " * 20})
    await world.service.on_responded(event=long_answer)
    (to, ack, dlr), (_, answer, _) = world.sms.sent
    assert to == "+6281234567890" and TID in ack.text and ack.parts == 1 and ack.coding == 0
    assert answer.parts <= 2 and answer.text.endswith("Balas bila belum selesai.")
    assert "type=%d" in dlr
    assert world.mailer.sent == []  # their own channel only


def test_emoji_switch_the_sms_to_ucs2() -> None:
    assert plan_sms("Terima kasih 🙏").coding == 2
    assert plan_sms("Terima kasih").coding == 0
    assert plan_sms("x" * 161).parts == 2 and plan_sms("é" * 71).parts == 1  # é is GSM-7


async def test_a_gateway_outage_raises_so_the_event_is_retried_and_sent_once() -> None:
    world = World(channel=Channel.SMS, email=None, phone="+6281234567890")
    world.sms.down = True
    with pytest.raises(DeliveryFailed):
        await world.service.on_received(event=RECEIVED)
    world.sms.down = False
    await world.service.on_received(event=RECEIVED)
    await world.service.on_received(event=RECEIVED)
    assert len(world.sms.sent) == 1


@pytest.mark.parametrize("channel", ["email", "sms"])
async def test_a_send_whose_record_failed_is_recorded_by_the_retry_not_sent_again(
    channel: str,
) -> None:
    world = (
        World(channel=Channel.SMS, email=None, phone="+6281234567890")
        if channel == "sms"
        else World()
    )
    world.log.mark_sent_fails = 2  # the store goes away right after the hand-over
    for _ in range(2):
        with pytest.raises(AutoReconnect):
            await world.service.on_received(event=RECEIVED)
    await world.service.on_received(event=RECEIVED)
    await world.service.on_received(event=RECEIVED)
    assert len(world.mailer.sent) + len(world.sms.sent) == 1
    [record] = world.log.records.values()
    assert record["status"] == "sent" and not world.service.unrecorded


async def test_after_a_crash_mid_send_an_sms_waits_for_its_delivery_report() -> None:
    world = World(channel=Channel.SMS, email=None, phone="+6281234567890")
    world.log.mark_sent_fails = 1
    with pytest.raises(AutoReconnect):
        await world.service.on_received(event=RECEIVED)
    world.service.unrecorded.clear()  # the process died: what it remembered is gone
    with pytest.raises(AwaitingReport):  # looked at again later, not sent again now
        await world.service.on_received(event=RECEIVED)
    [notification_id] = world.log.records
    await world.service.record_delivery_report(notification_id=notification_id, report=8)
    await world.service.on_received(event=RECEIVED)
    assert len(world.sms.sent) == 1


async def test_a_copy_of_the_event_arriving_mid_send_waits_and_nothing_goes_twice() -> None:
    world = World()
    gate = asyncio.Event()
    send = world.mailer.send

    async def slow_send(mail: OutgoingMail) -> None:
        await gate.wait()
        await send(mail)

    world.mailer.send = slow_send  # type: ignore[method-assign]
    first = asyncio.create_task(world.service.on_received(event=RECEIVED))
    await asyncio.sleep(0)
    with pytest.raises(AwaitingReport):  # the broker delivered the event again meanwhile
        await asyncio.wait_for(world.service.on_received(event=RECEIVED), 5)
    gate.set()
    await first
    await world.service.on_received(event=RECEIVED)
    assert len(world.mailer.sent) == 1
    sent = world.service.metrics.sent.labels(channel="email", result="sent")._value.get()
    assert sent == 1


async def test_after_a_crash_mid_send_an_email_goes_again_with_the_same_message_id() -> None:
    world = World()
    world.log.mark_sent_fails = 1
    with pytest.raises(AutoReconnect):
        await world.service.on_received(event=RECEIVED)
    world.service.unrecorded.clear()
    await world.service.on_received(event=RECEIVED)
    first, again = world.mailer.sent
    assert first["Message-ID"] == again["Message-ID"]  # mailbox providers keep one


async def test_a_partial_failure_retries_only_what_did_not_go_out() -> None:
    world = World()
    world.mailer.down = True
    with pytest.raises(DeliveryFailed):
        await world.service.on_assigned(event=ASSIGNED)
    world.mailer.down = False
    await world.service.on_assigned(event=ASSIGNED)
    assert len(world.mailer.sent) == 2  # the reporter's mail and the OPD's, once each


async def test_reporters_without_contact_get_nothing() -> None:
    world = World(email=None)
    await world.service.on_received(event=RECEIVED)
    assert world.mailer.sent == [] and world.sms.sent == []


async def test_archive_and_hold_tell_the_reason() -> None:
    world = World()
    archived = ComplaintStatusChanged(
        correlation_id=TID,
        tracking_id=TID,
        status=Status.ARSIP,
        previous_status=Status.BELUM_TERVERIFIKASI,
        reason="Laporan ganda",
        changed_at=NOW,
    )
    await world.service.on_status_changed(event=archived)
    [mail] = world.mailer.sent
    assert "Laporan ganda" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_reminders_and_escalations_go_to_staff_in_indonesian() -> None:
    world = World()
    world.cases.cases[TID] = CaseDocument(
        tracking_id=TID, channel=Channel.WEB, opd="DPUPR", received_at=NOW, updated_at=NOW
    )
    due = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    await world.service.on_reminder(
        event=SlaReminderDue(
            correlation_id=TID, tracking_id=TID, stage=Stage.FOLLOW_UP, opd="DPUPR", due_at=due
        )
    )
    await world.service.on_escalated(
        event=SlaEscalated(
            correlation_id=TID, tracking_id=TID, stage=Stage.FOLLOW_UP, opd="DPUPR", due_at=due
        )
    )
    assert len(world.mails_to("dpupr@lapor.test")) == 1
    assert len(world.mails_to("admin@lapor.test")) == 1
    assert len(world.mails_to("kepala.dpupr@lapor.test")) == 1
    reminder = world.mailer.sent[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Senin, 7 Desember 2026 pukul 16.00 WIB" in reminder


async def test_an_address_no_mail_server_can_take_is_refused_once_and_the_opd_still_hears() -> None:
    world = World(email="wárga@contoh.id")  # a non-ASCII local part needs SMTPUTF8
    await world.service.on_assigned(event=ASSIGNED)  # no retry asked for: nothing raises
    assert world.mails_to("dpupr@lapor.test")  # the OPD's mail went out all the same
    assert [r["status"] for r in world.log.records.values()].count("refused") == 1
    refused = world.service.metrics.sent.labels(channel="email", result="refused")
    assert refused._value.get() == 1
    await world.service.on_assigned(event=ASSIGNED)  # redelivered: not tried again
    assert refused._value.get() == 1


async def test_an_internationalised_domain_is_sent_in_its_ascii_form() -> None:
    world = World(email="budi@contoh.中国")
    await world.service.on_received(event=RECEIVED)
    [mail] = world.mailer.sent
    assert mail["To"].addresses[0].addr_spec == "budi@contoh.xn--fiqs8s"
