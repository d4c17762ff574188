"""Bahasa Indonesia for citizen- and leader-facing text: day and month names, numbers."""

from __future__ import annotations

__all__ = ["DAYS", "MONTHS", "MONTHS_SHORT", "format_number", "format_share"]

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def format_number(value: float | None, decimals: int = 0) -> str:
    """Indonesian notation: 1.234 and 2,5; a dash for no value."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_share(value: float | None) -> str:
    """A 0-1 share as "85,7%"; a dash when there is nothing to divide."""
    return "–" if value is None else f"{format_number(value * 100, 1)}%"
