"""parse_mail on arbitrary bytes and on generated, often broken, messages: it never raises,
and what it returns is bounded and clean."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.intake.mail.parse import InboundMail, html_to_text, parse_mail, trim_quoted
from services.intake.model import clean_text
from tests.property.known_bugs import MAIL_PARSING_BUGS, rejecting_known_bugs
from tests.property.mime import SANE_SENDERS, mails
from tests.property.profiles import examples
from tests.property.strategies import any_text

OWN = {"pengaduan@lapor.test"}
MAX_IMAGE = 4096
MAX_TEXT = 20_000


def parse(raw: bytes) -> InboundMail:
    return parse_mail(raw, own_addresses=OWN, max_image_bytes=MAX_IMAGE)


def parse_unless_known_bug(raw: bytes) -> InboundMail:
    """Parse; an example that hits a known, xfail-documented bug is rejected."""
    with rejecting_known_bugs(*MAIL_PARSING_BUGS):
        return parse(raw)


def assert_well_formed(mail: InboundMail) -> None:
    assert mail.message_id
    assert len(mail.text) <= MAX_TEXT and mail.text == clean_text(mail.text)
    assert len(mail.subject) <= 300 and "\n" not in mail.subject
    assert mail.subject == clean_text(mail.subject)
    assert mail.sender is None or mail.sender == mail.sender.lower()
    for image in mail.attachments:
        assert image.content_type in ("image/jpeg", "image/png")
        assert 0 < len(image.data) <= MAX_IMAGE


@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    assert_well_formed(parse_unless_known_bug(raw))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Subject", "Message-ID", "References", "Content-Type", "X-Y"]),
            any_text(max_size=60),
        ),
        max_size=6,
    ),
    st.binary(max_size=500),
)
def test_arbitrary_header_lines_never_raise(headers: list[tuple[str, str]], body: bytes) -> None:
    raw = b"".join(f"{k}: {v}\r\n".encode("utf-8", "replace") for k, v in headers)
    assert_well_formed(parse_unless_known_bug(raw + b"\r\n" + body))


@settings(max_examples=examples(300))
@given(mails(max_bytes=MAX_IMAGE))
def test_generated_mail_never_raises_and_gives_bounded_clean_fields(raw: bytes) -> None:
    assert_well_formed(parse_unless_known_bug(raw))


@pytest.mark.parametrize("sender", SANE_SENDERS)
def test_every_sane_sender_form_is_read(sender: str) -> None:
    assert_well_formed(parse(f"From: {sender}\r\nSubject: x\r\n\r\nisi".encode()))


def test_a_huge_text_part_is_cut_to_the_text_limit() -> None:
    msg = EmailMessage()
    msg["From"] = "budi@contoh.id"
    msg.set_content("jalan rusak 😡 " * 300_000)  # about 4.5 MB
    mail = parse(msg.as_bytes())
    assert len(mail.text) == MAX_TEXT and mail.text.startswith("jalan rusak 😡")


def test_many_attachments_keep_only_images_within_the_limit() -> None:
    msg = EmailMessage()
    msg["From"] = "budi@contoh.id"
    msg.set_content("Foto terlampir")
    for i in range(300):
        size = MAX_IMAGE if i % 3 else MAX_IMAGE + 1
        kind = ("image", "png") if i % 2 else ("application", "pdf")
        msg.add_attachment(b"\x89PNG" + bytes(size - 4), maintype=kind[0], subtype=kind[1])
    mail = parse(msg.as_bytes())
    expected = sum(1 for i in range(300) if i % 3 and i % 2)
    assert len(mail.attachments) == expected
    assert_well_formed(mail)


@given(any_text(max_size=500))
def test_html_to_text_and_trim_quoted_never_raise(text: str) -> None:
    assert isinstance(html_to_text(f"<p>{text}</p><script>{text}"), str)
    assert isinstance(trim_quoted(text), str)


@pytest.mark.parametrize(
    "sender", [". <warga@contoh.id>", "x.:y", "g: a@b.c, ;)", "..<a"], ids=ascii
)
def test_a_malformed_from_header_is_read_as_no_sender(sender: str) -> None:
    mail = parse(f"From: {sender}\r\nSubject: Jalan rusak\r\n\r\nisi".encode())
    assert_well_formed(mail)


@pytest.mark.parametrize("closed", [False, True])
def test_a_related_part_whose_boundary_never_comes_is_read(closed: bool) -> None:
    raw = (
        b"From: budi@contoh.id\r\nSubject: Jalan rusak\r\n"
        b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n"
        b"Content-Type: multipart/related; boundary=b\r\n\r\nisi\r\n"
    ) + (b"--a--\r\n" if closed else b"")
    assert_well_formed(parse(raw))


@pytest.mark.parametrize("nesting", ["message/rfc822", "multipart"])
def test_deeply_nested_parts_are_parsed(nesting: str) -> None:
    if nesting == "multipart":
        levels = b"".join(
            b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
            for i in range(1000)
        )
    else:
        levels = b"Content-Type: message/rfc822\r\n\r\n" * 1000
    raw = b"From: budi@contoh.id\r\n" + levels + b"Content-Type: text/plain\r\n\r\nhalo\r\n"
    assert_well_formed(parse(raw))


def test_a_long_header_is_read_and_cut() -> None:
    # Its speed is a benchmark matter (the email package parses long headers in quadratic
    # time; intake parses mail off the event loop); here only the result counts.
    raw = b"From: budi@contoh.id\r\nSubject: " + b"kata " * 52_000 + b"\r\n\r\nisi"
    assert len(parse(raw).subject) == 300
