"""The JSON API over fakes: validation, size limit, 503, privacy of the public status."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from services.intake.api import build_api
from services.intake.metrics import IntakeMetrics
from services.intake.ports import Unavailable
from services.intake.service import IntakeService
from services.intake.tracking import TRACKING_ID_PATTERN
from shared.contracts.types import Status
from shared.directory import load_directory
from shared.http import BodySizeLimit, install_error_handlers
from shared.observability import new_registry
from tests.fakes import FakeComplaints, FakeInbound, FakeRelay

GOOD = {
    "text": "Jalan di Desa Resang berlubang besar, berbahaya untuk motor.",
    "name": "Siti Aminah",
    "email": "Siti@Lapor.test",
    "phone": "0812-3456-7890",
}


@pytest.fixture
def world() -> tuple[FakeComplaints, FakeRelay, httpx.AsyncClient]:
    complaints = FakeComplaints()
    inbound = FakeInbound()
    relay = FakeRelay(complaints, inbound)
    service = IntakeService(
        inbound=inbound,
        store=complaints,
        relay=relay,
        directory=load_directory(),
        metrics=IntakeMetrics.create(new_registry()),
        tz=ZoneInfo("Asia/Jakarta"),
    )
    app = FastAPI()
    app.add_middleware(BodySizeLimit, max_bytes=1024 * 1024)
    install_error_handlers(app, unavailable=Unavailable)
    app.include_router(build_api(service, public_base_url="http://x", max_text_chars=5000))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    return complaints, relay, client


async def test_a_valid_complaint_is_stored_published_and_answered_with_a_tracking_id(
    world: tuple[FakeComplaints, FakeRelay, httpx.AsyncClient],
) -> None:
    complaints, relay, client = world
    response = await client.post("/api/v1/complaints", json={**GOOD, "unknown": 1})
    assert response.status_code == 201
    tid = response.json()["tracking_id"]
    assert TRACKING_ID_PATTERN.fullmatch(tid)
    assert response.json()["status_url"] == f"http://x/api/v1/complaints/{tid}"
    stored = complaints.docs[tid]
    assert stored.reporter.email == "siti@lapor.test"
    assert stored.reporter.phone == "+6281234567890"
    assert [e["routing_key"] for e in relay.published] == ["complaint.received"]
    body = relay.published[0]["body"]
    assert body["tracking_id"] == tid and "email" not in str(body) and "Siti" not in str(body)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 6000}, "text"),
        ({"text": "Jalan rusak parah sekali", "email": "nope"}, "email"),
        ({"text": "Jalan rusak parah sekali", "email": "sïti@lapor.test"}, "email"),
        ({"text": "Jalan rusak parah sekali", "anonymous": "maybe"}, "anonymous"),
    ],
)
async def test_bad_input_gets_422_with_a_message_for_the_field(
    world: tuple[FakeComplaints, FakeRelay, httpx.AsyncClient],
    payload: dict[str, object],
    field: str,
) -> None:
    complaints, _, client = world
    response = await client.post("/api/v1/complaints", json=payload)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert complaints.docs == {}


async def test_malformed_json_is_refused(
    world: tuple[FakeComplaints, FakeRelay, httpx.AsyncClient],
) -> None:
    _, _, client = world
    response = await client.post(
        "/api/v1/complaints", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422)


async def test_a_body_over_one_mebibyte_gets_413(
    world: tuple[FakeComplaints, FakeRelay, httpx.AsyncClient],
) -> None:
    complaints, _, client = world
    big = b'{"text": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    response = await client.post(
        "/api/v1/complaints", content=big, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert complaints.docs == {}


async def test_broker_down_means_503_and_nothing_written(
    world: tuple[FakeComplaints, FakeRelay, httpx.AsyncClient],
) -> None:
    complaints, relay, client = world
    relay.broker_up = False
    response = await client.post("/api/v1/complaints", json=GOOD)
    assert response.status_code == 503
    assert complaints.docs == {}


async def test_store_down_means_503(
    world: tuple[FakeComplaints, FakeRelay, httpx.AsyncClient],
) -> None:
    complaints, _, client = world
    complaints.fail_with = Unavailable("store unavailable")
    assert (await client.post("/api/v1/complaints", json=GOOD)).status_code == 503


async def test_public_status_never_shows_the_reporter(
    world: tuple[FakeComplaints, FakeRelay, httpx.AsyncClient],
) -> None:
    _, _, client = world
    tid = (await client.post("/api/v1/complaints", json=GOOD)).json()["tracking_id"]
    status = (await client.get(f"/api/v1/complaints/{tid}")).json()
    assert status["status"] == Status.BELUM_TERVERIFIKASI
    assert "Jalan di Desa Resang" in status["text"]
    assert status["received_at"].endswith("+07:00")
    flat = str(status)
    assert "Siti" not in flat and "lapor.test" not in flat and "6281" not in flat


async def test_a_confidential_complaint_shows_only_its_status(
    world: tuple[FakeComplaints, FakeRelay, httpx.AsyncClient],
) -> None:
    _, _, client = world
    response = await client.post("/api/v1/complaints", json={**GOOD, "confidential": True})
    status = (await client.get(f"/api/v1/complaints/{response.json()['tracking_id']}")).json()
    assert status["status"] == Status.BELUM_TERVERIFIKASI
    assert status["text"] is None and status["history"] == [] and status["agency"] is None


async def test_unknown_tracking_ids_are_404(
    world: tuple[FakeComplaints, FakeRelay, httpx.AsyncClient],
) -> None:
    _, _, client = world
    assert (await client.get("/api/v1/complaints/LPR-261128-ZZZZZ")).status_code == 404
    assert (await client.get("/api/v1/complaints/not-an-id")).status_code == 404
