"""The staff console in a real browser: Debian's Chromium driven by Playwright, four services.

A vague complaint lands in the verification queue and appears there without a reload; the
Admin Koordinator disposes it to DPUPR; the DPUPR officer answers and resolves it; the reporter
gets each step by mail (read back over IMAP). Another OPD can neither see nor open it, and a
form post without its CSRF token is refused. Screenshots go to `LAPOR_SCREENSHOT_DIR`.
"""

from __future__ import annotations

import asyncio
import email
import imaplib
import os
import re
import uuid
from collections.abc import AsyncIterator
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, ViewportSize, async_playwright, expect

from tests.conftest import IMAP_PORT
from tests.e2e.harness import ServiceStack, service_env

pytestmark = pytest.mark.e2e
PORTS = {"intake": 18600, "routing": 18601, "sla": 18602, "notify": 18603}
KONSOL = f"http://127.0.0.1:{PORTS['routing']}/konsol"
CHROMIUM = os.environ.get("LAPOR_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("LAPOR_SCREENSHOT_DIR", "/tmp"))
PHONE = ViewportSize(width=390, height=844)
# The classifier is unsure about this one (below the 0.6 threshold): a human must decide.
VAGUE = "tolong dibantu pak urusan kemarin belum beres"
ANSWER = "Tim kami sudah mengecek ke lokasi; perbaikan dijadwalkan Senin depan."
CLOSING = "Perbaikan sudah selesai dikerjakan."


@pytest.fixture
async def services(vhost: str, db_name: str, tmp_path: Path) -> AsyncIterator[ServiceStack]:
    """intake, routing, sla and notify as processes on ports 18600-18603."""
    stack = ServiceStack(ports=PORTS, vhost=vhost, logs=tmp_path)
    stack.start(service_env(vhost=vhost, db_name=db_name, ports=PORTS))
    try:
        await stack.wait_healthy()
        yield stack
    finally:
        await asyncio.to_thread(stack.stop)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium (never a downloaded browser build)."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        await chromium.close()


async def phone_page(browser: Browser, **options: Any) -> Page:
    """A fresh phone-sized browser context (its own cookies) with one page."""
    context = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, **options
    )
    return await context.new_page()


async def sign_in(page: Page, token: str) -> None:
    await page.goto(f"{KONSOL}/")
    await expect(page).to_have_url(f"{KONSOL}/masuk")
    await page.get_by_label("Token akses").fill(token)
    await page.get_by_role("button", name="Masuk").click()


def mails_by_kind(address: str, tracking_id: str) -> dict[str, Message]:
    """The reporter's mails about a case, by kind (notify names it in the Message-ID)."""
    imap = imaplib.IMAP4("127.0.0.1", IMAP_PORT)
    try:
        imap.login(address, "lapor-dev")
        imap.select("INBOX")
        _, data = imap.search(None, "SUBJECT", f'"{tracking_id}"')
        found: dict[str, Message] = {}
        for num in data[0].split():
            _, parts = imap.fetch(num, "(RFC822)")
            raw = parts[0]
            assert isinstance(raw, tuple)
            message = email.message_from_bytes(raw[1])
            kind = re.search(r"\.([a-z_]+)(?:\.[0-9a-f]+)?@", str(message["Message-ID"]))
            if kind:
                found[kind.group(1)] = message
        return found
    finally:
        imap.logout()


def text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    return ""


async def wait_for_mails(address: str, tracking_id: str, kinds: set[str]) -> dict[str, Message]:
    found: dict[str, Message] = {}
    for _ in range(120):
        found = await asyncio.to_thread(mails_by_kind, address, tracking_id)
        if kinds <= set(found):
            return found
        await asyncio.sleep(0.5)
    raise AssertionError(f"mails of {address}: {sorted(found)}, expected {sorted(kinds)}")


