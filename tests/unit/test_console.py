"""The staff console over fakes: sign-in, sessions, CSRF, roles, the actions, privacy, escaping."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from services.routing.app import staff_tokens
from services.routing.casework import CaseWork
from services.routing.console import build_console_router
from services.routing.console.throttle import FailedSignIns
from services.routing.metrics import RoutingMetrics
from services.routing.settings import RoutingSettings
from shared.contracts.types import Channel, RoutingMethod, Stage, Status
from shared.directory import load_directory
from shared.locks import KeyedLock
from shared.observability import new_registry
from shared.store.cases import CaseDocument, RoutingDecision
from shared.store.complaints import ComplaintDocument, Reporter
from tests.fakes import FakeCases, FakeComplaints, FakeRelay

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
TID = "LPR-261130-ABCDE"
CASE = f"/konsol/laporan/{TID}"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


class World:
    """Routing's use cases on fakes, with only the console mounted."""

    def __init__(self, *, anonymous: bool = False, text: str = "Jalan berlubang di Resang") -> None:
        self.now = NOW
        complaints = FakeComplaints()
        self.cases = FakeCases(complaints)
        self.relay = FakeRelay(self.cases)
        self.add_case(TID, text=text, anonymous=anonymous, suggested="DPUPR", confidence=0.42)
        directory = load_directory()
        work = CaseWork(
            store=self.cases,
            relay=self.relay,
            directory=directory,
            metrics=RoutingMetrics.create(new_registry()),
            locks=KeyedLock(),
            tz=ZoneInfo("Asia/Jakarta"),
            status_url=lambda t: f"http://x/{t}",
            clock=lambda: self.now,
        )
        settings = RoutingSettings()
        tokens = staff_tokens(settings, directory)
        self.app = FastAPI()
        self.app.include_router(
            build_console_router(work, tokens, directory=directory, settings=settings)
        )

    def add_case(
        self,
        tracking_id: str,
        *,
        text: str = "Lampu jalan mati",
        anonymous: bool = False,
        status: Status = Status.BELUM_TERVERIFIKASI,
        opd: str | None = None,
        suggested: str | None = None,
        confidence: float = 0.3,
        deadlines: dict[Stage, datetime] | None = None,
    ) -> None:
        self.cases.complaints.docs[tracking_id] = ComplaintDocument(
            tracking_id=tracking_id,
            source_key=f"test:{tracking_id}",
            channel=Channel.SMS,
            title="Laporan warga",
            text=text,
            reporter=Reporter(name="Rahmat", phone="+6281234567890"),
            anonymous=anonymous,
            received_at=NOW,
        )
        routing = RoutingDecision(
            method=RoutingMethod.CLASSIFIER,
            confidence=confidence,
            suggested_opd=suggested,
            decided_at=NOW,
        )
        self.cases.cases[tracking_id] = CaseDocument(
            tracking_id=tracking_id,
            channel=Channel.SMS,
            anonymous=anonymous,
            status=status,
            opd=opd,
            routing=routing,
            received_at=NOW,
            updated_at=NOW,
        )
        if deadlines:
            self.cases.deadlines[tracking_id] = deadlines

    def browser(self, base_url: str = "http://t") -> httpx.AsyncClient:
        """A fresh browser: its own cookie jar, redirects not followed."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=base_url)

    async def signed_in(self, token: str) -> httpx.AsyncClient:
        browser = self.browser()
        response = await sign_in(browser, token)
        assert response.status_code == 303, response.text
        return browser

    def status(self, tracking_id: str = TID) -> Status:
        return self.cases.cases[tracking_id].status

    def published(self) -> list[str]:
        return [e["routing_key"] for e in self.relay.published]


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


async def sign_in(browser: httpx.AsyncClient, token: str, lanjut: str = "") -> httpx.Response:
    form = await browser.get("/konsol/masuk")
    data = {"csrf": csrf_of(form), "token": token, "lanjut": lanjut}
    return await browser.post("/konsol/masuk", data=data)


async def submit(
    browser: httpx.AsyncClient, action: str, data: dict[str, str], *, page: str = CASE
) -> httpx.Response:
    """Post one of a page's forms the way a browser does, with the page's CSRF token."""
    token = csrf_of(await browser.get(page))
    return await browser.post(f"{CASE}/{action}", data={"csrf": token, **data})


@pytest.fixture
def world() -> World:
    return World()


# --- signing in and out -----------------------------------------------------------------------
async def test_the_operator_signs_in_with_the_api_token_and_lands_on_the_queue(
    world: World,
) -> None:
    browser = world.browser()
    assert (await browser.get("/konsol/")).headers["location"] == "/konsol/masuk"
    form = await browser.get("/konsol/masuk")
    assert form.status_code == 200 and "Token akses" in form.text
    response = await sign_in(browser, "dev-operator")
    assert response.status_code == 303
    assert response.headers["location"] == "/konsol/verifikasi"
    queue = await browser.get("/konsol/verifikasi")
    assert queue.status_code == 200 and TID in queue.text
    assert "Dinas Pekerjaan Umum dan Penataan Ruang (DPUPR), keyakinan 42%" in queue.text


async def test_an_opd_officer_lands_on_their_own_cases(world: World) -> None:
    browser = world.browser()
    response = await sign_in(browser, "dev-dpupr")
    assert response.headers["location"] == "/konsol/opd/DPUPR"
    page = await browser.get("/konsol/opd/DPUPR")
    assert page.status_code == 200 and "Laporan untuk Dinas Pekerjaan Umum" in page.text


async def test_a_wrong_token_is_refused_with_a_message(world: World) -> None:
    browser = world.browser()
    response = await sign_in(browser, "dev-nope")
    assert response.status_code == 401
    assert "Token akses tidak dikenali" in response.text
    assert (await browser.get("/konsol/verifikasi")).status_code == 303


async def test_the_session_cookie_is_httponly_strict_and_holds_no_token(world: World) -> None:
    browser = world.browser()
    response = await sign_in(browser, "dev-operator")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/konsol" in cookie
    assert "Secure" not in cookie  # plain http in this test
    value = browser.cookies["lapor_konsol"]
    payload = json.loads(base64.urlsafe_b64decode(value.split(".")[0] + "=="))
    assert set(payload) == {"s", "e", "r", "o"} and payload["r"] == "operator"
    assert "dev-operator" not in value


async def test_the_cookie_is_secure_over_https(world: World) -> None:
    browser = world.browser("https://t")
    response = await sign_in(browser, "dev-operator")
    assert "Secure" in response.headers["set-cookie"]


async def test_a_forged_or_expired_session_is_signed_out(world: World) -> None:
    browser = await world.signed_in("dev-dpupr")
    body, signature = browser.cookies["lapor_konsol"].split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    payload.update(r="operator", o=None)
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    fresh = world.browser()
    genuine = {"Cookie": f"lapor_konsol={body}.{signature}"}
    assert (await fresh.get("/konsol/opd/DPUPR", headers=genuine)).status_code == 200
    tampered = {"Cookie": f"lapor_konsol={forged}.{signature}"}
    assert (await fresh.get("/konsol/verifikasi", headers=tampered)).status_code == 303

    browser = await world.signed_in("dev-operator")
    world.now = NOW + timedelta(hours=11)
    response = await browser.get("/konsol/verifikasi")
    assert response.status_code == 303 and response.headers["location"].startswith("/konsol/masuk")


async def test_signing_in_starts_a_new_session_with_a_new_csrf_token(world: World) -> None:
    browser = world.browser()
    before = csrf_of(await browser.get("/konsol/masuk"))
    await browser.post("/konsol/masuk", data={"csrf": before, "token": "dev-operator"})
    after = csrf_of(await browser.get(CASE))
    assert after != before
    stale = await browser.post(f"{CASE}/tunda", data={"csrf": before, "alasan": "x"})
    assert stale.status_code == 403


@pytest.mark.parametrize("junk", ["abc", "a.b", "a.b.c", "x" * 600, "e30.e30", "!!.??"])
async def test_a_junk_cookie_is_no_session(world: World, junk: str) -> None:
    response = await world.browser().get(
        "/konsol/verifikasi", headers={"Cookie": f"lapor_konsol={junk}"}
    )
    assert response.status_code == 303


async def test_sign_out_ends_the_session(world: World) -> None:
    browser = await world.signed_in("dev-operator")
    page = await browser.get("/konsol/verifikasi")
    response = await browser.post("/konsol/keluar", data={"csrf": csrf_of(page)})
    assert response.status_code == 303
    assert response.headers["location"] == "/konsol/masuk?keluar=1"
    assert "lapor_konsol" not in browser.cookies
    assert (await browser.get("/konsol/verifikasi")).status_code == 303
    assert "Anda telah keluar" in (await browser.get("/konsol/masuk?keluar=1")).text


async def test_after_sign_in_the_officer_returns_to_the_page_asked_for(world: World) -> None:
    browser = world.browser()
    asked = await browser.get(CASE)
    assert asked.headers["location"] == f"/konsol/masuk?lanjut={CASE}"
    response = await sign_in(browser, "dev-operator", lanjut=CASE)
    assert response.headers["location"] == CASE
    elsewhere = await sign_in(world.browser(), "dev-operator", lanjut="//evil.example/konsol/")
    assert elsewhere.headers["location"] == "/konsol/verifikasi"


async def test_repeated_wrong_tokens_are_throttled_but_successes_are_not(world: World) -> None:
    for _ in range(12):  # a whole office signing in from one address
        assert (await sign_in(world.browser(), "dev-dpupr")).status_code == 303
    browser = world.browser()
    codes = [(await sign_in(browser, f"wrong-{n}")).status_code for n in range(10)]
    assert codes == [401] * 10
    throttled = await sign_in(browser, "dev-operator")  # even the right token, for a while
    assert throttled.status_code == 429 and "Terlalu banyak percobaan" in throttled.text


def test_failed_sign_ins_are_forgotten_after_the_window() -> None:
    now = [0.0]
    limit = FailedSignIns(limit=2, window=60.0, clock=lambda: now[0])
    limit.failed("a")
    limit.failed("a")
    assert limit.blocked("a") and not limit.blocked("b")
    now[0] = 61.0
    assert not limit.blocked("a")


# --- CSRF -------------------------------------------------------------------------------------
async def test_a_post_without_the_sessions_csrf_token_is_refused(world: World) -> None:
    operator = await world.signed_in("dev-operator")
    other = await world.signed_in("dev-operator")
    foreign = csrf_of(await other.get(CASE))
    for data in (
        {"opd": "DPUPR"},
        {"opd": "DPUPR", "csrf": "0" * 64},
        {"opd": "DPUPR", "csrf": foreign},
    ):
        response = await operator.post(f"{CASE}/disposisi", data=data)
        assert response.status_code == 403
        assert "Formulir tidak dapat diproses" in response.text
    assert world.status() == Status.BELUM_TERVERIFIKASI and world.published() == []


async def test_the_sign_in_form_itself_needs_its_csrf_token(world: World) -> None:
    browser = world.browser()
    await browser.get("/konsol/masuk")
    response = await browser.post("/konsol/masuk", data={"token": "dev-operator"})
    assert response.status_code == 403 and "lapor_konsol=" not in response.headers.get(
        "set-cookie", ""
    )


async def test_a_cross_site_post_is_refused_even_with_the_token(world: World) -> None:
    operator = await world.signed_in("dev-operator")
    token = csrf_of(await operator.get(CASE))
    response = await operator.post(
        f"{CASE}/disposisi",
        data={"csrf": token, "opd": "DPUPR"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403


async def test_only_small_urlencoded_forms_are_read(world: World) -> None:
    operator = await world.signed_in("dev-operator")
    token = csrf_of(await operator.get(CASE))
    multipart = await operator.post(
        f"{CASE}/tunda", data={"csrf": token}, files={"f": ("a.txt", b"x")}
    )
    assert multipart.status_code == 400
    huge = await operator.post(f"{CASE}/tunda", data={"csrf": token, "alasan": "x" * 40_000})
    assert huge.status_code == 413
    assert world.status() == Status.BELUM_TERVERIFIKASI


# --- the operator -----------------------------------------------------------------------------
async def test_the_operator_disposes_through_the_form(world: World) -> None:
    operator = await world.signed_in("dev-operator")
    page = await operator.get(CASE)
    assert '<option value="DPUPR" selected>' in page.text  # the suggestion, preselected
    response = await submit(operator, "disposisi", {"opd": "dpupr", "catatan": "Jalan kab."})
    assert response.status_code == 303
    assert response.headers["location"] == f"{CASE}?hasil=disposisi"
    assert world.status() == Status.DIDISPOSISIKAN and world.cases.cases[TID].opd == "DPUPR"
    assert world.published() == ["complaint.assigned", "dpupr"]
    shown = await operator.get(response.headers["location"])
    assert "Laporan telah didisposisikan" in shown.text
    assert "Disposisi</strong>" in shown.text and "oleh Admin Koordinator" in shown.text
    assert TID not in (await operator.get("/konsol/verifikasi")).text


async def test_a_disposition_needs_an_opd_of_the_directory(world: World) -> None:
    operator = await world.signed_in("dev-operator")
    missing = await submit(operator, "disposisi", {"opd": ""})
    assert missing.status_code == 422 and "OPD tujuan wajib diisi." in missing.text
    unknown = await submit(operator, "disposisi", {"opd": "NOPE", "catatan": "tetap ada"})
    assert unknown.status_code == 422 and "Pilih OPD tujuan dari daftar." in unknown.text
    assert "tetap ada</textarea>" in unknown.text  # what was typed is kept
    assert world.status() == Status.BELUM_TERVERIFIKASI


async def test_the_operator_holds_resumes_and_archives_with_reasons(world: World) -> None:
    operator = await world.signed_in("dev-operator")
    empty = await submit(operator, "tunda", {"alasan": "  "})
    assert empty.status_code == 422 and "Alasan wajib diisi." in empty.text
    assert (await submit(operator, "tunda", {"alasan": "Menunggu data"})).status_code == 303
    assert world.status() == Status.TUNDA
    assert (await submit(operator, "lanjutkan", {})).status_code == 303
    assert world.status() == Status.BELUM_TERVERIFIKASI
    assert (await submit(operator, "arsip", {"alasan": "Duplikat"})).status_code == 303
    assert world.status() == Status.ARSIP
    history = (await operator.get(CASE)).text
    for seen in ("Ditunda", "Menunggu data", "Dilanjutkan", "Diarsipkan", "Duplikat"):
        assert seen in history


async def test_held_cases_stay_in_the_operators_queue_after_those_to_verify(world: World) -> None:
    world.add_case("LPR-261130-HELD1", status=Status.TUNDA, suggested="DINKES")
    world.add_case("LPR-261130-HELD2", status=Status.TUNDA, opd="DPUPR")
    operator = await world.signed_in("dev-operator")
    page = (await operator.get("/konsol/verifikasi")).text
    order = [page.index(t) for t in (TID, "LPR-261130-HELD1", "LPR-261130-HELD2")]
    assert order == sorted(order)  # to verify first, then what waits to be resumed
    assert page.count("Ditunda") == 2
    held_with_opd = page[page.index("LPR-261130-HELD2") :]
    assert "Dinas Pekerjaan Umum dan Penataan Ruang (DPUPR)" in held_with_opd
    assert "Saran OPD" not in held_with_opd


async def test_an_action_the_state_does_not_allow_gets_a_409_page(world: World) -> None:
    operator = await world.signed_in("dev-operator")
    response = await submit(operator, "lanjutkan", {})
    assert response.status_code == 409
    assert "Tindakan tidak dapat dilakukan" in response.text
    assert "Belum terverifikasi" in response.text


async def test_search_by_tracking_id(world: World) -> None:
    operator = await world.signed_in("dev-operator")
    found = await operator.get("/konsol/cari", params={"id": f" {TID.lower()} "})
    assert found.headers["location"] == CASE
    bad = await operator.get("/konsol/cari", params={"id": "<b>nope</b>"})
    assert bad.status_code == 422 and "&lt;B&gt;NOPE&lt;/B&gt;" in bad.text
    unknown = await operator.get("/konsol/laporan/LPR-261130-ZZZZZ")
    assert unknown.status_code == 404 and "Laporan tidak ditemukan" in unknown.text


async def test_the_operator_may_look_at_any_opds_queue(world: World) -> None:
    operator = await world.signed_in("dev-operator")
    assert (await operator.get("/konsol/opd?kode=dinkes")).headers[
        "location"
    ] == "/konsol/opd/DINKES"
    assert (await operator.get("/konsol/opd/DINKES")).status_code == 200
    assert (await operator.get("/konsol/opd/NOPE")).status_code == 404


# --- OPD officers -----------------------------------------------------------------------------
async def dispose_to_dpupr(world: World) -> None:
    operator = await world.signed_in("dev-operator")
    assert (await submit(operator, "disposisi", {"opd": "DPUPR"})).status_code == 303


async def test_the_opd_answers_then_resolves_through_the_forms(world: World) -> None:
    await dispose_to_dpupr(world)
    officer = await world.signed_in("dev-dpupr")
    assert TID in (await officer.get("/konsol/opd/DPUPR")).text
    empty = await submit(officer, "tindak-lanjut", {"teks": ""})
    assert empty.status_code == 422 and "Tindak lanjut wajib diisi." in empty.text
    answered = await submit(officer, "tindak-lanjut", {"teks": "Tim menambal jalan Senin."})
    assert answered.status_code == 303 and world.status() == Status.DITINDAKLANJUTI
    resolved = await submit(officer, "selesai", {"teks": "Sudah ditambal."})
    assert resolved.status_code == 303 and world.status() == Status.SELESAI
    assert world.published()[-2:] == ["complaint.responded", "complaint.resolved"]
    page = (await officer.get(CASE)).text
    assert "Tim menambal jalan Senin." in page and "oleh Petugas Dinas Pekerjaan Umum" in page
    assert 'action="/konsol/laporan/' not in page  # nothing left to do on a closed case


async def test_bukan_wewenang_goes_back_to_verification_with_the_reason(world: World) -> None:
    await dispose_to_dpupr(world)
    officer = await world.signed_in("dev-dpupr")
    empty = await submit(officer, "bukan-wewenang", {"alasan": ""})
    assert empty.status_code == 422 and "Alasan wajib diisi." in empty.text
    response = await submit(officer, "bukan-wewenang", {"alasan": "Jalan provinsi"})
    assert response.status_code == 303
    assert response.headers["location"] == "/konsol/opd/DPUPR?hasil=bukan-wewenang"
    assert world.status() == Status.BELUM_TERVERIFIKASI
    back_home = await officer.get(response.headers["location"])
    assert "dikembalikan ke Admin Koordinator" in back_home.text
    assert (await officer.get(CASE)).status_code == 403
    operator = await world.signed_in("dev-operator")
    assert TID in (await operator.get("/konsol/verifikasi")).text
    assert "Bukan wewenang DPUPR: Jalan provinsi" in (await operator.get(CASE)).text


async def test_another_opd_gets_a_403_page_for_everything_of_this_case(world: World) -> None:
    await dispose_to_dpupr(world)
    other = await world.signed_in("dev-dinkes")
    for path in (CASE, "/konsol/opd/DPUPR", "/konsol/verifikasi"):
        page = await other.get(path)
        assert page.status_code == 403 and "Tidak berwenang" in page.text, path
        assert "Jalan berlubang" not in page.text
    assert TID not in (await other.get("/konsol/opd/DINKES")).text
    token = csrf_of(await other.get("/konsol/opd/DINKES"))
    posted = await other.post(f"{CASE}/tindak-lanjut", data={"csrf": token, "teks": "x"})
    assert posted.status_code == 403 and world.status() == Status.DIDISPOSISIKAN
    fragment = await other.get("/konsol/opd/DPUPR/daftar")
    assert fragment.status_code == 403


async def test_an_opd_cannot_use_operator_actions(world: World) -> None:
    await dispose_to_dpupr(world)
    officer = await world.signed_in("dev-dpupr")
    assert "Disposisikan ulang" not in (await officer.get(CASE)).text
    response = await submit(officer, "arsip", {"alasan": "bukan urusan kami"})
    assert response.status_code == 403 and world.status() == Status.DIDISPOSISIKAN


async def test_the_opd_list_is_ordered_by_deadline_with_urgency_in_words(world: World) -> None:
    world.add_case(
        "LPR-261130-LATE1",
        status=Status.DIDISPOSISIKAN,
        opd="DPUPR",
        deadlines={Stage.FOLLOW_UP: NOW - timedelta(hours=2)},
    )
    world.add_case(
        "LPR-261130-SOON1",
        status=Status.DIDISPOSISIKAN,
        opd="DPUPR",
        deadlines={Stage.FOLLOW_UP: NOW + timedelta(hours=5)},
    )
    world.add_case(
        "LPR-261130-CALM1",
        status=Status.DIDISPOSISIKAN,
        opd="DPUPR",
        deadlines={Stage.FOLLOW_UP: NOW + timedelta(days=3)},
    )
    officer = await world.signed_in("dev-dpupr")
    page = (await officer.get("/konsol/opd/DPUPR")).text
    cards = re.findall(r'data-id="(LPR-[^"]+)"[^>]*>(.*?)</li>', page, flags=re.S)
    order = [tid for tid, _ in cards]
    assert order == ["LPR-261130-LATE1", "LPR-261130-SOON1", "LPR-261130-CALM1"]
    text = dict(cards)
    assert "Terlambat:" in text["LPR-261130-LATE1"]
    assert "Segera:" in text["LPR-261130-SOON1"]
    assert "Terlambat" not in text["LPR-261130-CALM1"] and "Segera" not in text["LPR-261130-CALM1"]
    assert "3 laporan, <strong>1 terlambat</strong>, <strong>1 segera jatuh tempo</strong>" in page


# --- privacy and escaping -----------------------------------------------------------------------
async def test_an_anonim_reporter_stays_hidden() -> None:
    world = World(anonymous=True)
    await dispose_to_dpupr(world)
    for token in ("dev-dpupr", "dev-operator"):
        browser = await world.signed_in(token)
        page = (await browser.get(CASE)).text
        assert "dirahasiakan (anonim)" in page
        assert "Rahmat" not in page and "6281" not in page


async def test_a_named_reporter_is_shown_to_the_handling_opd(world: World) -> None:
    await dispose_to_dpupr(world)
    officer = await world.signed_in("dev-dpupr")
    page = (await officer.get(CASE)).text
    assert "Rahmat" in page and "+6281234567890" in page


async def test_html_in_a_complaint_or_a_note_is_shown_as_text() -> None:
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    world = World(text=f"Jalan rusak {attack}")
    operator = await world.signed_in("dev-operator")
    assert (await submit(operator, "tunda", {"alasan": f"Tunggu {attack}"})).status_code == 303
    page = (await operator.get(CASE)).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") == 2  # the text and the reason


# --- pages, headers, refresh ------------------------------------------------------------------
async def test_every_console_response_carries_the_security_headers(world: World) -> None:
    browser = world.browser()
    responses = [
        await browser.get("/konsol/masuk"),
        await browser.get("/konsol/verifikasi"),  # a redirect
        await browser.get("/konsol/static/konsol.js"),
    ]
    officer = await world.signed_in("dev-dinkes")
    responses.append(await officer.get("/konsol/verifikasi"))  # a 403 page
    for response in responses:
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
    assert responses[0].headers["cache-control"] == "no-store"
    assert responses[2].headers["content-type"].startswith("text/javascript")


def test_the_templates_have_no_inline_script_style_or_handlers() -> None:
    folder = resources.files("services.routing.console").joinpath("templates")
    for template in folder.iterdir():
        html = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), template.name
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html), template.name


async def test_the_list_fragment_shows_new_cases_for_the_periodic_refresh(world: World) -> None:
    operator = await world.signed_in("dev-operator")
    page = (await operator.get("/konsol/verifikasi")).text
    assert 'data-segarkan="/konsol/verifikasi/daftar"' in page
    assert "Muat ulang daftar" in page  # without JavaScript
    before = await operator.get("/konsol/verifikasi/daftar")
    assert before.status_code == 200 and TID in before.text
    assert "<html" not in before.text
    world.add_case("LPR-261130-NEW01", suggested="DINSOS", confidence=0.35)
    after = await operator.get("/konsol/verifikasi/daftar")
    assert "LPR-261130-NEW01" in after.text
    version = re.compile(r'data-versi="([0-9a-f]+)"')
    assert version.findall(before.text) != version.findall(after.text)
    assert (await world.browser().get("/konsol/verifikasi/daftar")).status_code == 401
