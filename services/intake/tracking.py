"""Tracking IDs: `LPR-YYMMDD-XXXXX`, the local date of receipt and a random part."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["TRACKING_ID_PATTERN", "new_tracking_id"]

TRACKING_ID_PATTERN = re.compile(r"LPR-[0-9]{6}-[0-9A-Z]{4,8}")
# Crockford-style alphabet: no I, L, O, U, so IDs read aloud or typed from SMS stay unambiguous.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_LENGTH = 5


def new_tracking_id(received_at: datetime, tz: ZoneInfo) -> str:
    """A fresh tracking ID for a complaint received at `received_at` (aware)."""
    day = received_at.astimezone(tz).strftime("%y%m%d")
    random_part = "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_LENGTH))
    return f"LPR-{day}-{random_part}"
