"""The console's forms: read a small urlencoded body, clean and check each field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.requests import Request

__all__ = ["ACTIONS", "MAX_FORM_BYTES", "ActionForm", "FieldSpec", "FormRejected", "read_form"]

MAX_FORM_BYTES = 32 * 1024
_MAX_FIELDS = 20
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class FormRejected(Exception):
    """The body is not a small urlencoded form (400 or 413)."""

    def __init__(self, status_code: int) -> None:
        super().__init__(status_code)
        self.status_code = status_code


async def read_form(request: Request) -> dict[str, str]:
    """The posted fields (first value of each), or FormRejected."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise FormRejected(400)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormRejected(413)
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=_MAX_FIELDS,
            errors="strict",
        )
    except ValueError as exc:  # bad UTF-8 or too many fields
        raise FormRejected(400) from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


def clean_text(value: str) -> str:
    """Unix line ends, no control characters (the store refuses NUL), no outer blanks."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


@dataclass(frozen=True)
class FieldSpec:
    """One field of an action form."""

    name: str
    label: str
    required: bool
    max_chars: int

    def check(self, raw: str) -> tuple[str, str | None]:
        """The cleaned value and an error message, if any (in Bahasa Indonesia)."""
        value = clean_text(raw)
        if self.required and not value:
            return value, f"{self.label} wajib diisi."
        if len(value) > self.max_chars:
            return value, f"{self.label} terlalu panjang (paling banyak {self.max_chars} karakter)."
        return value, None


@dataclass(frozen=True)
class ActionForm:
    """What an action's form asks, and what the officer reads when it is done."""

    slug: str
    fields: tuple[FieldSpec, ...]
    done: str

    def check(self, posted: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """Cleaned values and errors, both keyed `<slug>-<field>` (the inputs' ids)."""
        values: dict[str, str] = {}
        errors: dict[str, str] = {}
        for spec in self.fields:
            key = f"{self.slug}-{spec.name}"
            values[key], error = spec.check(posted.get(spec.name, ""))
            if error:
                errors[key] = error
        return values, errors

    def value(self, values: dict[str, str], name: str) -> str:
        """A cleaned value by field name."""
        return values[f"{self.slug}-{name}"]


_REASON = FieldSpec("alasan", "Alasan", required=True, max_chars=2000)

ACTIONS = {
    form.slug: form
    for form in (
        ActionForm(
            "disposisi",
            (
                FieldSpec("opd", "OPD tujuan", required=True, max_chars=20),
                FieldSpec("catatan", "Catatan", required=False, max_chars=2000),
            ),
            "Laporan telah didisposisikan. OPD tujuan dan pelapor diberi tahu.",
        ),
        ActionForm(
            "bukan-wewenang",
            (_REASON,),
            "Laporan dikembalikan ke Admin Koordinator sebagai bukan wewenang.",
        ),
        ActionForm(
            "tindak-lanjut",
            (FieldSpec("teks", "Tindak lanjut", required=True, max_chars=5000),),
            "Tindak lanjut tersimpan dan dikirim kepada pelapor.",
        ),
        ActionForm(
            "selesai",
            (FieldSpec("teks", "Keterangan penyelesaian", required=False, max_chars=5000),),
            "Laporan ditandai selesai. Pelapor diberi tahu.",
        ),
        ActionForm("tunda", (_REASON,), "Laporan ditunda. Pelapor diberi tahu."),
        ActionForm("lanjutkan", (), "Penanganan laporan dilanjutkan."),
        ActionForm("arsip", (_REASON,), "Laporan diarsipkan. Pelapor diberi tahu."),
    )
}
