"""The SMS channel end to end over fakes, through Kannel's get-url webhook (`GET /sms/kannel`).

Whatever a phone or a gateway sends: never a 5xx, a redelivery (same gateway id) changes
nothing, and the stored complaint keeps the text as sent, emoji included, after the keyword
is stripped and control characters removed.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.intake.model import clean_text, normalise_phone
from services.intake.sms import parse_sms
from tests.property.known_bugs import SMS_STATUS_CORRELATION_ID, rejecting_known_bugs
from tests.property.strategies import (
    EMOJI,
    ZWJ_EMOJI,
    any_text,
    emoji,
    written_tracking_ids,
)
from tests.property.worlds import IntakeWorld

SEEDED_ID = "LPR-261128-7QK2M"
SEEDED_PHONE = "+6281234567890"
SENDERS = st.one_of(
    st.sampled_from([SEEDED_PHONE, "0812-3456-7890", "+6285298765432", "TELKOMSEL", " ", "1708"]),
    any_text(max_size=64).filter(lambda s: 1 <= len(s) <= 64),
)
TEXTS = st.one_of(
    any_text(max_size=300),
    st.sampled_from(["CEK", "NILAI", "NILAI 4", "NILAI 9", "LAPOR", f"CEK {SEEDED_ID}"]),
    st.tuples(st.sampled_from(["LAPOR ", "CEK ", "NILAI ", ""]), any_text(max_size=200)).map(
        "".join
    ),
)
MESSAGE_IDS = st.one_of(
    any_text(max_size=200).filter(lambda s: 1 <= len(s) <= 200),
    st.sampled_from(["m1", "x" * 200, "20261128093012.3f9c1a7e-5b2d-4e8f-9a6c-1d2e3f4a5b6c@smsc"]),
)


def _state(world: IntakeWorld) -> tuple[object, ...]:
    return (
        dict(world.complaints.docs),
        dict(world.complaints.followups),
        dict(world.complaints.ratings),
        list(world.relay.published),
        {k: dict(v) for k, v in world.inbound.items.items()},
    )


@given(SENDERS, TEXTS, MESSAGE_IDS, TEXTS)
async def test_any_sms_is_answered_200_and_a_redelivery_changes_nothing(
    sender: str, text: str, message_id: str, other_text: str
) -> None:
    world = IntakeWorld()
    world.seed_complaint(SEEDED_ID)
    before = set(world.complaints.docs)

    # A known bug (xfail test at the end) is rejected here, so this keeps guarding the rest.
    with rejecting_known_bugs(SMS_STATUS_CORRELATION_ID):
        first = await world.kannel(sender=sender, text=text, message_id=message_id)
    assert first.status_code == 200, first.text
    after_first = _state(world)
    again = await world.kannel(sender=sender, text=text, message_id=message_id)
    reused = await world.kannel(sender=sender, text=other_text, message_id=message_id)

    assert again.status_code == 200 and reused.status_code == 200
    assert _state(world) == after_first
    new = [world.complaints.docs[t] for t in set(world.complaints.docs) - before]
    assert len(new) <= 1
    for complaint in new:
        assert complaint.text == parse_sms(text).body
        assert complaint.text and complaint.text == clean_text(complaint.text)
        assert complaint.reporter.phone == normalise_phone(sender)


@given(
    st.sampled_from(["LAPOR ", "lapor: ", ""]),
    st.lists(st.one_of(emoji(with_zwj=False), any_text(max_size=12)), min_size=1, max_size=30),
)
async def test_the_stored_complaint_keeps_every_emoji_the_sender_sent(
    keyword: str, pieces: list[str]
) -> None:
    body = "Banjir di Daik " + " ".join(pieces)
    world = IntakeWorld()
    response = await world.kannel(sender=SEEDED_PHONE, text=keyword + body, message_id="m1")
    assert response.status_code == 200
    [complaint] = world.complaints.docs.values()
    assert complaint.text == clean_text(body)
    for sequence in EMOJI:
        assert complaint.text.count(sequence) == body.count(sequence)


@pytest.mark.parametrize("sequence", ZWJ_EMOJI, ids=ascii)
async def test_the_stored_complaint_keeps_emoji_zwj_sequences(sequence: str) -> None:
    world = IntakeWorld()
    await world.kannel(sender=SEEDED_PHONE, text=f"LAPOR banjir {sequence}", message_id="m1")
    [complaint] = world.complaints.docs.values()
    assert complaint.text == f"banjir {sequence}"


@given(written_tracking_ids(), any_text(max_size=100), st.sampled_from(["", "LAPOR "]))
async def test_a_reply_from_the_reporters_number_with_their_id_is_a_follow_up(
    tracking_id: tuple[str, str], extra: str, keyword: str
) -> None:
    canonical, written = tracking_id
    world = IntakeWorld()
    world.seed_complaint(canonical)
    text = f"{keyword}{written} {extra}"
    await world.kannel(sender="0812 3456 7890", text=text, message_id="reply")
    if parse_sms(text).command is None:
        assert list(world.complaints.docs) == [canonical]
        assert list(world.complaints.followups.values()) == [(canonical, parse_sms(text).body)]
    await world.kannel(sender="+6285298765432", text=f"{written} juga", message_id="other")
    assert not any(f == "sms:other" for f in world.complaints.followups)


@given(st.sampled_from((*EMOJI, "a", "\u00e9", "\u0645", "\x00b")), st.integers(0, 3))
async def test_a_long_text_is_accepted_whole(unit: str, slack: int) -> None:
    # As long as the webhook takes (10,000 characters) or as a URL can carry (64 KiB).
    length = min(10_000, 60_000 // len(quote(unit))) - slack
    text = ("LAPOR " + unit * length)[:length]
    world = IntakeWorld()
    response = await world.kannel(sender=SEEDED_PHONE, text=text, message_id="big")
    assert response.status_code == 200
    [complaint] = world.complaints.docs.values()
    assert complaint.text == clean_text(text[len("LAPOR ") :])


async def test_a_text_over_the_webhook_limit_is_refused_with_422() -> None:
    world = IntakeWorld()
    response = await world.kannel(sender=SEEDED_PHONE, text="a" * 10_001, message_id="big")
    assert response.status_code == 422 and world.complaints.docs == {}


@given(any_text(max_size=80), st.booleans())
async def test_a_wrong_webhook_token_is_401_never_a_server_error(
    presented: str, as_header: bool
) -> None:
    world = IntakeWorld(sms_token="s3cret-token")
    params = {"from": SEEDED_PHONE, "text": "LAPOR jalan rusak", "id": "t1"}
    if as_header:
        headers = {b"X-Lapor-Token": presented.encode("latin-1", "replace")}
        response = await world.client.get("/sms/kannel", params=params, headers=headers)
    else:
        response = await world.client.get("/sms/kannel", params={**params, "token": presented})
    assert response.status_code in (200, 401)
    assert (response.status_code == 200) == (presented == "s3cret-token")


@pytest.mark.parametrize("endpoint", ["kannel", "json"])
async def test_cek_without_an_id_from_a_gateway_with_long_message_ids(endpoint: str) -> None:
    world = IntakeWorld()
    message_id = "20261128093012.3f9c1a7e-5b2d-4e8f-9a6c-1d2e3f4a5b6c@smsc.example"
    assert len(f"sms:{message_id}") > 64
    if endpoint == "kannel":
        response = await world.kannel(sender=SEEDED_PHONE, text="CEK", message_id=message_id)
    else:
        body = {"from": SEEDED_PHONE, "text": "CEK", "message_id": message_id}
        response = await world.client.post("/sms/inbound", json=body)
    assert response.status_code == 200
