"""The web form's fields (services/intake/web/forms.py): whatever is posted, validation never
raises, answers with either a clean form or one message per field, and a clean form is
normalised the way the JSON API normalises."""

from __future__ import annotations

import io

import phonenumbers
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import FormData, UploadFile

from services.intake.model import clean_text, normalise_phone, normalise_typed_email
from services.intake.web.forms import (
    FIELD_ORDER,
    MAX_LOCATION_CHARS,
    MAX_NAME_CHARS,
    MAX_TITLE_CHARS,
    MIN_TEXT_CHARS,
    CleanForm,
    FormInput,
    validate_form,
)
from services.intake.web.wilayah import load_wilayah
from tests.property.strategies import (
    any_text,
    indonesian_mobiles,
    is_removed_by_clean_text,
    json_text,
)

WILAYAH = load_wilayah()
MAX_TEXT = 500
KECAMATAN = [k.name for k in WILAYAH.kecamatan]
VILLAGES = sorted({v.name for k in WILAYAH.kecamatan for v in k.villages})
FIELDS = ("isi", "judul", "kecamatan", "desa", "lokasi", "nama", "email", "hp")


def hostile(max_size: int) -> st.SearchStrategy[str]:
    return any_text(max_size=max_size) | json_text(max_size=max_size)


@st.composite
def forms(draw: st.DrawFn) -> FormInput:
    """A posted form: each field plausible or hostile (plausible more often)."""

    def field(plausible: st.SearchStrategy[str], max_size: int) -> str:
        return draw(plausible if draw(st.sampled_from([True, True, False])) else hostile(max_size))

    kecamatan = field(st.sampled_from(["", *KECAMATAN]), 20)
    chosen = WILAYAH.get(kecamatan)
    villages = [v.name for v in chosen.villages] if chosen else VILLAGES
    return FormInput(
        isi=field(st.just("Jalan kabupaten di Desa Resang berlubang. "), 10) + draw(hostile(700)),
        judul=field(st.just("Jalan berlubang"), 250),
        kecamatan=kecamatan,
        desa=field(st.sampled_from(["", *villages]), 20),
        lokasi=field(any_text(max_size=60), 350),
        nama=field(st.sampled_from(["", "Siti Aminah", "Bü\u0301lent 😀"]), 150),
        email=field(
            st.sampled_from(
                ["", "Siti@Lapor.test", " a@b.co ", "sïti@lapor.test", "a,b@lapor.test"]
            ),
            60,
        ),
        hp=field(indonesian_mobiles().map(lambda p: p[1]) | st.just(""), 40),
        anonim=draw(st.booleans()),
        rahasia=draw(st.booleans()),
    )


def validate(data: FormInput) -> tuple[CleanForm | None, dict[str, str]]:
    return validate_form(data, wilayah=WILAYAH, max_text_chars=MAX_TEXT, phone_region="ID")


def _single_line(value: str | None, raw: str, limit: int) -> None:
    assert value == (clean_text(raw).replace("\n", " ") or None)
    assert value is None or ("\n" not in value and len(value) <= limit)


@given(forms())
def test_validation_never_raises_and_gives_a_clean_form_or_messages(data: FormInput) -> None:
    clean, errors = validate(data)
    assert (clean is None) == bool(errors)
    assert list(errors) == [name for name in FIELD_ORDER if name in errors]
    assert all(isinstance(m, str) and m.strip() for m in errors.values())
    if clean is None:
        return
    assert clean.text == clean_text(data.isi)
    assert MIN_TEXT_CHARS <= len(clean.text) <= MAX_TEXT
    _single_line(clean.title, data.judul, MAX_TITLE_CHARS)
    _single_line(clean.location, data.lokasi, MAX_LOCATION_CHARS)
    _single_line(clean.name, data.nama, MAX_NAME_CHARS)
    assert clean.email == (normalise_typed_email(data.email) if data.email.strip() else None)
    if clean.phone is not None:
        assert clean.phone == normalise_phone(data.hp)
        assert phonenumbers.is_valid_number(phonenumbers.parse(clean.phone))
    if clean.kecamatan is not None:
        kecamatan = WILAYAH.get(clean.kecamatan)
        assert kecamatan is not None
        assert clean.desa is None or kecamatan.has(clean.desa)
    assert (clean.anonymous, clean.confidential) == (data.anonim, data.rahasia)


@given(forms())
def test_resubmitting_a_clean_form_gives_the_same_clean_form(data: FormInput) -> None:
    data = FormInput(
        **{
            **data.__dict__,
            # clean_text is not idempotent when it removes a character in front of a
            # combining mark (see test_text_normalisers); that bug is not this test's subject.
            "isi": "".join(ch for ch in data.isi if not is_removed_by_clean_text(ch)),
        }
    )
    clean, _ = validate(data)
    if clean is None:
        return
    again = FormInput(
        isi=clean.text,
        judul=clean.title or "",
        kecamatan=clean.kecamatan or "",
        desa=clean.desa or "",
        lokasi=clean.location or "",
        nama=clean.name or "",
        email=clean.email or "",
        hp=clean.phone or "",
        anonim=clean.anonymous,
        rahasia=clean.confidential,
    )
    assert validate(again) == (clean, {})


@given(
    st.lists(
        st.tuples(
            st.sampled_from([*FIELDS, "anonim", "rahasia", "nonce", "csrf_token", "foto", "x"]),
            st.one_of(hostile(40), st.sampled_from(["ya", "YA", "tidak", ""]), st.just(None)),
        ),
        max_size=20,
    )
)
def test_reading_any_posted_fields_gives_strings_and_flags(
    pairs: list[tuple[str, str | None]],
) -> None:
    items: list[tuple[str, str | UploadFile]] = [
        (name, value if value is not None else UploadFile(file=io.BytesIO(b"x")))
        for name, value in pairs
    ]
    data = FormInput.from_form(FormData(items))
    posted = dict(items)  # FormData.get gives the last value of a repeated field
    for name in FIELDS:
        value = posted.get(name)
        assert getattr(data, name) == (value if isinstance(value, str) else "")
    assert data.anonim == (posted.get("anonim") == "ya")
    assert data.rahasia == (posted.get("rahasia") == "ya")
