"""SMS text: GSM-7 when every character fits it, otherwise UCS-2; never more than two parts.

GSM 03.38: 160 septets in one part, 153 per part when concatenated; the extension
characters (^ { } \\ [ ] ~ | €) take two (escape + character), and a gateway never splits
such a pair across parts, so one that would straddle a boundary starts the next part.
UCS-2: 70 code units in one part, 67 per part.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SmsText", "fit_sms", "plan_sms"]

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = set("^{}\\[]~|€\f")
_GSM7_SINGLE, _GSM7_PER_PART = 160, 153
GSM7, UCS2 = 0, 2


@dataclass(frozen=True)
class SmsText:
    """A text as the gateway will send it."""

    text: str
    coding: int  # 0 = GSM-7, 2 = UCS-2 (Kannel's `coding`)
    units: int
    parts: int


def plan_sms(text: str) -> SmsText:
    """Coding and number of parts of a text."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENSION for ch in text):
        septets = [2 if ch in _GSM_EXTENSION else 1 for ch in text]
        units = sum(septets)
        parts = 1 if units <= _GSM7_SINGLE else _concatenated_gsm7_parts(septets)
        return SmsText(text=text, coding=GSM7, units=units, parts=parts)
    units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)  # astral chars: surrogate pairs
    parts = 1 if units <= 70 else -(-units // 67)
    return SmsText(text=text, coding=UCS2, units=units, parts=parts)


def _concatenated_gsm7_parts(septets: list[int]) -> int:
    """Parts of 153 septets each, an escape pair always kept within one part."""
    parts, used = 1, 0
    for size in septets:
        if used + size > _GSM7_PER_PART:
            parts, used = parts + 1, 0
        used += size
    return parts


def fit_sms(head: str, body: str = "", tail: str = "", *, max_parts: int = 2) -> SmsText:
    """`head + body + tail`, with `body` shortened at a word (adding "...") to fit."""
    full = plan_sms(f"{head}{body}{tail}")
    if full.parts <= max_parts:
        return full
    words = body.split()
    while words:
        words.pop()
        candidate = plan_sms(f"{head}{' '.join(words)}...{tail}")
        if candidate.parts <= max_parts:
            return candidate
    shortest = plan_sms(f"{head}{tail}")
    if shortest.parts > max_parts:
        raise ValueError("the fixed part of the SMS does not fit")
    return shortest
