"""SMS end to end through real Kannel: fakesmsc -> bearerbox -> smsbox get-url -> intake ->
routing -> notify -> sendsms -> bearerbox -> fakesmsc, with delivery reports back."""

from __future__ import annotations

import asyncio
import importlib
import re
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.conftest import MONGODB_BASE
from tests.e2e.harness import REPO, KannelStack, ServiceStack, service_env

pytestmark = pytest.mark.e2e
PORTS = {"intake": 18200, "routing": 18201, "sla": 18202, "notify": 18203}
PHONE = "+6281234567890"

sys.path.insert(0, str(REPO / "deploy/local"))
phones: Any = importlib.import_module("sms")  # the sandbox's helper, beside the Kannel config


@pytest.fixture
def kannel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[KannelStack]:
    stack = KannelStack(
        root=tmp_path / "kannel", get_url_base=f"http://127.0.0.1:{PORTS['intake']}"
    )
    stack.root.mkdir()
    stack.start()
    monkeypatch.setenv("LAPOR_KANNEL_STATE_DIR", str(stack.state_dir))
    yield stack
    stack.stop()


@pytest.fixture
async def services(
    kannel: KannelStack, vhost: str, db_name: str, tmp_path: Path
) -> AsyncIterator[ServiceStack]:
    stack = ServiceStack(ports=PORTS, vhost=vhost, logs=tmp_path)
    stack.start(
        service_env(
            vhost=vhost,
            db_name=db_name,
            ports=PORTS,
            extra={"LAPOR_SMS_SENDSMS_URL": kannel.sendsms_url},
        )
    )
    try:
        await stack.wait_healthy()
        yield stack
    finally:
        stack.stop()


async def wait_sms(since: int, count: int, wait: float = 30) -> list[dict[str, Any]]:
    return await asyncio.to_thread(
        phones.wait_outbox, count=count, since=since, to=PHONE, timeout=wait
    )


async def test_an_sms_reporter_is_acknowledged_assigned_and_can_ask_the_status(
    services: ServiceStack, db_name: str
) -> None:
    mark = phones.outbox_position()
    await asyncio.to_thread(
        phones.send_inbound,
        PHONE,
        "LAPOR lampu jalan di jln raya dabo mati sdh sebulan, gelap bgt 🙏",
    )
    ack, assigned = await wait_sms(mark, 2)
    tracking_id = re.search(r"LPR-\d{6}-[0-9A-Z]{4,8}", ack["text"])
    assert tracking_id is not None, ack
    tid = tracking_id.group(0)
    assert "diterima" in ack["text"] and ack["coding"] == 0
    assert tid in assigned["text"] and "Dinas Perumahan" in assigned["text"]

    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGODB_BASE, tz_aware=True)
    db = mongo[db_name]
    complaint = await db["complaints"].find_one({"_id": tid})
    assert complaint is not None
    assert complaint["text"] == "lampu jalan di jln raya dabo mati sdh sebulan, gelap bgt 🙏"
    assert complaint["reporter"]["phone"] == PHONE

    # Delivery reports come back through dlr-url and are recorded on the notifications.
    for _ in range(60):
        reported = await db["notifications"].count_documents(
            {"tracking_id": tid, "channel": "sms", "delivery": "delivered"}
        )
        if reported == 2:
            break
        await asyncio.sleep(0.25)
    assert reported == 2

    # CEK answers with the status; a text with the ID from the same number is a follow-up.
    mark = phones.outbox_position()
    await asyncio.to_thread(phones.send_inbound, PHONE, f"CEK {tid}")
    [status] = await wait_sms(mark, 1)
    assert tid in status["text"] and "didisposisikan" in status["text"].lower()
    await asyncio.to_thread(phones.send_inbound, PHONE, f"{tid} sudah 2 malam masih gelap")
    for _ in range(40):
        if await db["followups"].count_documents({"tracking_id": tid}) == 1:
            break
        await asyncio.sleep(0.25)
    assert await db["followups"].count_documents({"tracking_id": tid}) == 1
    assert await db["complaints"].count_documents({}) == 1
    await mongo.close()
