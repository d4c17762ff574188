"""clean_text, normalise_phone and normalise_email over hostile input."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from services.intake.model import clean_text, normalise_email, normalise_phone
from services.routing.textnorm import normalise
from tests.property.strategies import (
    EMOJI,
    ZWJ_EMOJI,
    any_text,
    indonesian_mobiles,
    is_removed_by_clean_text,
    json_text,
)

E164 = re.compile(r"\+[1-9][0-9]{6,14}")
REGIONS = st.sampled_from(["ID", "MY", "SG", "US", "GB", "ZZ"])


def _only_allowed_controls(text: str) -> bool:
    return all(ch in "\n\t" or unicodedata.category(ch) != "Cc" for ch in text)


# --- clean_text ----------------------------------------------------------------------------


@given(json_text(max_size=300) | any_text(max_size=300))
def test_clean_text_never_raises_and_leaves_no_control_characters_but_newline_and_tab(
    value: str,
) -> None:
    cleaned = clean_text(value)
    assert _only_allowed_controls(cleaned)
    assert "\r" not in cleaned and "\x00" not in cleaned
    assert cleaned == cleaned.strip()


@given(
    any_text(max_size=300).map(
        lambda s: "".join(ch for ch in s if not is_removed_by_clean_text(ch))
    )
)
def test_clean_text_is_nfc_and_idempotent_when_nothing_is_removed(value: str) -> None:
    cleaned = clean_text(value)
    assert unicodedata.is_normalized("NFC", cleaned)
    assert clean_text(cleaned) == cleaned


@given(any_text(max_size=100))
@example("e\u200b\u0301")
def test_clean_text_is_nfc_and_idempotent(value: str) -> None:
    cleaned = clean_text(value)
    assert unicodedata.is_normalized("NFC", cleaned), ascii(cleaned)
    assert clean_text(cleaned) == cleaned


@given(st.lists(st.sampled_from(EMOJI) | st.text(max_size=5), max_size=20).map(" ".join))
def test_clean_text_keeps_emoji_sequences(value: str) -> None:
    cleaned = clean_text(value)
    for emoji in EMOJI:
        assert cleaned.count(emoji) == value.count(emoji)


@pytest.mark.parametrize("sequence", ZWJ_EMOJI, ids=ascii)
def test_clean_text_keeps_zero_width_joiner_sequences(sequence: str) -> None:
    assert (
        clean_text(f"Keluarga kami {sequence} kebanjiran") == f"Keluarga kami {sequence} kebanjiran"
    )


@pytest.mark.parametrize("control", "\u2066\u2067\u2068\u2069", ids=ascii)
def test_clean_text_drops_every_bidi_control(control: str) -> None:
    assert control not in clean_text(f"Jalan {control}rusak\u2069 di Daik")


# --- normalise_phone -----------------------------------------------------------------------


@given(json_text(max_size=80) | any_text(max_size=80), REGIONS)
def test_normalise_phone_never_raises_and_never_drops_a_non_blank_input(
    value: str, region: str
) -> None:
    result = normalise_phone(value, region=region)
    if value.strip():
        assert result
    assert result == result.strip()


@given(
    st.text(st.sampled_from("0123456789+-() ./#*x\u0660\u0663\uff10\uff18\u00b2"), max_size=25)
    | any_text(max_size=30),
    REGIONS,
)
def test_an_e164_result_is_valid_and_stable_when_normalised_again(value: str, region: str) -> None:
    result = normalise_phone(value, region=region)
    if result == value.strip():
        return  # kept raw: it could not be read as a valid number
    assert E164.fullmatch(result), result
    assert phonenumbers.is_valid_number(phonenumbers.parse(result))
    for again_region in ("ID", "US", "ZZ"):
        assert normalise_phone(result, region=again_region) == result


@given(indonesian_mobiles())
def test_an_indonesian_mobile_however_written_becomes_the_same_e164(
    number: tuple[str, str],
) -> None:
    e164, written = number
    assert normalise_phone(written, region="ID") == e164
    for region in ("ID", "MY", "US", "ZZ"):
        assert normalise_phone(e164, region=region) == e164


# --- normalise_email -----------------------------------------------------------------------

_LOCAL = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789._%+-'"), min_size=1)
_DOMAIN = st.lists(
    st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-"), min_size=1, max_size=20),
    min_size=2,
    max_size=4,
).map(".".join)


@given(json_text(max_size=300) | any_text(max_size=300))
def test_normalise_email_never_raises_and_returns_one_address_or_none(value: str) -> None:
    result = normalise_email(value)
    if result is not None:
        assert result.count("@") == 1
        assert not any(ch.isspace() for ch in result)
        assert not set("<>") & set(result)
        local, domain = result.split("@")
        assert local and "." in domain


@given(_LOCAL, _DOMAIN, st.sampled_from(["", " ", "\t", "\n"]))
def test_a_plain_ascii_address_is_accepted_in_lower_case_and_is_stable(
    local: str, domain: str, padding: str
) -> None:
    address = f"{local}@{domain}"
    result = normalise_email(f"{padding}{address}{padding}")
    if len(address) <= 254:
        assert result == address.lower()
        assert normalise_email(result) == result


@given(json_text(max_size=300) | any_text(max_size=300))
@example("\u0130" * 125 + "@contoh.id")
def test_normalise_email_is_idempotent(value: str) -> None:
    result = normalise_email(value)
    assert result is None or normalise_email(result) == result


@pytest.mark.parametrize("control", ["\x00", "\x1b", "\x7f", "\x9b", "\u202e"], ids=ascii)
def test_normalise_email_refuses_control_and_bidi_characters(control: str) -> None:
    assert normalise_email(f"warga{control}@contoh.id") is None


# --- routing's classifier text -------------------------------------------------------------


@given(json_text(max_size=300) | any_text(max_size=300))
def test_the_classifier_text_is_lower_case_ascii_words(value: str) -> None:
    assert re.fullmatch(r"([a-z0-9]+( [a-z0-9]+)*)?", normalise(value))
