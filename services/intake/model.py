"""Normalising what a citizen sent into the one complaint model, whatever the channel."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from pydantic import BaseModel, ConfigDict

from shared.contracts.types import Channel
from shared.email_address import wire_address
from shared.store.complaints import Attachment, Reporter

__all__ = [
    "Submission",
    "clean_text",
    "normalise_email",
    "normalise_phone",
    "normalise_typed_email",
]

# Control characters and invisible formatting, but not the joiners (U+200C, U+200D) that
# emoji sequences such as 👨‍👩‍👧 are made of.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]"
)
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class Submission(BaseModel):
    """A complaint after normalisation, before it is stored.

    `source_key` identifies what the citizen sent (the gateway's SMS id, the mail's
    Message-ID, the web form's nonce or an API Idempotency-Key): the same key twice is the
    same complaint.
    """

    model_config = ConfigDict(frozen=True)

    channel: Channel
    text: str
    source_key: str
    title: str | None = None
    location: str | None = None
    kecamatan: str | None = None
    desa: str | None = None
    reporter: Reporter = Reporter()
    anonymous: bool = False
    confidential: bool = False
    attachments: tuple[Attachment, ...] = ()


def clean_text(value: str) -> str:
    """NFC-normalise, drop control and invisible characters (keeping newlines, tabs), trim."""
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return unicodedata.normalize("NFC", value).strip()


def normalise_email(value: str) -> str | None:
    """A plausible address in lower case, an internationalised domain in its Unicode form
    (as typed, whichever form a mail's sender comes in: one reporter, one address), or None.
    """
    value = value.strip().lower()
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        return None
    if not _EMAIL.match(value) or len(value) > 254:
        return None
    local, _, domain = value.rpartition("@")
    if "xn--" in domain:
        try:
            domain = domain.encode("ascii").decode("idna")
        except UnicodeError:
            return value  # not a valid punycode name: kept as it came
    return f"{local}@{domain}"


def normalise_typed_email(value: str) -> str | None:
    """A typed address in lower case, or None unless mail can reach it: stricter than a
    mail's sender, which is taken as it comes (a reply to it may be refused, the mail is not).
    """
    email = normalise_email(value)
    if email is None:
        return None
    try:
        wire_address(email)
    except ValueError:
        return None
    return email


def normalise_phone(value: str, *, region: str = "ID") -> str:
    """E.164 when the number is valid; otherwise the raw input, trimmed (never dropped)."""
    raw = value.strip()
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return raw
    if not phonenumbers.is_valid_number(number):
        return raw
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
