"""The citizen web form over fakes: rendering, validation, CSRF, photos, idempotency, status."""

from __future__ import annotations

import base64
import logging
import re
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from services.intake.metrics import IntakeMetrics
from services.intake.service import IntakeService
from services.intake.settings import IntakeSettings
from services.intake.tracking import TRACKING_ID_PATTERN
from services.intake.web import build_web_router, problem_page_html
from services.intake.web.images import PhotoRejected, inspect_photo
from services.intake.web.rendering import format_datetime
from services.intake.web.wilayah import load_wilayah
from shared.contracts.types import Channel, Stage, Status
from shared.directory import load_directory
from shared.http import BodySizeLimit
from shared.observability import new_registry
from shared.store.cases import CaseDocument, HistoryEntry
from shared.store.complaints import Attachment
from tests.fakes import FakeComplaints, FakeInbound, FakeRelay

MAX_PHOTO_BYTES = 200 * 1024
GOOD = {
    "isi": "Jalan kabupaten di Desa Resang berlubang besar, berbahaya untuk motor.",
    "judul": "Jalan berlubang di Resang",
    "kecamatan": "Singkep Selatan",
    "desa": "Resang",
    "lokasi": "Depan SD Negeri 005",
    "nama": "Siti Aminah",
    "email": "Siti@Lapor.test",
    "hp": "0812-3456-7890",
}
# A 16x12 JPEG made by Chromium's encoder (with its ICC profile), for the photo tests.
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/4gHYSUNDX1BST0ZJTEUAAQEAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AABAAEAAA"
    "AAAABhY3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFlaAAABKAAAABRiWFlaAA"
    "ABPAAAABR3dHB0AAABUAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAAAChjcHJ0AAABjAAAADxtbHVj"
    "AAAAAAAAAAEAAAAMZW5VUwAAAAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1AAADkFhZWiAAAAAAAABimQAAt4UAAB"
    "jaWFlaIAAAAAAAACSgAAAPhAAAts9YWVogAAAAAAAA9tYAAQAAAADTLXBhcmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AA"
    "AApbAAAAAAAAAABtbHVjAAAAAAAAAAEAAAAMZW5VUwAAACAAAAAcAEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxAD"
    "b/2wBDAAoHBwgHBgoICAgLCgoLDhgQDg0NDh0VFhEYIx8lJCIfIiEmKzcvJik0KSEiMEExNDk7Pj4+JS5ESUM8SDc9Pjv/"
    "2wBDAQoLCw4NDhwQEBw7KCIoOzs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozv/wA"
    "ARCAAMABADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAP/xAAcEAACAgIDAAAAAAAAAAAAAAABAhESAAQDMVH/"
    "xAAVAQEBAAAAAAAAAAAAAAAAAAADBf/EAB8RAAEDAwUAAAAAAAAAAAAAABEAExQCBCESI1KBsf/aAAwDAQACEQMRAD8Aht"
    "bD8FKgG0941dh+e9gBWOssyI8WUNHonCoiTVQs+CMAVaicKPJtYTLe5y7PmF//2Q=="
)


