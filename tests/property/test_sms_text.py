"""Outgoing SMS: coding, parts, shortening (plan_sms, fit_sms) and the rendered templates."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from services.notify.render import Templates, default_templates_dir
from services.notify.smstext import fit_sms, plan_sms
from tests.property.strategies import any_text, canonical_tracking_ids

# GSM 03.38: the default alphabet and its extension table (escape + character: two septets).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[]~|€")
GSM_TEXT = st.text(st.sampled_from(sorted(GSM_BASIC | GSM_EXTENSION)), max_size=400)
MIXED_TEXT = st.one_of(GSM_TEXT, any_text(max_size=400))


def kannel_parts(text: str) -> int:
    """How many parts Kannel sends: it never splits an escape sequence across two parts
    (charset_gsm_truncate), and cuts UCS-2 at 67 code units per part."""
    if all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text):
        septets = [2 if ch in GSM_EXTENSION else 1 for ch in text]
        if sum(septets) <= 160:
            return 1
        parts, used = 1, 0
        for size in septets:
            if used + size > 153:
                parts, used = parts + 1, 0
            used += size
        return parts
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


@given(MIXED_TEXT)
def test_coding_is_gsm7_exactly_when_every_character_is_in_the_gsm_alphabet(text: str) -> None:
    sms = plan_sms(text)
    in_gsm = all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text)
    assert sms.coding == (0 if in_gsm else 2)
    if in_gsm:
        assert sms.units == len(text) + sum(ch in GSM_EXTENSION for ch in text)
    else:
        assert sms.units == len(text.encode("utf-16-le")) // 2


@given(MIXED_TEXT)
def test_the_planned_parts_are_what_the_gateway_sends(text: str) -> None:
    assert plan_sms(text).parts == kannel_parts(text)


# An escape pair (extension character) is never split: one that would straddle a part
# boundary moves to the next part, so 307 septets can need 3 parts, not 2.
@given(st.text(st.sampled_from(["a", "b", " ", "€", "[", "{", "~"]), min_size=150, max_size=320))
@example("a" * 152 + "€" + "b" * 152)
@example("a" * 152 + "€" + "b" * 151)
def test_extension_characters_at_a_part_boundary_are_counted(text: str) -> None:
    assert plan_sms(text).parts == kannel_parts(text)


@given(any_text(max_size=80), any_text(max_size=1200) | GSM_TEXT, any_text(max_size=80))
def test_fit_sms_never_exceeds_two_parts_and_keeps_head_and_tail(
    head: str, body: str, tail: str
) -> None:
    try:
        sms = fit_sms(head, body, tail)
    except ValueError:
        assert plan_sms(head + tail).parts > 2
        return
    assert sms.parts <= 2 and sms == plan_sms(sms.text)
    assert sms.text.startswith(head) and sms.text.endswith(tail)
    middle = sms.text[len(head) : len(sms.text) - len(tail)]
    if plan_sms(head + body + tail).parts <= 2:
        assert middle == body
    else:
        kept = middle.removesuffix("...")
        assert middle == "" or middle.endswith("...")
        assert " ".join(body.split()).startswith(kept)


def test_a_fitted_sms_goes_out_in_at_most_two_parts() -> None:
    # 306 septets, but the "[" straddles the first boundary: as is, it would go out in 3.
    assert kannel_parts("LPR-261128-7QK2M: " + "a" * 134 + "[" + "b" * 152) == 3
    sms = fit_sms("LPR-261128-7QK2M: ", "a" * 134 + "[" + "b" * 152, "")
    assert sms.parts == kannel_parts(sms.text) <= 2


SHRINKING = [("ditindaklanjuti", "response"), ("ditunda", "reason"), ("arsip", "reason")]


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates(default_templates_dir())


@pytest.mark.parametrize(("kind", "field"), SHRINKING)
@given(
    tracking_id=canonical_tracking_ids(),
    text=st.one_of(any_text(max_size=600), GSM_TEXT, st.text(min_size=300, max_size=2000)),
)
def test_a_staff_text_of_any_length_is_fitted_into_two_parts(
    templates: Templates, kind: str, field: str, tracking_id: str, text: str
) -> None:
    sms = templates.sms(kind, {"tracking_id": tracking_id, field: text}, shrink=field)
    assert sms.parts <= 2 and sms == plan_sms(sms.text)
    assert tracking_id in sms.text
    collapsed = " ".join(text.split())
    full = " ".join(
        templates.sms(kind, {"tracking_id": tracking_id, field: "\x01"}, shrink=None).text.split()
    )
    if plan_sms(full.replace("\x01", collapsed)).parts <= 2 and collapsed:
        assert collapsed in sms.text
