"""parse_sms and find_tracking_ids over arbitrary Unicode: emoji, RTL, NULs, huge inputs."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.intake.model import clean_text
from services.intake.sms import find_tracking_ids, parse_sms
from services.intake.tracking import TRACKING_ID_PATTERN
from tests.property.strategies import (
    any_text,
    emoji,
    json_text,
    written_tracking_ids,
)

KEYWORDS = st.sampled_from(["LAPOR", "lapor", "Lapor", "LAPOR:", "lapor.", "LAPOR,"])
COMMANDS = ("CEK", "NILAI", "LAPOR")


def _starts_with_command(text: str) -> bool:
    first = clean_text(text).partition(" ")[0].upper().rstrip(":.,")
    return first in COMMANDS


@given(json_text(max_size=500) | any_text(max_size=500))
def test_parse_sms_never_raises_and_its_body_is_clean(text: str) -> None:
    sms = parse_sms(text)
    assert sms.command in (None, "CEK", "NILAI")
    assert sms.body == clean_text(sms.body)
    assert all(ch in "\n\t" or unicodedata.category(ch) != "Cc" for ch in sms.body)
    assert sms.score is None or sms.command == "NILAI"


@given(st.integers(min_value=1, max_value=40), any_text(max_size=40))
def test_huge_texts_are_parsed(repeat: int, chunk: str) -> None:
    text = (chunk or "x") * (10_000 // max(1, len(chunk)) // repeat + 1) * repeat
    sms = parse_sms(text[:10_000])
    assert len(sms.body) <= 10_000


def test_a_rating_with_thousands_of_digits_is_parsed() -> None:
    sms = parse_sms("NILAI " + "9" * 5000)
    assert sms.command == "NILAI" and (sms.score is None or sms.score > 5)


@given(KEYWORDS, any_text(max_size=200))
def test_the_keyword_is_stripped_and_the_rest_kept(keyword: str, body: str) -> None:
    cleaned = clean_text(body)
    if not cleaned or _starts_with_command(cleaned):
        return
    assert parse_sms(f"{keyword} {body}").body == cleaned
    assert parse_sms(f"{keyword} {body}").command is None


@given(
    KEYWORDS,
    st.lists(st.one_of(emoji(with_zwj=False), st.sampled_from(["jalan", "rusak", "di", "Daik"]))),
)
def test_every_emoji_the_sender_sent_is_kept(keyword: str, words: list[str]) -> None:
    body = " ".join(["banjir", *words])
    assert parse_sms(f"{keyword} {body}").body == body


@given(written_tracking_ids(), st.sampled_from(["CEK", "cek", "Cek:", "LAPOR CEK"]))
def test_cek_with_a_tracking_id_however_written_asks_for_that_status(
    tracking_id: tuple[str, str], command: str
) -> None:
    canonical, written = tracking_id
    sms = parse_sms(f"{command} {written}")
    assert sms.command == "CEK"
    assert sms.tracking_ids == [canonical]


@pytest.mark.parametrize("separator", ["\n", "\t", "\u00a0"], ids=ascii)
def test_the_command_may_be_followed_by_any_whitespace(separator: str) -> None:
    assert parse_sms(f"CEK{separator}LPR-261128-7QK2M").command == "CEK"
    assert parse_sms(f"LAPOR{separator}jalan rusak").body == "jalan rusak"


@given(st.integers(min_value=0, max_value=999), st.sampled_from(["NILAI", "nilai", "Nilai:"]))
def test_nilai_reads_the_score(score: int, command: str) -> None:
    sms = parse_sms(f"{command} {score} LPR-261128-7QK2M")
    assert sms.command == "NILAI" and sms.score == score
    assert sms.tracking_ids == ["LPR-261128-7QK2M"]


# --- find_tracking_ids ---------------------------------------------------------------------


@given(any_text(max_size=60), st.lists(written_tracking_ids(), max_size=3), any_text(max_size=60))
def test_tracking_ids_are_found_in_any_text_and_normalised(
    before: str, ids: list[tuple[str, str]], after: str
) -> None:
    text = " ".join([before, *(written for _, written in ids), after])
    found = find_tracking_ids(text)
    for canonical, _ in ids:
        assert canonical in found


@given(json_text(max_size=300) | any_text(max_size=300))
def test_find_tracking_ids_never_raises(text: str) -> None:
    assert isinstance(find_tracking_ids(text), list)


@pytest.mark.parametrize(
    "text",
    [
        "CEK LPR-\u0662\u0666\u0661\u0661\u0662\u0668-7QK2M",  # Arabic-Indic digits
        "CEK LPR-\uff12\uff16\uff11\uff11\uff12\uff18-7QK2M",  # full-width digits
        "CEK LPR-261128-7Q\u212a2M",  # Kelvin sign, case-folds to k
    ],
    ids=["arabic-indic-digits", "fullwidth-digits", "kelvin-sign"],
)
def test_every_found_tracking_id_is_a_valid_tracking_id(text: str) -> None:
    assert all(TRACKING_ID_PATTERN.fullmatch(t) for t in find_tracking_ids(text))