def png(width: int = 24, height: int = 16, *, text: bytes = b"", trailer: bytes = b"") -> bytes:
    """A real RGB PNG, optionally with a tEXt chunk and bytes glued on after IEND."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes([40, 120, 200]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    extra = chunk(b"tEXt", text) if text else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
        + trailer
    )


def jpeg_with_metadata() -> bytes:
    """The JPEG with an EXIF block (orientation 6, a camera owner) and a comment added."""
    entries = struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0) + struct.pack(">HHII", 0x013B, 2, 12, 38)
    tiff = b"MM\x00\x2a" + struct.pack(">IH", 8, 2) + entries + bytes(4) + b"Siti Aminah\x00"
    exif = b"Exif\x00\x00" + tiff
    comment = b"GPS -0.5,104.5"
    return (
        JPEG[:2]
        + b"\xff\xe1"
        + struct.pack(">H", len(exif) + 2)
        + exif
        + b"\xff\xfe"
        + struct.pack(">H", len(comment) + 2)
        + comment
        + JPEG[2:]
    )


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


@dataclass
class World:
    complaints: FakeComplaints
    inbound: FakeInbound
    relay: FakeRelay
    attachments: FakeAttachments
    client: httpx.AsyncClient
    app: FastAPI


@dataclass
class OpenForm:
    """What a browser holds after opening the form."""

    csrf_token: str
    nonce: str
    fields: dict[str, str] = field(default_factory=dict)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    complaints, inbound = FakeComplaints(), FakeInbound()
    relay = FakeRelay(complaints, inbound)
    service = IntakeService(
        store=complaints,
        inbound=inbound,
        relay=relay,
        directory=load_directory(),
        metrics=IntakeMetrics.create(new_registry()),
        tz=ZoneInfo("Asia/Jakarta"),
    )
    settings = IntakeSettings(
        max_photo_bytes=MAX_PHOTO_BYTES,
        max_text_chars=5000,
        timezone="Asia/Jakarta",
        secret_key="unit-test-secret-key-0123456789abcdef",
        public_base_url="http://t",
    )
    attachments = FakeAttachments()
    app = FastAPI()
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        overrides={"/lapor": settings.max_photo_bytes + 512 * 1024},
    )
    app.include_router(build_web_router(service, attachments=attachments, settings=settings))
    async with _client(app) as client:
        yield World(complaints, inbound, relay, attachments, client, app)


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def open_form(client: httpx.AsyncClient) -> OpenForm:
    response = await client.get("/")
    assert response.status_code == 200
    return OpenForm(
        csrf_token=_hidden(response.text, "csrf_token"), nonce=_hidden(response.text, "nonce")
    )


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name}"
    return found.group(1)


async def post(
    client: httpx.AsyncClient,
    form: OpenForm,
    fields: dict[str, str],
    photo: tuple[str, bytes, str] | None = None,
) -> httpx.Response:
    data = {"csrf_token": form.csrf_token, "nonce": form.nonce, **fields}
    files = {"foto": photo} if photo else {"foto": ("", b"", "application/octet-stream")}
    return await client.post("/lapor", data=data, files=files)


async def submit(world: World, fields: dict[str, str], **kwargs: Any) -> str:
    """Post a valid form; the tracking ID from the confirmation redirect."""
    response = await post(world.client, await open_form(world.client), fields, **kwargs)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/lapor/diterima/")
    return location.rsplit("/", 1)[1]


class Elements(HTMLParser):
    """Every start tag with its attributes, plus the text, of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def by_id(self, element_id: str) -> dict[str, str]:
        return next(attrs for _, attrs in self.tags if attrs.get("id") == element_id)


# --- the form --------------------------------------------------------------------------
async def test_the_form_is_accessible_indonesian_and_loads_nothing_from_elsewhere(
    world: World,
) -> None:
    response = await world.client.get("/")
    page = Elements(response.text)
    assert response.status_code == 200
    assert page.all("html")[0]["lang"] == "id"
    labelled = {label["for"] for label in page.all("label")}
    controls = [
        attrs
        for tag in ("input", "select", "textarea")
        for attrs in page.all(tag)
        if attrs.get("type") != "hidden"
    ]
    assert {c["name"] for c in controls} >= {"isi", "judul", "kecamatan", "desa", "lokasi"}
    assert all(c["id"] in labelled for c in controls), "every control has a bound label"
    for control in controls:
        for described in control.get("aria-describedby", "").split():
            assert page.by_id(described), f"{described} exists"
    assert len(page.all("fieldset")) == len(page.all("legend")) >= 4
    for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("a", "href")):
        for attrs in page.all(tag):
            if attr in attrs:
                assert attrs[attr].startswith(("/", "#")), f"external {tag}: {attrs[attr]}"
    assert "<style" not in response.text and " style=" not in response.text
    assert page.all("script") and all("src" in s for s in page.all("script"))
    text = " ".join(" ".join(page.text).split())
    assert "Identitas Anda tidak ditampilkan kepada instansi dan publik" in text
    assert "Isi laporan tidak ditampilkan kepada publik, hanya status" in text
    assert "hanya dapat memantau status laporan secara daring" in text
    kecamatan = [o for o in page.tags if o[0] == "option"][1:14]
    assert [attrs["value"] for _, attrs in kecamatan] == [k.name for k in load_wilayah().kecamatan]
    assert len(page.all("optgroup")) == 13


