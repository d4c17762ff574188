"""EmailChannel.handle over fakes: whatever arrives in the mailbox is handled once, never
raises, and only a real citizen's mail becomes a complaint."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.intake.mail.parse import parse_mail
from services.intake.model import normalise_email
from services.intake.service import Outcome
from tests.property.known_bugs import MAIL_PARSING_BUGS, rejecting_known_bugs
from tests.property.mime import LPR_REFERENCE, mails
from tests.property.profiles import examples
from tests.property.strategies import any_text, emoji
from tests.property.worlds import INTAKE_ADDRESS, MAX_IMAGE_BYTES, IntakeWorld

SEEDED_ID = "LPR-261128-7QK2M"
REPORTER = "rahmat@contoh.id"  # the seeded complaint's reporter
KINDS = {"complaint", "follow_up", "rating", "ignored", "invalid"}


def _state(world: IntakeWorld) -> tuple[object, ...]:
    return (
        dict(world.complaints.docs),
        dict(world.complaints.followups),
        dict(world.complaints.ratings),
        list(world.relay.published),
        list(world.attachments.saved),
    )


async def handle_unless_known_bug(world: IntakeWorld, raw: bytes) -> Outcome:
    """Handle; an example that hits a known, xfail-documented bug is rejected."""
    with rejecting_known_bugs(*MAIL_PARSING_BUGS):
        return await world.email.handle(raw)


@settings(max_examples=examples(150))
@given(mails(max_bytes=MAX_IMAGE_BYTES))
async def test_any_mail_is_handled_once_and_only_a_citizens_mail_is_a_complaint(
    raw: bytes,
) -> None:
    world = IntakeWorld()
    world.seed_complaint(SEEDED_ID)
    before = set(world.complaints.docs)

    outcome = await handle_unless_known_bug(world, raw)
    assert outcome.kind in KINDS
    after = _state(world)
    assert (await world.email.handle(raw)).kind == "duplicate"
    assert _state(world) == after

    mail = parse_mail(raw, own_addresses={INTAKE_ADDRESS}, max_image_bytes=MAX_IMAGE_BYTES)
    new = [world.complaints.docs[t] for t in set(world.complaints.docs) - before]
    if mail.automatic or normalise_email(mail.sender or "") is None:
        assert outcome.kind == "ignored" and not new and not world.attachments.saved
    assert len(new) == (outcome.kind == "complaint")
    for complaint in new:
        assert complaint.text and len(complaint.text) <= 20_000
        assert complaint.reporter.email == normalise_email(mail.sender or "")
        assert len(complaint.attachments) == len(mail.attachments) == len(world.attachments.saved)
        assert all(0 < a.size <= MAX_IMAGE_BYTES for a in complaint.attachments)


@given(any_text(max_size=200), st.lists(emoji(with_zwj=False), max_size=5))
async def test_a_plain_citizens_mail_becomes_one_complaint_with_its_text(
    text: str, pictures: list[str]
) -> None:
    msg = EmailMessage()
    msg["From"] = "Warga <Warga@Contoh.ID>"
    msg["To"] = INTAKE_ADDRESS
    msg["Subject"] = "Jalan rusak"
    msg["Message-ID"] = "<w1@contoh.id>"
    body = f"Jalan di Resang rusak {' '.join(pictures)} {text}"
    msg.set_content(body)
    world = IntakeWorld()
    with rejecting_known_bugs(*MAIL_PARSING_BUGS):
        outcome = await world.email.handle(msg.as_bytes())
    assert outcome.kind == "complaint"
    [complaint] = world.complaints.docs.values()
    assert complaint.reporter.email == "warga@contoh.id"
    for picture in pictures:
        assert picture in complaint.text


@given(st.sampled_from(["Re: ", "RE: Fwd: ", "Balas: ", ""]), any_text(max_size=100))
async def test_the_reporter_replying_about_their_complaint_is_a_follow_up(
    prefix: str, text: str
) -> None:
    msg = EmailMessage()
    msg["From"] = f"Rahmat <{REPORTER.upper()}>"
    msg["Subject"] = f"{prefix}[{SEEDED_ID}] Laporan Anda diterima"
    msg["In-Reply-To"] = LPR_REFERENCE
    msg["Message-ID"] = "<reply@contoh.id>"
    msg.set_content(f"Sampai sekarang belum diperbaiki. {text}")
    world = IntakeWorld()
    world.seed_complaint(SEEDED_ID)
    outcome = await world.email.handle(msg.as_bytes())
    if outcome.kind != "rating":  # the text may start with "NILAI n"
        assert outcome.kind == "follow_up" and outcome.tracking_id == SEEDED_ID
        assert list(world.complaints.docs) == [SEEDED_ID]


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Auto-Submitted", "auto-replied"),
        ("Precedence", "bulk"),
        ("X-Loop", INTAKE_ADDRESS),
        ("List-Id", "<warga.lists.example>"),
        ("X-Autoreply", "yes"),
    ],
)
async def test_automatic_mail_is_never_a_complaint(header: str, value: str) -> None:
    msg = EmailMessage()
    msg["From"] = "warga@contoh.id"
    msg[header] = value
    msg.set_content("Saya sedang cuti sampai tanggal 5. Jalan rusak di Resang.")
    world = IntakeWorld()
    assert (await world.email.handle(msg.as_bytes())).kind == "ignored"
    assert world.complaints.docs == {} and world.relay.published == []


@pytest.mark.parametrize(
    "raw",
    [
        b"From: . <warga@contoh.id>\r\nSubject: Jalan rusak\r\n\r\nJalan rusak di Daik",
        b"From: warga@contoh.id\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n"
        b"Content-Type: multipart/related; boundary=b\r\n\r\nJalan rusak\r\n",
    ],
    ids=["malformed-from", "related-without-parts"],
)
async def test_a_malformed_mail_is_settled_not_raised(raw: bytes) -> None:
    world = IntakeWorld()
    outcome = await world.email.handle(raw)
    assert outcome.kind in KINDS


async def test_a_deeply_nested_mail_is_settled_not_raised() -> None:
    raw = b"From: warga@contoh.id\r\n" + b"Content-Type: message/rfc822\r\n\r\n" * 1000
    world = IntakeWorld()
    assert (await world.email.handle(raw + b"\r\nJalan rusak")).kind in KINDS