async def test_a_vague_complaint_is_verified_disposed_answered_and_resolved_in_the_console(
    services: ServiceStack, browser: Browser
) -> None:
    reporter = f"warga-{uuid.uuid4().hex[:8]}@lapor.test"

    # The Admin Koordinator signs in with the keyboard and watches the empty queue.
    operator = await phone_page(browser, locale="id-ID")
    first = await operator.goto(f"{KONSOL}/masuk")
    assert first is not None
    csp = first.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert first.headers["x-content-type-options"] == "nosniff"
    await operator.keyboard.press("Tab")
    await expect(operator.get_by_role("link", name="Langsung ke isi utama")).to_be_focused()
    await operator.get_by_label("Token akses").focus()
    await operator.keyboard.type("dev-operator")
    await operator.keyboard.press("Enter")
    await operator.wait_for_url(f"{KONSOL}/verifikasi")
    await expect(operator.locator("[data-daftar]")).to_contain_text(
        "Tidak ada laporan yang menunggu verifikasi"
    )
    cookie = next(c for c in await operator.context.cookies() if c["name"] == "lapor_konsol")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/konsol"
    await operator.evaluate("window.tanpaMuatUlang = true")

    # A citizen sends something the classifier cannot place.
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            services.url("intake", "/api/v1/complaints"),
            json={"text": VAGUE, "name": "Yusuf Hamdan", "email": reporter},
        )
    assert response.status_code == 201, response.text
    tracking_id = response.json()["tracking_id"]

    # It appears in the open queue without a reload, with the suggestion and its confidence.
    card = operator.locator(f'[data-id="{tracking_id}"]')
    await expect(card).to_be_visible(timeout=45_000)
    await expect(card).to_contain_text(re.compile(r"\(DINSOS\), keyakinan \d+%"), timeout=30_000)
    await expect(card).to_contain_text("Baru")
    await expect(operator.locator("#kabar-daftar")).to_contain_text("1 laporan baru masuk")
    assert await operator.evaluate("window.tanpaMuatUlang === true")  # the page never reloaded
    await operator.screenshot(path=str(SCREENSHOTS / "konsol-antrean-390.png"), full_page=True)

    # The operator opens it, reads it, and disposes it to DPUPR with a note.
    await card.get_by_role("link", name=tracking_id).click()
    await operator.wait_for_url(f"{KONSOL}/laporan/{tracking_id}")
    await expect(operator.locator("#isi-laporan")).to_have_text(VAGUE)
    await operator.get_by_label("OPD tujuan").select_option("DPUPR")
    await operator.get_by_label("OPD tujuan").scroll_into_view_if_needed()
    await operator.screenshot(path=str(SCREENSHOTS / "konsol-disposisi-390.png"))
    await operator.get_by_label("Catatan disposisi").fill("Jalan kabupaten, mohon dicek.")
    await operator.get_by_role("button", name="Disposisikan", exact=True).click()
    await operator.wait_for_url(re.compile(r"\?hasil=disposisi$"))
    await expect(operator.locator("#status-laporan")).to_have_text(
        "Terverifikasi dan didisposisikan"
    )
    history = operator.locator(".history")
    await expect(history).to_contain_text("Disposisi")
    await expect(history).to_contain_text("oleh Admin Koordinator")

    # The DPUPR officer finds it in their own list and writes the follow-up.
    officer = await phone_page(browser, locale="id-ID")
    await sign_in(officer, "dev-dpupr")
    await officer.wait_for_url(f"{KONSOL}/opd/DPUPR")
    await officer.locator(f'[data-id="{tracking_id}"]').get_by_role("link").click()
    await officer.wait_for_url(f"{KONSOL}/laporan/{tracking_id}")
    await expect(officer.get_by_text("Yusuf Hamdan")).to_be_visible()
    await officer.get_by_label("Tindak lanjut", exact=True).fill(ANSWER)
    await officer.get_by_role("button", name="Kirim tindak lanjut").click()
    await officer.wait_for_url(re.compile(r"\?hasil=tindak-lanjut$"))
    await expect(officer.locator("#status-laporan")).to_have_text("Ditindaklanjuti")
    await expect(officer.get_by_role("status")).to_contain_text("dikirim kepada pelapor")
    await officer.screenshot(path=str(SCREENSHOTS / "konsol-laporan-opd-390.png"), full_page=True)
    await officer.screenshot(path=str(SCREENSHOTS / "konsol-laporan-opd-atas-390.png"))
    await officer.get_by_role("heading", name="Tindakan").scroll_into_view_if_needed()
    await officer.screenshot(path=str(SCREENSHOTS / "konsol-laporan-opd-tindakan-390.png"))

    # A form post without its CSRF token (or with a made-up one) is refused.
    action = f"{KONSOL}/laporan/{tracking_id}/tindak-lanjut"
    forms: list[dict[str, str | float | bool]] = [
        {"teks": "tanpa token"},
        {"teks": "token palsu", "csrf": "0" * 64},
    ]
    for form in forms:
        refused = await officer.request.post(action, form=form)
        assert refused.status == 403
        assert "Formulir tidak dapat diproses" in await refused.text()

    await officer.get_by_label("Keterangan penyelesaian").fill(CLOSING)
    await officer.get_by_role("button", name="Tandai selesai").click()
    await officer.wait_for_url(re.compile(r"\?hasil=selesai$"))
    await expect(officer.locator("#status-laporan")).to_have_text("Selesai")

    # Another OPD, here with JavaScript off, neither sees nor opens it.
    other = await phone_page(browser, java_script_enabled=False)
    await sign_in(other, "dev-dinkes")
    await other.wait_for_url(f"{KONSOL}/opd/DINKES")
    await expect(other.locator(f'[data-id="{tracking_id}"]')).to_have_count(0)
    opened = await other.goto(f"{KONSOL}/laporan/{tracking_id}")
    assert opened is not None and opened.status == 403
    await expect(other.get_by_role("heading", level=1)).to_have_text("Tidak berwenang")
    assert VAGUE not in await other.content()
    await other.screenshot(path=str(SCREENSHOTS / "konsol-403-390.png"))
    listed = await other.goto(f"{KONSOL}/opd/DPUPR")
    assert listed is not None and listed.status == 403

    # A case put on hold after its disposition joins the operator's list again, as held.
    await operator.goto(f"{KONSOL}/verifikasi")
    await operator.evaluate("window.tanpaMuatUlang = true")
    staff = {"Authorization": "Bearer dev-operator"}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            services.url("intake", "/api/v1/complaints"), json={"text": VAGUE}
        )
        assert response.status_code == 201, response.text
        held_id = response.json()["tracking_id"]
        held = operator.locator(f'[data-id="{held_id}"]')
        await expect(held).to_be_visible(timeout=45_000)
        disposed = await client.post(
            services.url("routing", f"/api/v1/complaints/{held_id}/disposition"),
            json={"opd": "DPUPR"},
            headers=staff,
        )
        assert disposed.status_code == 200, disposed.text
        await expect(held).to_have_count(0, timeout=30_000)
        on_hold = await client.post(
            services.url("routing", f"/api/v1/complaints/{held_id}/hold"),
            json={"reason": "Menunggu anggaran"},
            headers=staff,
        )
        assert on_hold.status_code == 200, on_hold.text
    await expect(held).to_contain_text("Ditunda", timeout=30_000)
    await expect(held).to_contain_text("Dinas Pekerjaan Umum dan Penataan Ruang (DPUPR)")
    await expect(held).not_to_contain_text("Baru")
    await expect(operator.locator("#kabar-daftar")).to_contain_text(
        "1 laporan ditunda masuk ke daftar"
    )
    assert await operator.evaluate("window.tanpaMuatUlang === true")

    # The reporter heard of every step, by mail.
    mails = await wait_for_mails(
        reporter, tracking_id, {"diterima", "didisposisikan", "ditindaklanjuti", "selesai"}
    )
    assert ANSWER in text_of(mails["ditindaklanjuti"])
    subject = re.sub(r"\r?\n(?=[ \t])", "", str(mails["didisposisikan"]["Subject"]))  # unfolded
    assert "Dinas Pekerjaan Umum dan Penataan Ruang" in subject
