"""Parsing inbound mail: charsets, HTML, quoted history, automatic mail, images."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from services.intake.mail.parse import html_to_text, parse_mail, trim_quoted

OWN = {"pengaduan@lapor.test"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def mail(**headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "Budi Santoso <budi@contoh.id>")
    msg["To"] = "pengaduan@lapor.test"
    msg["Subject"] = headers.pop("Subject", "Jalan rusak")
    msg["Message-ID"] = headers.pop("Message_ID", "<abc@contoh.id>")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    return msg


def test_a_plain_mail_gives_sender_subject_and_text() -> None:
    msg = mail()
    msg.set_content("Jalan di Resang berlubang, mohon diperbaiki.\n\nTerima kasih.")
    parsed = parse_mail(msg.as_bytes(), own_addresses=OWN, max_image_bytes=10)
    assert parsed.sender == "budi@contoh.id" and parsed.sender_name == "Budi Santoso"
    assert parsed.subject == "Jalan rusak" and parsed.message_id == "<abc@contoh.id>"
    assert parsed.text.startswith("Jalan di Resang") and parsed.automatic is None


def test_plain_text_is_preferred_and_html_only_mail_is_reduced_to_text() -> None:
    msg = mail()
    msg.set_content("versi teks")
    msg.add_alternative("<p>versi <b>html</b></p>", subtype="html")
    assert parse_mail(msg.as_bytes(), own_addresses=OWN, max_image_bytes=10).text == "versi teks"
    only_html = mail()
    only_html.set_content(
        "<html><head><style>p{}</style></head><body><p>Sampah "
        "&amp; limbah</p><script>x()</script><div>di Dabo</div></body></html>",
        subtype="html",
    )
    text = parse_mail(only_html.as_bytes(), own_addresses=OWN, max_image_bytes=10).text
    assert text == "Sampah & limbah\n\ndi Dabo"


def test_legacy_charsets_are_decoded() -> None:
    raw = (
        b"From: a@b.id\r\nSubject: =?iso-8859-1?q?Caf=E9?=\r\nMessage-ID: <c@b.id>\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\nKopi di caf=E9 mahal\r\n"
    )
    parsed = parse_mail(raw, own_addresses=OWN, max_image_bytes=10)
    assert parsed.subject == "Café" and parsed.text == "Kopi di café mahal"


def test_quoted_history_is_trimmed() -> None:
    body = (
        "Sampai sekarang belum diperbaiki.\n\nPada Sen, 30 Nov 2026 pukul 10.00, "
        "Layanan Pengaduan <pengaduan@lapor.test> menulis:\n> Laporan Anda diterima\n"
    )
    assert trim_quoted(body) == "Sampai sekarang belum diperbaiki."
    assert trim_quoted("Masih gelap.\nOn Mon, Nov 30, 2026 at 10:00 AM X wrote:\n> a") == (
        "Masih gelap."
    )


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto_Submitted": "auto-replied"}, "auto-submitted"),
        ({"Precedence": "bulk"}, "bulk"),
        ({"X_Loop": "pengaduan@lapor.test"}, "loop"),
        ({"List_Id": "<warga.lists.id>"}, "list"),
        ({"From": "MAILER-DAEMON@mail.contoh.id"}, "bounce"),
        ({"From": "Lapor <pengaduan@lapor.test>"}, "own"),
    ],
)
def test_automatic_mail_is_recognised(headers: dict[str, str], reason: str) -> None:
    msg = mail(**headers)
    msg.set_content("Saya sedang cuti sampai tanggal 5.")
    automatic = parse_mail(msg.as_bytes(), own_addresses=OWN, max_image_bytes=10).automatic
    assert automatic is not None and reason in automatic


def test_a_delivery_status_report_is_a_bounce() -> None:
    raw = (
        b"From: postmaster@contoh.id\r\nMessage-ID: <d@x>\r\nSubject: Undelivered\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--B--\r\n"
    )
    assert parse_mail(raw, own_addresses=OWN, max_image_bytes=10).automatic is not None


def test_images_are_kept_other_attachments_are_not() -> None:
    msg = mail()
    msg.set_content("Foto terlampir.")
    msg.add_attachment(PNG, maintype="image", subtype="png", filename="jalan.png")
    msg.add_attachment(
        b"MZ...", maintype="application", subtype="octet-stream", filename="virus.exe"
    )
    parsed = parse_mail(msg.as_bytes(), own_addresses=OWN, max_image_bytes=1000)
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("jalan.png", "image/png")
    ]
    assert parse_mail(msg.as_bytes(), own_addresses=OWN, max_image_bytes=10).attachments == []


def test_threading_headers_are_collected() -> None:
    msg = mail(
        In_Reply_To="<lpr-261130-abcde.diterima@lapor.test>",
        References="<x@y> <lpr-261130-abcde.diterima@lapor.test>",
    )
    msg.set_content("Balasan")
    assert (
        "lpr-261130-abcde.diterima@lapor.test"
        in parse_mail(msg.as_bytes(), own_addresses=OWN, max_image_bytes=10).references
    )


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"garbage without headers",
        b"Subject: =?utf-8?b?!!!?=\r\n\r\n\xff\xfe",
        b"Content-Type: multipart/mixed; boundary=Z\r\n\r\n--Z\r\nbroken",
    ],
)
def test_malformed_mail_never_raises(raw: bytes) -> None:
    parsed = parse_mail(raw, own_addresses=OWN, max_image_bytes=10)
    assert parsed.message_id.startswith("<")


def test_html_to_text_keeps_paragraphs() -> None:
    assert html_to_text("<p>satu</p><p>dua<br>tiga</p>") == "satu\n\ndua\ntiga"
