"""The web form in a real browser: Debian's Chromium driven by Playwright, intake as a process.

A citizen opens the form on a phone-sized screen, fills it in by its labels, picks kecamatan
and desa, attaches a photo, asks for anonymity and sends it; then follows the tracking ID to
the public status page. Screenshots go to `LAPOR_SCREENSHOT_DIR` (default /tmp).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import struct
import subprocess
import sys
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, FilePayload, Page, ViewportSize, async_playwright, expect
from pymongo import AsyncMongoClient

from tests.conftest import AMQP_BASE, MONGODB_BASE

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
PORT = 18100
BASE = f"http://127.0.0.1:{PORT}"
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
TRACKING_ID = re.compile(r"LPR-[0-9]{6}-[0-9A-Z]{4,8}")
REPORTER = {"name": "Siti Aminah", "email": "siti.web@lapor.test", "phone": "0812-3456-7890"}


def small_png(width: int = 64, height: int = 48) -> bytes:
    """A real RGB PNG with a gradient, made with zlib and struct."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    rows = b"".join(
        b"\x00" + b"".join(bytes([x * 4 % 256, y * 5 % 256, 160]) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _env(vhost: str, db_name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    env.update(
        {
            "LAPOR_AMQP_URL": f"{AMQP_BASE}/{vhost}",
            "LAPOR_MONGODB_URL": f"{MONGODB_BASE}/{db_name}",
            "LAPOR_PUBLIC_BASE_URL": BASE,
            "LAPOR_INTAKE_PORT": str(PORT),
            "LAPOR_OUTBOX_RELAY_INTERVAL_SECONDS": "0.5",
            # This test's intake must not take mail from the shared sandbox mailbox.
            "LAPOR_IMAP_ENABLED": "false",
        }
    )
    return env


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


async def _wait_healthy(process: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(120):
            if process.poll() is not None:
                raise AssertionError(f"intake exited:\n{_tail(log)}")
            try:
                if (await client.get(f"{BASE}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
    raise AssertionError(f"intake not healthy:\n{_tail(log)}")


@pytest.fixture
async def intake(vhost: str, db_name: str, tmp_path: Path) -> AsyncIterator[str]:
    """Intake alone, as a process on its own port, vhost and database."""
    log = tmp_path / "intake.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited
            [sys.executable, "-m", "services.intake"],
            cwd=REPO,
            env=_env(vhost, db_name),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        await _wait_healthy(process, log)
        yield BASE
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError("intake did not stop within 30 s of SIGTERM") from None


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium (never a downloaded browser build)."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        await chromium.close()


async def _phone_page(browser: Browser, **options: Any) -> Page:
    context = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, **options
    )
    return await context.new_page()


async def _tab_order(page: Page, presses: int) -> list[str]:
    order = []
    for _ in range(presses):
        await page.keyboard.press("Tab")
        order.append(
            await page.evaluate("document.activeElement.id || document.activeElement.name")
        )
    return order


async def test_a_citizen_reports_with_a_photo_anonymously_and_follows_the_status(
    intake: str, browser: Browser, db_name: str
) -> None:
    page = await _phone_page(browser, locale="id-ID")
    await page.goto(f"{intake}/")
    await expect(page).to_have_title(re.compile("Sampaikan laporan"))
    await page.screenshot(path=str(SCREENSHOTS / "lapor-form-390.png"), full_page=True)

    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Langsung ke isi utama")).to_be_focused()
    order = await _tab_order(page, 20)
    fields = ["isi", "judul", "kecamatan", "desa", "lokasi", "foto", "nama", "email", "hp"]
    fields += ["anonim", "rahasia", "kirim"]
    assert [name for name in order if name in fields] == fields, order

    await page.get_by_label("Isi laporan").fill(
        "Jalan kabupaten di Desa Resang berlubang besar dan tergenang saat hujan. "
        "Sudah dua pengendara motor jatuh minggu ini."
    )
    await page.get_by_label("Judul laporan").fill("Jalan berlubang di Resang")
    await page.get_by_label("Kecamatan", exact=True).select_option("Singkep Selatan")
    desa = page.get_by_label("Desa atau kelurahan")
    await expect(desa.locator("optgroup")).to_have_count(1)  # filtered to the kecamatan
    await desa.select_option(label="Desa Resang")
    await page.get_by_label("Detail lokasi").fill("Depan SD Negeri 005 Resang")
    await page.get_by_label("Foto pendukung").set_input_files(
        files=[FilePayload(name="jalan.png", mimeType="image/png", buffer=small_png())]
    )
    await page.get_by_label("Nama", exact=True).fill(REPORTER["name"])
    await page.get_by_label("Email", exact=True).fill(REPORTER["email"])
    await page.get_by_label("Nomor HP").fill(REPORTER["phone"])
    await page.get_by_label("Laporan anonim").check()
    await page.get_by_role("button", name="Kirim laporan").click()

    await page.wait_for_url(re.compile(r"/lapor/diterima/LPR-"))
    tracking_id = (await page.locator("#nomor-pelacakan").inner_text()).strip()
    assert TRACKING_ID.fullmatch(tracking_id), tracking_id
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Laporan Anda sudah kami terima"
    )
    await page.screenshot(path=str(SCREENSHOTS / "lapor-confirmation-390.png"), full_page=True)

    await page.get_by_role("link", name="Cek status laporan ini").click()
    await page.wait_for_url(f"{intake}/cek/{tracking_id}")
    await expect(page.locator("#status-laporan")).to_have_text("Belum terverifikasi")
    await page.screenshot(path=str(SCREENSHOTS / "lapor-status-390.png"), full_page=True)
    content = await page.content()
    for private in (REPORTER["name"], "Siti", REPORTER["email"], "0812-3456", "+6281"):
        assert private not in content

    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGODB_BASE, tz_aware=True)
    try:
        stored = await mongo[db_name]["complaints"].find_one({"_id": tracking_id})
        files = await mongo[db_name]["attachments.files"].count_documents({})
    finally:
        await mongo.close()
    assert stored is not None
    assert (stored["kecamatan"], stored["desa"], stored["anonymous"]) == (
        "Singkep Selatan",
        "Resang",
        True,
    )
    assert stored["reporter"]["phone"] == "+6281234567890"
    assert [a["content_type"] for a in stored["attachments"]] == ["image/png"]
    assert files == 1


async def test_without_javascript_errors_are_shown_and_the_form_still_works(
    intake: str, browser: Browser
) -> None:
    page = await _phone_page(browser, java_script_enabled=False)
    await page.goto(f"{intake}/")
    await page.get_by_label("Nama", exact=True).fill(REPORTER["name"])
    await page.get_by_label("Nomor HP").fill("12")
    await page.get_by_role("button", name="Kirim laporan").click()

    summary = page.locator("#ringkasan-galat")
    await expect(summary).to_contain_text("Isi laporan wajib diisi")
    await expect(summary).to_contain_text("Nomor HP tidak valid")
    await expect(page.get_by_label("Nama", exact=True)).to_have_value(REPORTER["name"])
    await page.screenshot(path=str(SCREENSHOTS / "lapor-form-errors-390.png"), full_page=True)
    await summary.get_by_role("link", name=re.compile("Isi laporan")).click()
    await expect(page.get_by_label("Isi laporan")).to_be_focused()

    await page.get_by_label("Isi laporan").fill("Lampu jalan di depan Pasar Daik mati sebulan.")
    await page.get_by_label("Nomor HP").fill("")
    await page.get_by_label("Kecamatan", exact=True).select_option("Lingga")
    await page.get_by_label("Desa atau kelurahan").select_option(label="Kelurahan Daik")
    await page.get_by_role("button", name="Kirim laporan").click()
    await page.wait_for_url(re.compile(r"/lapor/diterima/LPR-"))
    await expect(page.locator("#nomor-pelacakan")).to_have_text(TRACKING_ID)


async def test_a_post_without_the_csrf_token_is_forbidden_in_the_browser(
    intake: str, browser: Browser
) -> None:
    page = await _phone_page(browser)
    await page.goto(f"{intake}/")
    nonce = await page.locator("input[name=nonce]").get_attribute("value")
    assert nonce
    cookies = await page.context.cookies()
    assert any(c["name"] == "lapor_csrf" and c["httpOnly"] for c in cookies)

    response = await page.request.post(
        f"{intake}/lapor",
        multipart={"isi": "Sampah menumpuk di pasar Dabo sejak minggu lalu.", "nonce": nonce},
    )
    assert response.status == 403
    assert "Formulir tidak dapat diproses" in await response.text()
    forged = await page.request.post(
        f"{intake}/lapor",
        multipart={"isi": "Sampah menumpuk di pasar.", "nonce": nonce, "csrf_token": "0" * 64},
    )
    assert forged.status == 403
