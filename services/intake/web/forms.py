"""The complaint form's fields: what was typed, kept for re-display, and its validation."""

from __future__ import annotations

from dataclasses import dataclass, field

import phonenumbers
from starlette.datastructures import FormData

from services.intake.model import clean_text, normalise_phone, normalise_typed_email
from services.intake.web.wilayah import Wilayah

__all__ = [
    "FIELD_ORDER",
    "PHOTO_MESSAGES",
    "CleanForm",
    "FormInput",
    "ordered_errors",
    "validate_form",
]

# The order of the form's fields, which is also the order of the error summary.
FIELD_ORDER = ("isi", "judul", "kecamatan", "desa", "lokasi", "foto", "nama", "email", "hp")

MIN_TEXT_CHARS = 10
MAX_TITLE_CHARS = 200
MAX_NAME_CHARS = 120
MAX_LOCATION_CHARS = 300
MAX_EMAIL_CHARS = 254
MAX_PHONE_CHARS = 32

PHOTO_MESSAGES = {
    "too_large": "Ukuran foto terlalu besar. Pilih foto JPEG atau PNG paling besar {max_mb} MB.",
    "not_image": "Berkas yang dipilih bukan foto JPEG atau PNG. Pilih foto JPEG atau PNG.",
    "damaged": "Foto tidak dapat dibaca (berkas rusak atau tidak lengkap). Pilih foto lain.",
    "too_big": "Ukuran gambar (jumlah piksel) terlalu besar. Pilih foto yang lebih kecil.",
}


@dataclass(frozen=True)
class FormInput:
    """The form as the citizen filled it in (strings as typed), for validation and re-display."""

    isi: str = ""
    judul: str = ""
    kecamatan: str = ""
    desa: str = ""
    lokasi: str = ""
    nama: str = ""
    email: str = ""
    hp: str = ""
    anonim: bool = False
    rahasia: bool = False
    nonce: str = ""
    csrf_token: str = ""

    @classmethod
    def from_form(cls, form: FormData) -> FormInput:
        """Read the posted fields; anything missing or not text reads as empty."""

        def text(name: str) -> str:
            value = form.get(name)
            return value if isinstance(value, str) else ""

        return cls(
            isi=text("isi"),
            judul=text("judul"),
            kecamatan=text("kecamatan"),
            desa=text("desa"),
            lokasi=text("lokasi"),
            nama=text("nama"),
            email=text("email"),
            hp=text("hp"),
            anonim=text("anonim") == "ya",
            rahasia=text("rahasia") == "ya",
            nonce=text("nonce"),
            csrf_token=text("csrf_token"),
        )


@dataclass(frozen=True)
class CleanForm:
    """The form after validation, normalised for a Submission."""

    text: str
    title: str | None
    kecamatan: str | None
    desa: str | None
    location: str | None
    name: str | None
    email: str | None
    phone: str | None
    anonymous: bool
    confidential: bool


@dataclass
class _Checker:
    errors: dict[str, str] = field(default_factory=dict)

    def line(self, name: str, value: str, *, limit: int, label: str) -> str | None:
        cleaned = clean_text(value).replace("\n", " ")
        if len(cleaned) > limit:
            self.errors[name] = f"{label} terlalu panjang (paling banyak {limit} karakter)."
        return cleaned or None


def validate_form(
    data: FormInput, *, wilayah: Wilayah, max_text_chars: int, phone_region: str
) -> tuple[CleanForm | None, dict[str, str]]:
    """The clean form, or None and one Indonesian message per field in error."""
    check = _Checker()
    text = _text(check, data.isi, max_text_chars=max_text_chars)
    title = check.line("judul", data.judul, limit=MAX_TITLE_CHARS, label="Judul laporan")
    location = check.line("lokasi", data.lokasi, limit=MAX_LOCATION_CHARS, label="Detail lokasi")
    name = check.line("nama", data.nama, limit=MAX_NAME_CHARS, label="Nama")
    kecamatan, desa = _place(check, wilayah, data.kecamatan.strip(), data.desa.strip())
    email = _email(check, data.email)
    phone = _phone(check, data.hp, region=phone_region)
    if check.errors or not text:
        return None, ordered_errors(check.errors)
    clean = CleanForm(
        text=text,
        title=title,
        kecamatan=kecamatan,
        desa=desa,
        location=location,
        name=name,
        email=email,
        phone=phone,
        anonymous=data.anonim,
        confidential=data.rahasia,
    )
    return clean, {}


def _text(check: _Checker, value: str, *, max_text_chars: int) -> str:
    text = clean_text(value)
    if not text:
        check.errors["isi"] = "Isi laporan wajib diisi. Ceritakan apa yang ingin Anda laporkan."
    elif len(text) < MIN_TEXT_CHARS:
        check.errors["isi"] = (
            f"Isi laporan terlalu pendek. Tulis paling sedikit {MIN_TEXT_CHARS} karakter."
        )
    elif len(text) > max_text_chars:
        check.errors["isi"] = (
            f"Isi laporan terlalu panjang. Tulis paling banyak {max_text_chars} karakter "
            f"(sekarang {len(text)} karakter)."
        )
    return text


def _place(
    check: _Checker, wilayah: Wilayah, kecamatan: str, desa: str
) -> tuple[str | None, str | None]:
    """Kecamatan and desa from the lists; a desa alone implies its kecamatan if unique."""
    chosen = wilayah.get(kecamatan) if kecamatan else None
    if kecamatan and chosen is None:
        check.errors["kecamatan"] = "Pilih kecamatan dari daftar."
        return None, None
    if not desa:
        return kecamatan or None, None
    if chosen is None:
        owners = wilayah.kecamatan_of(desa)
        if len(owners) == 1:
            return owners[0].name, desa
        if owners:
            check.errors["kecamatan"] = "Pilih kecamatan tempat desa/kelurahan tersebut berada."
        else:
            check.errors["desa"] = "Pilih desa/kelurahan dari daftar."
        return None, None
    if not chosen.has(desa):
        check.errors["desa"] = (
            f"Desa/kelurahan yang dipilih tidak berada di Kecamatan {chosen.name}. "
            "Pilih desa/kelurahan di kecamatan tersebut, atau ganti kecamatannya."
        )
        return None, None
    return chosen.name, desa


def _email(check: _Checker, value: str) -> str | None:
    if not value.strip():
        return None
    email = normalise_typed_email(value) if len(value.strip()) <= MAX_EMAIL_CHARS else None
    if email is None:
        check.errors["email"] = (
            "Alamat email tidak valid. Tulis lengkap, contoh: nama@contoh.com, "
            "atau kosongkan jika tidak punya."
        )
    return email


def _phone(check: _Checker, value: str, *, region: str) -> str | None:
    raw = value.strip()
    if not raw:
        return None
    phone = normalise_phone(raw, region=region) if len(raw) <= MAX_PHONE_CHARS else raw
    if not _valid_e164(phone):
        check.errors["hp"] = (
            "Nomor HP tidak valid. Tulis nomor lengkap, contoh: 0812-3456-7890, "
            "atau kosongkan jika tidak ingin dihubungi lewat SMS."
        )
        return None
    return phone


def _valid_e164(phone: str) -> bool:
    """normalise_phone keeps what it cannot parse: only a valid E.164 number passes."""
    try:
        return phone.startswith("+") and phonenumbers.is_valid_number(phonenumbers.parse(phone))
    except phonenumbers.NumberParseException:
        return False


def ordered_errors(errors: dict[str, str]) -> dict[str, str]:
    """The errors in the order of the form's fields (for the error summary)."""
    return {name: errors[name] for name in FIELD_ORDER if name in errors}