async def test_pages_carry_security_headers_and_a_strict_csrf_cookie(world: World) -> None:
    response = await world.client.get("/")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "; secure" not in cookie
    async with _client(world.app) as stranger:
        https = await stranger.get("https://t/")
    assert "; secure" in https.headers["set-cookie"].lower()
    css = await world.client.get("/static/lapor.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert (await world.client.get("/static/../settings.py")).status_code == 404


async def test_the_wilayah_file_lists_the_thirteen_kecamatan_of_lingga() -> None:
    wilayah = load_wilayah()
    assert {k.name for k in wilayah.kecamatan} == {
        "Singkep",
        "Singkep Barat",
        "Singkep Selatan",
        "Singkep Pesisir",
        "Lingga",
        "Lingga Utara",
        "Lingga Timur",
        "Senayang",
        "Kepulauan Posek",
        "Selayar",
        "Bakung Serumpun",
        "Temiang Pesisir",
        "Katang Bidare",
    }
    assert all(k.villages for k in wilayah.kecamatan)
    assert [k.name for k in wilayah.kecamatan_of("Dabo")] == ["Singkep"]


# --- posting ---------------------------------------------------------------------------
async def test_a_valid_post_is_stored_once_and_answered_with_its_tracking_id(
    world: World,
) -> None:
    form = await open_form(world.client)
    response = await post(world.client, form, {**GOOD, "anonim": "ya"})
    assert response.status_code == 303
    tracking_id = response.headers["location"].rsplit("/", 1)[1]
    assert TRACKING_ID_PATTERN.fullmatch(tracking_id)

    confirmation = await world.client.get(response.headers["location"])
    assert confirmation.status_code == 200
    assert tracking_id in confirmation.text
    assert "3 hari kerja" in confirmation.text
    assert f'href="/cek/{tracking_id}"' in confirmation.text

    stored = world.complaints.docs[tracking_id]
    assert stored.channel == Channel.WEB
    assert stored.source_key == f"web:{form.nonce}"
    assert (stored.kecamatan, stored.desa) == ("Singkep Selatan", "Resang")
    assert (stored.anonymous, stored.confidential) == (True, False)
    assert stored.reporter.name == "Siti Aminah"
    assert stored.reporter.email == "siti@lapor.test"
    assert stored.reporter.phone == "+6281234567890"
    assert stored.title == "Jalan berlubang di Resang"
    assert stored.location == "Depan SD Negeri 005"
    assert stored.attachments == []
    assert [e["routing_key"] for e in world.relay.published] == ["complaint.received"]
    assert "Siti" not in str(world.relay.published)
    raw = world.inbound.items[f"web:{form.nonce}"]
    assert raw["outcome"] == "complaint" and raw["payload"]["photo"] is None


async def test_a_desa_alone_implies_its_kecamatan(world: World) -> None:
    fields = {"isi": GOOD["isi"], "desa": "Dabo"}
    tracking_id = await submit(world, fields)
    stored = world.complaints.docs[tracking_id]
    assert (stored.kecamatan, stored.desa) == ("Singkep", "Dabo")
    assert stored.reporter.name is None and stored.reporter.phone is None


async def test_missing_text_shows_the_form_again_with_a_message_and_the_input_kept(
    world: World,
) -> None:
    form = await open_form(world.client)
    fields = {**GOOD, "isi": "   ", "nama": 'Siti "Ami" <b>&</b>', "rahasia": "ya"}
    response = await post(world.client, form, fields)
    assert response.status_code == 422
    assert response.text.count("Isi laporan wajib diisi") == 2  # summary and field
    assert response.text.startswith("<!doctype html>")
    page = Elements(response.text)
    assert page.by_id("nama")["value"] == 'Siti "Ami" <b>&</b>'
    assert "&lt;b&gt;" in response.text and "<b>&</b>" not in response.text
    assert page.by_id("email")["value"] == GOOD["email"]
    assert "checked" in page.by_id("rahasia") and "checked" not in page.by_id("anonim")
    assert page.by_id("isi")["aria-invalid"] == "true"
    assert "isi-galat" in page.by_id("isi")["aria-describedby"]
    assert page.by_id("ringkasan-galat")["role"] == "alert"
    summary_links = [a["href"] for a in page.all("a") if a["href"].startswith("#isi")]
    assert summary_links == ["#isi-utama", "#isi"]  # the skip link, then the error summary
    assert _hidden(response.text, "nonce") == form.nonce
    assert "Kesalahan:" in response.text.split("</title>")[0]
    selected = [a for a in page.all("option") if "selected" in a]
    assert [a["value"] for a in selected] == ["Singkep Selatan", "Resang"]
    assert world.complaints.docs == {}


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"email": "siti-at-lapor"}, "email", "Alamat email tidak valid"),
        ({"email": "siti,budi@lapor.test"}, "email", "Alamat email tidak valid"),
        ({"hp": "12345"}, "hp", "Nomor HP tidak valid"),
        ({"hp": "+12"}, "hp", "Nomor HP tidak valid"),
        ({"isi": "Rusak"}, "isi", "Isi laporan terlalu pendek"),
        ({"isi": "Jalan rusak " * 500}, "isi", "Isi laporan terlalu panjang"),
        ({"kecamatan": "Lingga", "desa": "Resang"}, "desa", "tidak berada di Kecamatan Lingga"),
        ({"kecamatan": "Jakarta"}, "kecamatan", "Pilih kecamatan dari daftar"),
        ({"judul": "J" * 201}, "judul", "Judul laporan terlalu panjang"),
    ],
)
async def test_each_bad_field_gets_its_own_indonesian_message(
    world: World, fields: dict[str, str], field_id: str, message: str
) -> None:
    response = await post(world.client, await open_form(world.client), {**GOOD, **fields})
    assert response.status_code == 422
    assert message in response.text
    assert Elements(response.text).by_id(field_id)["aria-invalid"] == "true"
    assert world.complaints.docs == {}


