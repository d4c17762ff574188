"""Inbound SMS over fakes: keyword, commands, follow-ups, duplicates, Unicode, the secret."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from services.intake.metrics import IntakeMetrics
from services.intake.ports import Unavailable
from services.intake.service import IntakeService
from services.intake.sms import SmsChannel, build_sms_api, find_tracking_ids, parse_sms
from shared.directory import load_directory
from shared.http import install_error_handlers
from shared.observability import new_registry
from shared.ratelimit import RateLimiter
from tests.fakes import FakeComplaints, FakeInbound, FakeRelay

PHONE = "+6281234567890"


class World:
    def __init__(self, *, token: str | None = None) -> None:
        self.complaints, self.inbound = FakeComplaints(), FakeInbound()
        self.relay = FakeRelay(self.complaints, self.inbound)
        self.service = IntakeService(
            store=self.complaints,
            inbound=self.inbound,
            relay=self.relay,
            directory=load_directory(),
            metrics=IntakeMetrics.create(new_registry()),
            tz=ZoneInfo("Asia/Jakarta"),
        )
        app = FastAPI()
        install_error_handlers(app, unavailable=Unavailable)
        app.include_router(
            build_sms_api(
                SmsChannel(service=self.service, keyword="LAPOR", region="ID"), token=token
            )
        )
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")

    async def kannel(
        self, text: str, *, sender: str = PHONE, msg_id: str = "m1", **extra: str
    ) -> httpx.Response:
        params = {"from": sender, "to": "1708", "text": text, "id": msg_id, **extra}
        return await self.client.get("/sms/kannel", params=params)

    def events(self) -> list[str]:
        return [e["routing_key"] for e in self.relay.published]


def test_the_keyword_is_stripped_and_ids_are_found_however_written() -> None:
    assert parse_sms("LAPOR jalan rusak di Daik").body == "jalan rusak di Daik"
    assert parse_sms("lapor: jalan rusak").body == "jalan rusak"
    assert parse_sms("cek lpr 261128 7qk2m").command == "CEK"
    assert find_tracking_ids("soal LPR-261128-7QK2M kmrn") == ["LPR-261128-7QK2M"]
    assert parse_sms("NILAI 5").score == 5


async def test_an_sms_becomes_a_complaint_with_unicode_intact_and_an_e164_sender() -> None:
    world = World()
    text = "LAPOR jalan di Résang rusak parah 😡🚧 tlg diperbaiki"
    assert (await world.kannel(text, sender="0812-3456-7890")).status_code == 200
    [complaint] = world.complaints.docs.values()
    assert complaint.text == "jalan di Résang rusak parah 😡🚧 tlg diperbaiki"
    assert complaint.reporter.phone == PHONE and complaint.channel == "sms"
    assert world.events() == ["complaint.received"]


async def test_the_gateway_posting_twice_makes_one_complaint() -> None:
    world = World()
    for _ in range(3):
        assert (await world.kannel("LAPOR sampah menumpuk di pasar")).status_code == 200
    assert len(world.complaints.docs) == 1
    assert world.events() == ["complaint.received"]


async def test_an_invalid_sender_is_kept_raw_never_dropped() -> None:
    world = World()
    await world.kannel("LAPOR lampu jalan mati", sender="TELKOMSEL")
    [complaint] = world.complaints.docs.values()
    assert complaint.reporter.phone == "TELKOMSEL"


async def test_a_known_id_from_the_same_number_is_a_follow_up() -> None:
    world = World()
    await world.kannel("LAPOR jalan rusak di Daik", msg_id="a")
    [tid] = world.complaints.docs
    await world.kannel(f"{tid} sampai skrg blm diperbaiki", msg_id="b")
    assert len(world.complaints.docs) == 1
    assert list(world.complaints.followups.values()) == [(tid, f"{tid} sampai skrg blm diperbaiki")]
    assert world.events()[-1] == "complaint.follow_up_received"
    # From another number the same text is a new complaint, not someone else's follow-up.
    await world.kannel(f"{tid} jalan kami juga rusak", sender="+6285298765432", msg_id="c")
    assert len(world.complaints.docs) == 2


async def test_cek_asks_for_the_status_and_nilai_rates_the_latest_complaint() -> None:
    world = World()
    await world.kannel("LAPOR air pdam keruh", msg_id="a")
    [tid] = world.complaints.docs
    await world.kannel(f"CEK {tid}", msg_id="b")
    assert world.events()[-1] == "complaint.status_requested"
    assert world.relay.published[-1]["body"]["reply_to"] == PHONE
    await world.kannel("NILAI 4", msg_id="c")
    assert world.complaints.ratings == {tid: 4}
    await world.kannel("NILAI 9", msg_id="d")
    assert world.inbound.items["sms:d"]["outcome"] == "invalid"  # kept for review


async def test_only_the_reporter_rates_a_complaint() -> None:
    """Ratings are published per OPD: another number naming the ID does not count."""
    world = World()
    await world.kannel("LAPOR lampu jalan mati", msg_id="a")
    [tid] = world.complaints.docs
    await world.kannel(f"NILAI 1 {tid}", sender="+6285298765432", msg_id="b")
    assert world.complaints.ratings == {}
    assert world.inbound.items["sms:b"]["outcome"] == "invalid"
    await world.kannel(f"NILAI 5 {tid}", msg_id="c")
    assert world.complaints.ratings == {tid: 5}


async def test_an_empty_message_is_kept_for_review() -> None:
    world = World()
    await world.kannel("LAPOR")
    assert world.complaints.docs == {}
    assert world.inbound.items["sms:m1"]["outcome"] == "invalid"
    assert world.inbound.items["sms:m1"]["payload"]["text"] == "LAPOR"


async def test_the_json_webhook_works_the_same() -> None:
    world = World()
    body = {
        "from": PHONE,
        "to": "1708",
        "text": "LAPOR pohon tumbang",
        "message_id": "x1",
        "received_at": "2026-11-28T10:00:00+07:00",
        "extra": True,
    }
    response = await world.client.post("/sms/inbound", json=body)
    assert response.status_code == 200 and response.json() == {"status": "complaint"}
    missing = await world.client.post("/sms/inbound", json={"from": PHONE})
    assert missing.status_code == 422


@pytest.mark.parametrize("how", ["query", "header"])
async def test_a_configured_secret_is_required(how: str) -> None:
    world = World(token="s3cret-token")
    assert (await world.kannel("LAPOR jalan rusak")).status_code == 401
    if how == "query":
        ok = await world.kannel("LAPOR jalan rusak", token="s3cret-token")
    else:
        ok = await world.client.post(
            "/sms/inbound",
            headers={"X-Lapor-Token": "s3cret-token"},
            json={"from": PHONE, "text": "LAPOR x y z", "message_id": "h1"},
        )
    assert ok.status_code == 200
    assert len(world.complaints.docs) == 1


async def test_a_number_sending_too_much_is_kept_for_review_not_lost() -> None:
    world = World()
    world_channel = SmsChannel(
        service=world.service,
        keyword="LAPOR",
        region="ID",
        limiter=RateLimiter(capacity=2, period=3600),
    )
    for n in range(3):
        await world_channel.handle(
            sender=PHONE, to="1708", text=f"LAPOR jalan rusak nomor {n}", message_id=f"r{n}"
        )
    assert len(world.complaints.docs) == 2
    assert world.inbound.items["sms:r2"]["outcome"] == "invalid"
    assert world.inbound.items["sms:r2"]["payload"]["text"] == "LAPOR jalan rusak nomor 2"
