"""Intake and routing composed over the in-memory fakes, as their `create_app` composes them."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from pymongo.errors import PyMongoError

from services.intake.api import build_api
from services.intake.app import INTAKE_API_ERRORS
from services.intake.mail.channel import EmailChannel
from services.intake.metrics import IntakeMetrics
from services.intake.ports import Unavailable
from services.intake.service import IntakeService
from services.intake.sms import SmsChannel, build_sms_api
from services.routing.api import build_staff_api, install_staff_error_handlers
from services.routing.app import STAFF_API_ERRORS, staff_tokens
from services.routing.casework import CaseWork
from services.routing.metrics import RoutingMetrics
from services.routing.settings import RoutingSettings
from shared.contracts.types import Channel, Stage, Status
from shared.directory import Directory, load_directory
from shared.http import BodySizeLimit, SecurityHeaders, document_errors, install_error_handlers
from shared.locks import KeyedLock
from shared.observability import new_registry
from shared.store.cases import CaseDocument, HistoryEntry
from shared.store.complaints import Attachment, ComplaintDocument, Reporter
from tests.fakes import FakeCases, FakeComplaints, FakeInbound, FakeRelay

__all__ = [
    "INTAKE_ADDRESS",
    "MAX_IMAGE_BYTES",
    "NOW",
    "OPD_TOKEN",
    "OPERATOR_TOKEN",
    "SEEDED_CASES",
    "FakeAttachments",
    "IntakeWorld",
    "StaffWorld",
]

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
INTAKE_ADDRESS = "pengaduan@lapor.test"
MAX_IMAGE_BYTES = 4096
OPERATOR_TOKEN = "dev-operator"
OPD_TOKEN = "dev-dpupr"  # the development token of DPUPR, the OPD the seeded cases go to
SEEDED_PHONE = "+6281234567890"
# One case in each state the staff API acts on (DPUPR is the handling OPD where there is one).
SEEDED_CASES: dict[str, tuple[Status, str | None]] = {
    "LPR-261130-AAAAA": (Status.BELUM_TERVERIFIKASI, None),
    "LPR-261130-BBBBB": (Status.DIDISPOSISIKAN, "DPUPR"),
    "LPR-261130-CCCCC": (Status.DITINDAKLANJUTI, "DPUPR"),
    "LPR-261130-DDDDD": (Status.TUNDA, "DPUPR"),
    "LPR-261130-EEEEE": (Status.SELESAI, "DPUPR"),
    "LPR-261130-FFFFF": (Status.DIDISPOSISIKAN, "DINKES"),
    "LPR-261130-GGGGG": (Status.ARSIP, None),
}


@functools.cache
def _directory() -> Directory:
    return load_directory()


class FakeAttachments:
    """The attachment store in memory."""

    def __init__(self) -> None:
        self.saved: list[tuple[bytes, str, str | None]] = []

    async def save(self, *, data: bytes, content_type: str, filename: str | None) -> Attachment:
        self.saved.append((data, content_type, filename))
        return Attachment(
            attachment_id=f"att-{len(self.saved)}",
            content_type=content_type,
            size=len(data),
            filename=filename,
        )


class IntakeWorld:
    """Intake's JSON API, SMS webhooks and email channel over fakes (no broker, no store)."""

    def __init__(self, *, sms_token: str | None = None, max_text_chars: int = 5000) -> None:
        self.complaints, self.inbound = FakeComplaints(), FakeInbound()
        self.relay = FakeRelay(self.complaints, self.inbound)
        self.attachments = FakeAttachments()
        self.service = IntakeService(
            store=self.complaints,
            inbound=self.inbound,
            relay=self.relay,
            directory=_directory(),
            metrics=IntakeMetrics.create(new_registry()),
            tz=ZoneInfo("Asia/Jakarta"),
            clock=lambda: NOW,
        )
        self.email = EmailChannel(
            service=self.service,
            attachments=self.attachments,
            own_addresses=frozenset({INTAKE_ADDRESS}),
            max_image_bytes=MAX_IMAGE_BYTES,
        )
        self.app = FastAPI(title="Lapor intake (fakes)")
        self.app.add_middleware(BodySizeLimit, max_bytes=1024 * 1024)
        install_error_handlers(self.app, unavailable=Unavailable)
        document_errors(self.app, INTAKE_API_ERRORS)
        self.app.include_router(
            build_api(self.service, public_base_url="http://t", max_text_chars=max_text_chars)
        )
        sms = SmsChannel(service=self.service, keyword="LAPOR", region="ID")
        self.app.include_router(build_sms_api(sms, token=sms_token))
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://t"
        )

    def seed_complaint(self, tracking_id: str, *, confidential: bool = False) -> None:
        """A complaint reported from SEEDED_PHONE, as if it had come in earlier."""
        self.complaints.docs[tracking_id] = ComplaintDocument(
            tracking_id=tracking_id,
            source_key=f"seed:{tracking_id}",
            channel=Channel.SMS,
            text="Jalan berlubang di Resang",
            reporter=Reporter(name="Rahmat", phone=SEEDED_PHONE, email="rahmat@contoh.id"),
            confidential=confidential,
            received_at=NOW,
        )

    async def kannel(self, *, sender: str, text: str, message_id: str) -> httpx.Response:
        """What Kannel's get-url does for one inbound SMS."""
        params = {"from": sender, "to": "1708", "text": text, "id": message_id}
        return await self.client.get("/sms/kannel", params=params)

    def published(self) -> list[str]:
        """Routing keys of the events published so far."""
        return [str(e["routing_key"]) for e in self.relay.published]


class StaffWorld:
    """Routing's staff API over fakes, with one case in each state."""

    def __init__(self) -> None:
        complaints = FakeComplaints()
        self.cases = FakeCases(complaints)
        for tracking_id, (status, opd) in SEEDED_CASES.items():
            complaints.docs[tracking_id] = ComplaintDocument(
                tracking_id=tracking_id,
                source_key=f"seed:{tracking_id}",
                channel=Channel.WEB,
                text="Jalan berlubang di Resang, mohon diperbaiki",
                reporter=Reporter(name="Rahmat", phone=SEEDED_PHONE),
                received_at=NOW,
            )
            self.cases.cases[tracking_id] = CaseDocument(
                tracking_id=tracking_id,
                channel=Channel.WEB,
                status=status,
                opd=opd,
                status_before_hold=Status.DIDISPOSISIKAN if status is Status.TUNDA else None,
                history=[HistoryEntry(at=NOW, status=status, actor="seed")],
                received_at=NOW,
                updated_at=NOW,
            )
            self.cases.deadlines[tracking_id] = {Stage.FOLLOW_UP: NOW}
        self.relay = FakeRelay(self.cases)
        directory = _directory()
        self.agency_codes = [a.code for a in directory.agencies]
        work = CaseWork(
            store=self.cases,
            relay=self.relay,
            directory=directory,
            metrics=RoutingMetrics.create(new_registry()),
            locks=KeyedLock(),
            tz=ZoneInfo("Asia/Jakarta"),
            status_url=lambda t: f"http://t/api/v1/complaints/{t}",
            clock=lambda: NOW,
        )
        self.app = FastAPI(title="Lapor routing (fakes)")
        install_error_handlers(self.app, unavailable=PyMongoError)
        install_staff_error_handlers(self.app)
        document_errors(self.app, STAFF_API_ERRORS)
        self.app.add_middleware(SecurityHeaders)
        self.app.include_router(build_staff_api(work, staff_tokens(RoutingSettings(), directory)))
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://t"
        )