# --- CSRF ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "tamper",
    ["no token", "wrong token", "no cookie", "other browser's cookie", "other nonce"],
)
async def test_a_post_without_a_valid_csrf_token_is_forbidden(world: World, tamper: str) -> None:
    form = await open_form(world.client)
    data = {"csrf_token": form.csrf_token, "nonce": form.nonce, **GOOD}
    if tamper == "no token":
        del data["csrf_token"]
    elif tamper == "wrong token":
        data["csrf_token"] = "0" * 64
    elif tamper == "other nonce":
        data["nonce"] = "A" * 24
    async with _client(world.app) as stranger:
        if tamper == "other browser's cookie":
            await stranger.get("/")
        client = world.client if tamper in ("no token", "wrong token", "other nonce") else stranger
        response = await client.post("/lapor", data=data, files={"foto": ("", b"", "")})
    assert response.status_code == 403
    assert "Formulir tidak dapat diproses" in response.text
    assert "belum</strong> terkirim" in response.text
    assert world.complaints.docs == {} and world.inbound.items == {}


# --- photos ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("upload", "content_type"),
    [
        (("kerusakan.jpg", png(text=b"Author\x00Siti Aminah"), "image/jpeg"), "image/png"),
        (("foto", png(trailer=b"<html><script>alert(1)</script>"), "text/html"), "image/png"),
        (("IMG_0001.png", jpeg_with_metadata(), "application/octet-stream"), "image/jpeg"),
    ],
)
async def test_real_photos_are_accepted_by_content_and_stored_without_metadata(
    world: World, upload: tuple[str, bytes, str], content_type: str
) -> None:
    tracking_id = await submit(world, GOOD, photo=upload)
    [(data, saved_type, filename)] = world.attachments.saved
    assert saved_type == content_type
    assert filename in ("foto.png", "foto.jpg")
    assert b"Siti" not in data and b"GPS" not in data and b"<html>" not in data
    stored = world.complaints.docs[tracking_id]
    assert [a.attachment_id for a in stored.attachments] == ["att-1"]
    assert stored.attachments[0].content_type == content_type
    payload = world.inbound.items[stored.source_key or ""]["payload"]
    assert payload["photo"]["content_type"] == content_type
    assert isinstance(payload["photo"]["sha256"], str) and "data" not in payload["photo"]


def test_the_jpeg_orientation_survives_the_metadata_removal() -> None:
    cleaned = inspect_photo(jpeg_with_metadata(), max_bytes=MAX_PHOTO_BYTES)
    assert (cleaned.width, cleaned.height) == (16, 12)
    assert b"Exif\x00\x00MM" in cleaned.data and b"Siti" not in cleaned.data
    assert inspect_photo(cleaned.data, max_bytes=MAX_PHOTO_BYTES).data == cleaned.data


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (("foto.jpg", b"Ini bukan foto, hanya teks.\n", "image/jpeg"), "bukan foto JPEG atau PNG"),
        (("foto.png", b"<!doctype html><script>x()</script>", "image/png"), "bukan foto JPEG"),
        (("foto.png", png()[:-20], "image/png"), "Foto tidak dapat dibaca"),
        (("foto.jpg", JPEG[:300], "image/jpeg"), "Foto tidak dapat dibaca"),
        (("foto.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"), "bukan foto JPEG"),
    ],
)
async def test_fake_or_broken_images_are_refused_with_a_clear_message(
    world: World, upload: tuple[str, bytes, str], message: str
) -> None:
    response = await post(world.client, await open_form(world.client), GOOD, photo=upload)
    assert response.status_code == 422
    assert message in response.text
    page = Elements(response.text)
    assert page.by_id("foto")["aria-invalid"] == "true"
    assert page.by_id("isi-petunjuk") and GOOD["isi"] in response.text
    assert world.attachments.saved == [] and world.complaints.docs == {}


