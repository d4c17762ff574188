"""Email end to end: SMTP into Dovecot, intake polls IMAP, the reporter is acknowledged by
mail, replies become follow-ups, automatic mail and repeats are ignored, nothing deleted."""

from __future__ import annotations

import asyncio
import email
import imaplib
import smtplib
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.conftest import IMAP_PORT, MONGODB_BASE, SMTP_PORT
from tests.e2e.harness import ServiceStack, service_env

pytestmark = pytest.mark.e2e
PORTS = {"intake": 18300, "routing": 18301, "sla": 18302, "notify": 18303}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
    b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe"
    b"\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def desk() -> str:
    return f"pengaduan-{uuid.uuid4().hex[:8]}@lapor.test"


@pytest.fixture
async def services(
    vhost: str, db_name: str, desk: str, tmp_path: Path
) -> AsyncIterator[ServiceStack]:
    stack = ServiceStack(ports=PORTS, vhost=vhost, logs=tmp_path)
    stack.start(
        service_env(
            vhost=vhost,
            db_name=db_name,
            ports=PORTS,
            extra={
                "LAPOR_IMAP_ENABLED": "true",
                "LAPOR_IMAP_USERNAME": desk,
                "LAPOR_INTAKE_ADDRESS": desk,
                "LAPOR_MAIL_FROM": desk,
                "LAPOR_MAIL_REPLY_TO": desk,
                "LAPOR_IMAP_POLL_SECONDS": "1",
            },
        )
    )
    try:
        await stack.wait_healthy()
        yield stack
    finally:
        stack.stop()


def send(msg: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", SMTP_PORT) as smtp:
        smtp.send_message(msg)


def mailbox(address: str, folder: str = "INBOX") -> list[Message]:
    imap = imaplib.IMAP4("127.0.0.1", IMAP_PORT)
    try:
        imap.login(address, "lapor-dev")
        if imap.select(folder)[0] != "OK":
            return []
        _, data = imap.search(None, "ALL")
        found = []
        for num in data[0].split():
            _, parts = imap.fetch(num, "(BODY.PEEK[])")
            raw = parts[0]
            assert isinstance(raw, tuple)
            found.append(email.message_from_bytes(raw[1]))
        return found
    finally:
        imap.logout()


async def wait_for(check: Any, what: str, seconds: float = 30) -> Any:
    for _ in range(int(seconds * 4)):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


async def test_mail_complaints_replies_and_auto_replies(
    services: ServiceStack, desk: str, db_name: str
) -> None:
    reporter = f"warga-{uuid.uuid4().hex[:8]}@lapor.test"
    complaint = EmailMessage()
    complaint["From"] = f"Rina Wati <{reporter}>"
    complaint["To"] = desk
    complaint["Subject"] = "Sampah menumpuk di TPS pasar Dabo"
    complaint["Message-ID"] = f"<{uuid.uuid4().hex}@contoh.id>"
    complaint.set_content(
        "Sudah dua minggu sampah di TPS pasar Dabo tidak diangkut. Bau "
        "sekali dan banyak lalat. Mohon segera ditangani.\n\nRina"
    )
    complaint.add_attachment(PNG, maintype="image", subtype="png", filename="tps.png")
    await asyncio.to_thread(send, complaint)

    async def acknowledged() -> list[Message]:
        mails = await asyncio.to_thread(mailbox, reporter)
        return [m for m in mails if "diterima" in str(m["Subject"])]

    [ack] = await wait_for(acknowledged, "the acknowledgement")
    tracking_id = str(ack["Subject"]).split("]")[0].lstrip("[")
    assert tracking_id.startswith("LPR-") and ack["Auto-Submitted"] == "auto-generated"

    # The same mail again (a client resending) and an out-of-office reply: nothing new.
    await asyncio.to_thread(send, complaint)
    auto = EmailMessage()
    auto["From"] = reporter
    auto["To"] = desk
    auto["Subject"] = f"Out of office: {ack['Subject']}"
    auto["Auto-Submitted"] = "auto-replied"
    auto.set_content("Saya sedang cuti.")
    await asyncio.to_thread(send, auto)

    # A real reply, threaded on the acknowledgement, quoting it: a follow-up.
    reply = EmailMessage()
    reply["From"] = reporter
    reply["To"] = desk
    reply["Subject"] = f"Re: {ack['Subject']}"
    reply["In-Reply-To"] = ack["Message-ID"]
    reply.set_content("Sampai hari ini belum diangkut juga.\n\nPada Sen, Rina menulis:\n> lama")
    await asyncio.to_thread(send, reply)

    async def all_processed() -> bool:
        processed = await asyncio.to_thread(mailbox, desk, "Diproses")
        inbox = await asyncio.to_thread(mailbox, desk)
        return len(processed) == 4 and not inbox

    await wait_for(all_processed, "all four mails moved to Diproses")
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGODB_BASE, tz_aware=True)
    db = mongo[db_name]
    assert await db["complaints"].count_documents({}) == 1
    stored = await db["complaints"].find_one({"_id": tracking_id})
    assert stored is not None
    assert stored["reporter"] == {"name": "Rina Wati", "email": reporter, "phone": None}
    assert stored["title"] == "Sampah menumpuk di TPS pasar Dabo"
    assert len(stored["attachments"]) == 1 and stored["attachments"][0]["content_type"] == (
        "image/png"
    )
    assert await db["attachments.files"].count_documents({}) == 1
    [follow_up] = await db["followups"].find({"tracking_id": tracking_id}).to_list()
    assert follow_up["text"] == "Sampai hari ini belum diangkut juga."
    outcomes = sorted([d["outcome"] async for d in db["inbound"].find({}, {"outcome": 1})])
    assert outcomes == ["complaint", "follow_up", "ignored"]
    await mongo.close()
