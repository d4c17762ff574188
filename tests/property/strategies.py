"""Hostile input, as Hypothesis strategies: what citizens, gateways and spammers may send."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import strategies as st

from services.intake.tracking import TRACKING_ID_PATTERN

__all__ = [
    "EMOJI",
    "HOSTILE_FRAGMENTS",
    "REMOVED_BY_CLEAN_TEXT",
    "ZWJ_EMOJI",
    "any_text",
    "canonical_tracking_ids",
    "emoji",
    "indonesian_mobiles",
    "is_removed_by_clean_text",
    "json_text",
    "written_tracking_ids",
]

# Single emoji and emoji sequences without a zero width joiner: skin tones, variation
# selectors, flags (regional indicators), keycaps, a tag sequence (Scotland).
EMOJI = (
    "\U0001f600",  # grinning face
    "\U0001f621",  # pouting face
    "\U0001f6a7",  # construction
    "\U0001f64f",  # folded hands
    "\U0001f44d\U0001f3fd",  # thumbs up, medium skin tone
    "\u2764\ufe0f",  # red heart, emoji presentation
    "\u26a0\ufe0f",  # warning sign
    "\U0001f1ee\U0001f1e9",  # flag of Indonesia
    "1\ufe0f\u20e3",  # keycap 1
    "#\ufe0f\u20e3",  # keycap #
    "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland
    "\U0001fae0",  # melting face (Unicode 14)
    "\U0001f6f5",  # motor scooter
    "\U0001f30a",  # water wave
    "\U0001f5d1\ufe0f",  # wastebasket
    "\u00a9\ufe0f",  # copyright sign as emoji
)
# Emoji ZWJ sequences: one picture made of several joined by U+200D.
ZWJ_EMOJI = (
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # family: man, woman, girl
    "\U0001f3f3\ufe0f\u200d\U0001f308",  # rainbow flag
    "\U0001f469\U0001f3fe\u200d\u2695\ufe0f",  # woman health worker, medium-dark skin
    "\U0001f9d1\u200d\U0001f33e",  # farmer
    "\U0001f477\u200d\u2640\ufe0f",  # woman construction worker
    "\u2764\ufe0f\u200d\U0001f525",  # heart on fire
)

# Pieces that break naive text handling: controls, invisibles, bidi overrides and isolates,
# combining marks, right-to-left and CJK text, emoji, markup and template syntax.
HOSTILE_FRAGMENTS = (
    "\x00",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\x9b",
    "\r",
    "\r\n",
    "\n",
    "\t",
    "\x0b",
    "\x0c",
    "\u00a0",
    "\u00ad",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u2028",
    "\u2029",
    "\u202a",
    "\u202e",
    "\u2066",
    "\u2069",
    "\u3000",
    "\ufeff",
    "\ufffd",
    "\u0301",
    "e\u0301",
    "\u0645\u0631\u062d\u0628\u0627",  # Arabic
    "\u05e9\u05dc\u05d5\u05dd",  # Hebrew
    "\u6f22\u5b57",  # CJK
    "\u0928\u092e\u0938\u094d\u0924\u0947",  # Devanagari
    "Z\u0351\u036b\u0343\u036a\u0302",  # zalgo
    "R\u00e9sang",
    "LAPOR",
    "CEK",
    "NILAI",
    "LPR-261128-7QK2M",
    "lpr 261128 7qk2m",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "${jndi:ldap://x}",
    "%00",
    "'; DROP TABLE complaints; --",
    '"',
    "\\",
    " ",
    "  ",
    "0812-3456-7890",
    *EMOJI,
    *ZWJ_EMOJI,
)

# What clean_text removes besides \r (which becomes \n): kept in step with model._CONTROL.
REMOVED_BY_CLEAN_TEXT = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]"
)


def is_removed_by_clean_text(ch: str) -> bool:
    """Whether clean_text drops this character."""
    return bool(REMOVED_BY_CLEAN_TEXT.fullmatch(ch))


def any_text(*, max_size: int = 200) -> st.SearchStrategy[str]:
    """Arbitrary Unicode (no lone surrogates), or a mix of hostile fragments."""
    fragments = st.lists(
        st.one_of(st.sampled_from(HOSTILE_FRAGMENTS), st.text(max_size=4)),
        max_size=max(1, max_size // 4),
    ).map("".join)
    return st.one_of(st.text(max_size=max_size), fragments)


def json_text(*, max_size: int = 200) -> st.SearchStrategy[str]:
    """Any code point, lone surrogates included (JSON can carry "\\ud800")."""
    return st.text(st.characters(exclude_categories=()), max_size=max_size)


def emoji(*, with_zwj: bool) -> st.SearchStrategy[str]:
    """One emoji (sequence); ZWJ sequences only when asked for."""
    return st.sampled_from(EMOJI + ZWJ_EMOJI if with_zwj else EMOJI)


def canonical_tracking_ids() -> st.SearchStrategy[str]:
    """Tracking IDs as intake issues them (`LPR-261128-7QK2M`)."""
    return st.from_regex(TRACKING_ID_PATTERN, fullmatch=True)


@st.composite
def written_tracking_ids(draw: st.DrawFn) -> tuple[str, str]:
    """A tracking ID and how a citizen might type it (case, spaces, hyphens)."""
    canonical = draw(canonical_tracking_ids())
    _, day, code = canonical.split("-")
    first, second = draw(st.sampled_from(["-", " ", ""])), draw(st.sampled_from(["-", " ", ""]))
    written = f"{draw(st.sampled_from(['LPR', 'lpr', 'Lpr']))}{first}{day}{second}"
    written += "".join(ch.lower() if draw(st.booleans()) else ch for ch in code)
    return canonical, written


@st.composite
def indonesian_mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """A valid Indonesian mobile number in E.164 and as people write it."""
    operator = draw(st.sampled_from(["811", "812", "813", "821", "822", "852", "853", "857"]))
    rest = draw(st.text("0123456789", min_size=7, max_size=8))
    e164 = f"+62{operator}{rest}"
    prefix = draw(st.sampled_from(["0", "+62", "62", "+62 ", "(+62) ", "+62-"]))
    separator = draw(st.sampled_from(["", " ", "-", ".", "  "]))
    digits = f"{operator}{rest}"
    cut = draw(st.integers(min_value=1, max_value=len(digits) - 1))
    written = f"{prefix}{digits[:cut]}{separator}{digits[cut:]}"
    padding = draw(st.sampled_from(["", " ", "\t", "\u00a0"]))
    return e164, unicodedata.normalize("NFC", f"{padding}{written}{padding}")