async def test_an_oversize_photo_is_refused(world: World) -> None:
    big = png(width=400, height=200, text=b"Comment\x00" + bytes(range(256)) * 900)
    assert MAX_PHOTO_BYTES < len(big) < MAX_PHOTO_BYTES + 512 * 1024
    response = await post(
        world.client, await open_form(world.client), GOOD, photo=("foto.png", big, "image/png")
    )
    assert response.status_code == 422
    assert "Ukuran foto terlalu besar" in response.text and "paling besar 0,2 MB" in response.text
    assert world.attachments.saved == [] and world.complaints.docs == {}


async def test_a_body_over_the_form_limit_is_cut_off_with_413(world: World) -> None:
    huge = b"\xff\xd8\xff" + bytes(MAX_PHOTO_BYTES + 600 * 1024)
    response = await post(
        world.client, await open_form(world.client), GOOD, photo=("f.jpg", huge, "image/jpeg")
    )
    assert response.status_code == 413
    assert world.complaints.docs == {}


@pytest.mark.parametrize(("width", "height"), [(30_000, 10), (10_000, 10_000)])
def test_pixel_bombs_are_refused_without_inflating_them(width: int, height: int) -> None:
    header = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    ihdr = struct.pack(">I", 13) + header + struct.pack(">I", zlib.crc32(header))
    small = png()
    with pytest.raises(PhotoRejected) as refused:
        inspect_photo(small[:8] + ihdr + small[33:], max_bytes=10**6)
    assert refused.value.code == "too_big"


# --- idempotency -----------------------------------------------------------------------
async def test_sending_the_same_form_twice_gives_the_same_tracking_id(world: World) -> None:
    form = await open_form(world.client)
    photo = ("foto.png", png(), "image/png")
    first = await post(world.client, form, GOOD, photo=photo)
    again = await post(world.client, form, GOOD, photo=photo)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert len(world.complaints.docs) == 1
    assert len(world.attachments.saved) == 1, "a resubmitted form stores no second photo"
    other = await post(world.client, await open_form(world.client), GOOD)
    assert other.headers["location"] != first.headers["location"]


async def test_when_the_broker_is_down_the_form_comes_back_with_the_input(world: World) -> None:
    world.relay.broker_up = False
    response = await post(world.client, await open_form(world.client), GOOD)
    assert response.status_code == 503
    assert "Laporan Anda belum terkirim" in response.text
    assert Elements(response.text).by_id("nama")["value"] == GOOD["nama"]
    assert world.complaints.docs == {}


# --- confirmation and status -----------------------------------------------------------
async def test_the_confirmation_page_shows_nothing_but_the_tracking_id(world: World) -> None:
    tracking_id = await submit(world, GOOD)
    async with _client(world.app) as stranger:
        page = await stranger.get(f"/lapor/diterima/{tracking_id}")
        unknown = await stranger.get("/lapor/diterima/LPR-261128-ZZZZZ")
    assert page.status_code == 200 and tracking_id in page.text
    for private in ("Siti", "lapor.test", "6281", "berlubang besar", "Resang"):
        assert private not in page.text
    assert unknown.status_code == 404


