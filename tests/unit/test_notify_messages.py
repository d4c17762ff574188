"""The mails notify writes: read back by Python's own parser, they say what was meant."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import EmailMessage

import pytest

from services.notify.messages import MailIdentity, compose_email
from services.notify.render import RenderedEmail

IDENTITY = MailIdentity(
    sender="lapor@linggakab.go.id",
    sender_name="LAPOR! Kabupaten Lingga",
    reply_to="lapor@linggakab.go.id",
)
NOW = datetime(2026, 3, 20, 9, 30, tzinfo=UTC)


def _compose(
    rendered: RenderedEmail,
    *,
    to_name: str | None = "Budi",
    thread: bool = True,
    identity: MailIdentity = IDENTITY,
) -> EmailMessage:
    mail = compose_email(
        rendered=rendered,
        kind="ditindaklanjuti",
        tracking_id="LPR-2026-ABC123",
        key="k1",
        to="warga@example.org",
        to_name=to_name,
        identity=identity,
        now=NOW,
        thread=thread,
    )
    assert mail.sender == "lapor@linggakab.go.id" and mail.recipients == ("warga@example.org",)
    assert all(len(line) <= 998 for line in mail.data.split(b"\r\n"))
    head = mail.data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert all(len(word) <= 75 for word in re.findall(r"=\?[^?]+\?[bqBQ]\?[^?]*\?=", head))
    assert b"\n" not in mail.data.replace(b"\r\n", b"")  # CRLF only
    parsed = email.message_from_bytes(mail.data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert not parsed.defects
    assert parsed["Message-ID"] == mail.message_id
    return parsed


@pytest.mark.parametrize(
    ("subject", "text", "name"),
    [
        ("Pengaduan LPR-2026-ABC123 ditindaklanjuti", "Yth. Bapak/Ibu,\nTerima kasih.", "Budi"),
        (
            "Tindak lanjut: jalan rusak di Daik – Lingga “segera”",
            "Nama: Śiti Ñur\n\nSalam.",
            "Śiti Ñur",
        ),
        ("S" * 40 + " " + "panjang " * 30, "baris " * 400, 'Nama, dengan koma; "kutip"'),
        ("", "", None),
    ],
)
def test_headers_and_bodies_round_trip(subject: str, text: str, name: str | None) -> None:
    html = f"<p>{text}</p>"
    parsed = _compose(RenderedEmail(subject=subject, text=text, html=html), to_name=name)
    assert parsed["Subject"] == " ".join(subject.split())
    assert parsed["To"].addresses[0].addr_spec == "warga@example.org"
    assert parsed["To"].addresses[0].display_name == (name or "")
    assert parsed["From"].addresses[0].display_name == "LAPOR! Kabupaten Lingga"
    assert parsed["Date"].datetime == NOW
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed.get_content_type() == "multipart/alternative"
    plain, rich = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain is not None and rich is not None
    assert _lines(plain.get_content()) == _lines(text)
    assert _lines(rich.get_content()) == _lines(html)


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").rstrip("\n").split("\n")


def test_threaded_on_the_acknowledgement() -> None:
    parsed = _compose(RenderedEmail(subject="s", text="t", html="h"))
    assert parsed["In-Reply-To"] == "<lpr-2026-abc123.diterima@linggakab.go.id>"
    assert parsed["References"] == parsed["In-Reply-To"]
    assert "In-Reply-To" not in _compose(
        RenderedEmail(subject="s", text="t", html="h"), thread=False
    )


def test_no_header_injection_through_the_subject() -> None:
    parsed = _compose(RenderedEmail(subject="Halo\r\nBcc: korban@example.org", text="t", html="h"))
    assert "Bcc" not in parsed and parsed["Subject"] == "Halo Bcc: korban@example.org"


def test_the_same_notification_keeps_its_message_id() -> None:
    first = _compose(RenderedEmail(subject="s", text="t", html="h"))
    again = _compose(RenderedEmail(subject="s", text="t", html="h"))
    assert first["Message-ID"] == again["Message-ID"]


def test_a_reply_to_with_a_non_ascii_name_keeps_its_address() -> None:
    identity = MailIdentity(
        sender="lapor@linggakab.go.id",
        sender_name="Layanan Pengaduan Pemerintah Kabupaten Lingga – Kepulauan Riau",
        reply_to="Layanan Pengaduan Lingga – Kepri <balas@linggakab.go.id>",
    )
    parsed = _compose(RenderedEmail(subject="s", text="t", html="h"), identity=identity)
    [reply] = parsed["Reply-To"].addresses
    assert reply.addr_spec == "balas@linggakab.go.id"
    assert reply.display_name == "Layanan Pengaduan Lingga – Kepri"
    [sender] = parsed["From"].addresses
    assert sender.display_name == identity.sender_name


def test_long_names_and_words_are_split_into_short_encoded_words() -> None:
    name = "Ñ" * 120  # the longest name intake takes: several encoded words
    subject = "A" * 1200
    parsed = _compose(RenderedEmail(subject=subject, text="t", html="h"), to_name=name)
    assert parsed["Subject"] == subject
    # RFC 2047 6.2: the white space between adjacent encoded words is not part of the text
    # (mail clients and `decode_header` drop it; Python's address parser keeps it).
    wire = email.message_from_bytes(parsed.as_bytes())  # compat32: the header as sent
    raw = str(wire["To"])
    assert str(make_header(decode_header(raw.split(" <")[0]))) == name
    assert parsed["To"].addresses[0].addr_spec == "warga@example.org"
