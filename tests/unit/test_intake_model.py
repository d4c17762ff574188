from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from services.intake.model import (
    clean_text,
    normalise_email,
    normalise_phone,
    normalise_typed_email,
)
from services.intake.tracking import TRACKING_ID_PATTERN, new_tracking_id

WIB = ZoneInfo("Asia/Jakarta")


def test_tracking_id_matches_the_published_format_and_uses_the_local_date() -> None:
    # 2026-11-27 18:30 UTC is already 28 November in WIB.
    tid = new_tracking_id(datetime(2026, 11, 27, 18, 30, tzinfo=UTC), WIB)
    assert TRACKING_ID_PATTERN.fullmatch(tid)
    assert tid.startswith("LPR-261128-")


def test_tracking_ids_are_random() -> None:
    now = datetime(2026, 11, 28, tzinfo=UTC)
    assert len({new_tracking_id(now, WIB) for _ in range(200)}) == 200


def test_clean_text_keeps_unicode_and_newlines_but_drops_control_characters() -> None:
    raw = "Jalan\x00 rusak 🚧\r\ndi Daik\x07 cafe\u0301  "
    assert clean_text(raw) == "Jalan rusak 🚧\ndi Daik café"


def test_phone_numbers_become_e164_and_invalid_ones_stay_raw() -> None:
    assert normalise_phone("0812-3456-7890") == "+6281234567890"
    assert normalise_phone("+62 812 3456 7890") == "+6281234567890"
    assert normalise_phone("12345") == "12345"


def test_email_is_lowercased_or_rejected() -> None:
    assert normalise_email(" Warga@Example.ID ") == "warga@example.id"
    assert normalise_email("bukan email") is None


@pytest.mark.parametrize(
    "typed",
    [
        "budi,ani@contoh.id",  # two addresses run together
        "bü@contoh.id",  # no mail server without SMTPUTF8 takes it
        "budi..ani@contoh.id",
        ".budi@contoh.id",
        "budi@contoh.i",
        "budi@-contoh.id",
        '"budi"@contoh.id',
    ],
)
def test_a_typed_address_no_mail_can_reach_is_rejected(typed: str) -> None:
    assert normalise_typed_email(typed) is None
    assert normalise_email(typed) is not None  # as a mail's sender it is still taken


def test_a_typed_address_mail_can_reach_is_kept_as_typed() -> None:
    assert normalise_typed_email(" Budi.Ani+lapor@Gmail.co.id ") == "budi.ani+lapor@gmail.co.id"
    assert normalise_typed_email("warga@bücher.id") == "warga@bücher.id"  # sent as punycode


def test_a_reply_from_the_punycode_form_of_a_typed_domain_is_the_same_reporter() -> None:
    typed = normalise_typed_email("Warga@Bücher.id")
    assert typed == normalise_email("warga@XN--BCHER-KVA.ID") == "warga@bücher.id"
    assert normalise_email("warga@xn--zz.id") == "warga@xn--zz.id"  # not punycode: as it came