async def test_the_status_page_shows_status_agency_deadlines_and_history_in_indonesian(
    world: World,
) -> None:
    tracking_id = await submit(world, GOOD)
    received = world.complaints.docs[tracking_id].received_at
    world.complaints.cases[tracking_id] = CaseDocument(
        tracking_id=tracking_id,
        channel=Channel.WEB,
        status=Status.DIDISPOSISIKAN,
        opd="DPUPR",
        history=[
            HistoryEntry(
                at=datetime(2026, 3, 23, 2, 30, tzinfo=UTC),
                status=Status.DIDISPOSISIKAN,
                actor="operator",
                note="Diteruskan ke DPUPR",
            ),
            HistoryEntry(
                at=datetime(2026, 3, 23, 2, 31, tzinfo=UTC),
                status=Status.DIDISPOSISIKAN,
                actor="operator",
                note="catatan internal",
                public=False,
            ),
        ],
        received_at=received,
        updated_at=received,
    )
    world.complaints.deadlines[tracking_id] = {
        Stage.FOLLOW_UP: datetime(2026, 3, 25, 9, 0, tzinfo=UTC)
    }
    page = await world.client.get(f"/cek/{tracking_id}")
    assert page.status_code == 200
    assert "Terverifikasi dan didisposisikan" in page.text
    assert "Dinas Pekerjaan Umum dan Penataan Ruang" in page.text
    assert "Rabu, 25 Maret 2026 pukul 16.00 WIB" in page.text
    assert "Senin, 23 Maret 2026 pukul 09.30 WIB" in page.text
    assert "Diteruskan ke DPUPR" in page.text and "catatan internal" not in page.text
    assert GOOD["isi"] in page.text
    for private in ("Siti", "lapor.test", "6281"):
        assert private not in page.text


async def test_a_confidential_complaint_shows_only_its_status(world: World) -> None:
    tracking_id = await submit(world, {**GOOD, "rahasia": "ya"})
    page = await world.client.get(f"/cek/{tracking_id}")
    assert page.status_code == 200
    assert "Belum terverifikasi" in page.text and "rahasia" in page.text
    for hidden in ("berlubang", "Jalan berlubang di Resang", "Depan SD", "Siti", "Diterima"):
        assert hidden not in page.text


async def test_html_in_a_complaint_is_escaped_on_the_status_page(world: World) -> None:
    text = "<script>alert('x')</script> Lampu jalan <img src=x onerror=alert(1)> mati"
    tracking_id = await submit(world, {"isi": text, "judul": "<b>Judul</b>"})
    page = await world.client.get(f"/cek/{tracking_id}")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;b&gt;Judul&lt;/b&gt;" in page.text


async def test_cek_finds_a_complaint_by_its_tracking_id_or_says_it_is_unknown(
    world: World,
) -> None:
    tracking_id = await submit(world, GOOD)
    form = await world.client.get("/cek")
    assert form.status_code == 200 and 'name="id"' in form.text
    found = await world.client.get("/cek", params={"id": f"  {tracking_id.lower()} "})
    assert found.status_code == 303 and found.headers["location"] == f"/cek/{tracking_id}"
    malformed = await world.client.get("/cek", params={"id": "<b>nomor</b>"})
    assert malformed.status_code == 422 and "Nomor pelacakan tidak valid" in malformed.text
    assert "&lt;b&gt;nomor" in malformed.text
    for unknown in ("/cek/LPR-261128-ZZZZZ", "/cek/bukan-nomor"):
        response = await world.client.get(unknown)
        assert response.status_code == 404
        assert "Nomor pelacakan tidak ditemukan" in response.text


def test_times_read_in_indonesian_in_the_deployment_time_zone() -> None:
    at = datetime(2026, 3, 25, 9, 0, tzinfo=UTC)
    assert format_datetime(at, ZoneInfo("Asia/Jakarta")) == "Rabu, 25 Maret 2026 pukul 16.00 WIB"
    assert format_datetime(at, ZoneInfo("Asia/Makassar")).endswith("pukul 17.00 WITA")
    assert format_datetime(at, ZoneInfo("Etc/GMT-5")).endswith("pukul 14.00 UTC+05.00")


async def test_nothing_personal_is_logged(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    form = await open_form(world.client)
    await post(world.client, form, {**GOOD, "hp": "12"})
    await post(world.client, form, GOOD, photo=("siti.jpg", b"Siti Aminah", "image/jpeg"))
    await post(world.client, form, GOOD)
    await post(world.client, OpenForm(csrf_token="x", nonce=form.nonce), GOOD)
    logged = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert "web form submission" in logged and "photo refused" in logged
    for private in ("Siti", "siti", "lapor.test", "0812-", "+6281", "Resang", "berlubang"):
        assert private not in logged


@pytest.mark.parametrize(
    ("reason", "says"),
    [("too_large", "paling besar 5 MB"), ("too_many", "Terlalu banyak kiriman")],
)
def test_limit_pages_for_middleware_answers_are_whole_indonesian_pages(
    reason: str, says: str
) -> None:
    html = problem_page_html(reason, max_photo_bytes=5 * 1024 * 1024)
    assert html.startswith("<!doctype html>") and '<html lang="id">' in html
    assert says in html and "belum</strong> terkirim" in html
