"""The operator and OPD staff API over fakes: roles, state rules, audit, events, privacy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from services.routing.api import build_staff_api, install_staff_error_handlers
from services.routing.app import staff_tokens
from services.routing.casework import CaseWork
from services.routing.metrics import RoutingMetrics
from services.routing.settings import RoutingSettings
from shared.contracts.types import Channel, Stage, Status
from shared.directory import load_directory
from shared.http import install_error_handlers
from shared.locks import KeyedLock
from shared.observability import new_registry
from shared.store.cases import CaseDocument
from shared.store.complaints import ComplaintDocument, Reporter
from tests.fakes import FakeCases, FakeComplaints, FakeRelay

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
TID = "LPR-261130-ABCDE"
OPERATOR = {"Authorization": "Bearer dev-operator"}
DPUPR = {"Authorization": "Bearer dev-dpupr"}
DINKES = {"Authorization": "Bearer dev-dinkes"}


class World:
    def __init__(self, *, anonymous: bool = False) -> None:
        complaints = FakeComplaints()
        complaints.docs[TID] = ComplaintDocument(
            tracking_id=TID,
            source_key=f"test:{TID}",
            channel=Channel.SMS,
            text="Jalan berlubang di Resang",
            reporter=Reporter(name="Rahmat", phone="+6281234567890"),
            anonymous=anonymous,
            received_at=NOW,
        )
        self.cases = FakeCases(complaints)
        self.cases.cases[TID] = CaseDocument(
            tracking_id=TID,
            channel=Channel.SMS,
            anonymous=anonymous,
            received_at=NOW,
            updated_at=NOW,
        )
        self.relay = FakeRelay(self.cases)
        directory = load_directory()
        work = CaseWork(
            store=self.cases,
            relay=self.relay,
            directory=directory,
            metrics=RoutingMetrics.create(new_registry()),
            locks=KeyedLock(),
            tz=ZoneInfo("Asia/Jakarta"),
            status_url=lambda t: f"http://x/{t}",
            clock=lambda: NOW,
        )
        app = FastAPI()
        install_error_handlers(app, unavailable=RuntimeError)
        install_staff_error_handlers(app)
        app.include_router(build_staff_api(work, staff_tokens(RoutingSettings(), directory)))
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")

    def published(self) -> list[str]:
        return [e["routing_key"] for e in self.relay.published]

    async def dispose(self, opd: str = "DPUPR") -> httpx.Response:
        return await self.client.post(
            f"/api/v1/complaints/{TID}/disposition",
            json={"opd": opd, "note": "jalan kabupaten"},
            headers=OPERATOR,
        )


@pytest.fixture
def world() -> World:
    return World()


async def test_no_or_a_wrong_token_is_401(world: World) -> None:
    assert (await world.client.get("/api/v1/verification")).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert (await world.client.get("/api/v1/verification", headers=bad)).status_code == 401


async def test_the_operator_disposes_from_the_verification_queue(world: World) -> None:
    queue = (await world.client.get("/api/v1/verification", headers=OPERATOR)).json()
    assert [c["tracking_id"] for c in queue] == [TID]
    response = await world.dispose()
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["status"] == "didisposisikan" and case["opd"] == "DPUPR"
    assert case["history"][-1]["actor"] == "operator"
    assert case["history"][-1]["action"] == "disposition"
    assert world.published() == ["complaint.assigned", "dpupr"]
    assert world.cases.labels == {TID: "DPUPR"}  # kept for retraining
    assert (await world.client.get("/api/v1/verification", headers=OPERATOR)).json() == []


async def test_an_opd_sees_only_its_own_cases(world: World) -> None:
    await world.dispose()
    world.cases.deadlines[TID] = {Stage.FOLLOW_UP: NOW - timedelta(hours=1)}
    mine = (await world.client.get("/api/v1/opd/dpupr/assignments", headers=DPUPR)).json()
    assert [c["tracking_id"] for c in mine] == [TID] and mine[0]["overdue"] is True
    other = await world.client.get("/api/v1/opd/DPUPR/assignments", headers=DINKES)
    assert other.status_code == 403
    assert (await world.client.get(f"/api/v1/cases/{TID}", headers=DINKES)).status_code == 403
    answer = await world.client.post(
        f"/api/v1/complaints/{TID}/responses", json={"text": "Sudah kami cek"}, headers=DINKES
    )
    assert answer.status_code == 403


async def test_the_opd_answers_then_resolves_and_the_events_follow(world: World) -> None:
    await world.dispose()
    answered = await world.client.post(
        f"/api/v1/complaints/{TID}/responses",
        json={"text": "Tim kami menambal jalan minggu depan."},
        headers=DPUPR,
    )
    assert answered.status_code == 200 and answered.json()["status"] == "ditindaklanjuti"
    resolved = await world.client.post(
        f"/api/v1/complaints/{TID}/resolve", json={"text": "Sudah ditambal."}, headers=DPUPR
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "selesai"
    assert world.published()[-2:] == ["complaint.responded", "complaint.resolved"]
    again = await world.client.post(
        f"/api/v1/complaints/{TID}/responses", json={"text": "Tambahan"}, headers=DPUPR
    )
    assert again.status_code == 409 and again.json()["status"] == "selesai"


async def test_bukan_wewenang_sends_the_case_back_to_verification_with_the_reason(
    world: World,
) -> None:
    await world.dispose()
    response = await world.client.post(
        f"/api/v1/complaints/{TID}/reject", json={"reason": "Jalan provinsi"}, headers=DPUPR
    )
    assert response.status_code == 200 and response.json()["status"] == "belum_terverifikasi"
    assert (await world.client.get(f"/api/v1/cases/{TID}", headers=DPUPR)).status_code == 403
    assert world.cases.cases[TID].status == Status.BELUM_TERVERIFIKASI
    assert world.cases.cases[TID].opd is None
    assert "Jalan provinsi" in (world.cases.cases[TID].history[-1].note or "")
    assert world.published()[-1] == "complaint.held_for_verification"
    queue = (await world.client.get("/api/v1/verification", headers=OPERATOR)).json()
    assert [c["tracking_id"] for c in queue] == [TID]


async def test_re_disposition_moves_the_case(world: World) -> None:
    await world.dispose("DPUPR")
    moved = await world.dispose("DISPERKIM")
    assert moved.status_code == 200 and moved.json()["opd"] == "DISPERKIM"
    assert (await world.client.get(f"/api/v1/cases/{TID}", headers=DPUPR)).status_code == 403


async def test_hold_and_resume_return_the_case_where_it_was(world: World) -> None:
    await world.dispose()
    held = await world.client.post(
        f"/api/v1/complaints/{TID}/hold", json={"reason": "Menunggu anggaran"}, headers=OPERATOR
    )
    assert held.json()["status"] == "tunda"
    # Only the operator resumes a hold: the case waits in the operator's queue till then.
    queue = (await world.client.get("/api/v1/verification", headers=OPERATOR)).json()
    assert [(c["tracking_id"], c["status"]) for c in queue] == [(TID, "tunda")]
    resumed = await world.client.post(f"/api/v1/complaints/{TID}/resume", headers=OPERATOR)
    assert resumed.json()["status"] == "didisposisikan"
    assert (await world.client.get("/api/v1/verification", headers=OPERATOR)).json() == []
    assert world.published()[-2:] == ["complaint.status_changed", "complaint.status_changed"]


@pytest.mark.parametrize(
    ("path", "body", "headers", "code"),
    [
        ("disposition", {"opd": "NOPE"}, OPERATOR, 422),
        ("disposition", {"opd": "DPUPR"}, DPUPR, 403),
        ("reject", {"reason": "   "}, DPUPR, 422),
        ("responses", {"text": "ok"}, DPUPR, 403),  # not assigned to DPUPR yet
        ("archive", {"reason": "duplikat"}, DPUPR, 403),
        ("resume", None, OPERATOR, 409),
    ],
)
async def test_bad_requests_get_clear_errors(
    world: World, path: str, body: dict[str, str] | None, headers: dict[str, str], code: int
) -> None:
    response = await world.client.post(
        f"/api/v1/complaints/{TID}/{path}", json=body, headers=headers
    )
    assert response.status_code == code, response.text


async def test_unknown_cases_are_404(world: World) -> None:
    response = await world.client.get("/api/v1/cases/LPR-261130-ZZZZZ", headers=OPERATOR)
    assert response.status_code == 404


async def test_anonymous_reporters_stay_hidden_from_staff() -> None:
    world = World(anonymous=True)
    await world.dispose()
    case = (await world.client.get(f"/api/v1/cases/{TID}", headers=DPUPR)).json()
    assert case["reporter"] is None and "Rahmat" not in str(case) and "6281" not in str(case)
    opd_message = world.relay.published[1]["body"]
    assert opd_message["reporter"] is None


async def test_named_reporters_are_visible_to_the_handling_opd(world: World) -> None:
    await world.dispose()
    case = (await world.client.get(f"/api/v1/cases/{TID}", headers=DPUPR)).json()
    assert case["reporter"]["name"] == "Rahmat"


def test_development_tokens_are_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAPOR_ENVIRONMENT", "production")
    with pytest.raises(ValueError, match="OPERATOR_TOKEN"):
        RoutingSettings()
    monkeypatch.setenv("LAPOR_OPERATOR_TOKEN", "a-long-random-secret")
    with pytest.raises(ValueError, match="CONSOLE_SECRET_KEY"):
        RoutingSettings()
    monkeypatch.setenv("LAPOR_CONSOLE_SECRET_KEY", "k" * 32)
    settings = RoutingSettings()
    book = staff_tokens(settings, load_directory())
    assert book.authenticate("dev-dpupr") is None  # no development OPD tokens in production
    assert book.authenticate("a-long-random-secret") is not None
