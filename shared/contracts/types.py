"""Enumerations used on the wire and in the store."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["STATUS_LABELS", "Channel", "RoutingMethod", "Stage", "Status"]


class Channel(StrEnum):
    """Where a complaint came from."""

    WEB = "web"
    SMS = "sms"
    EMAIL = "email"


class Status(StrEnum):
    """A complaint's life cycle, after SP4N-LAPOR!."""

    BELUM_TERVERIFIKASI = "belum_terverifikasi"
    DIDISPOSISIKAN = "didisposisikan"
    DITERUSKAN = "diteruskan"
    DITINDAKLANJUTI = "ditindaklanjuti"
    SELESAI = "selesai"
    TUNDA = "tunda"
    ARSIP = "arsip"


STATUS_LABELS: dict[Status, str] = {
    Status.BELUM_TERVERIFIKASI: "Belum terverifikasi",
    Status.DIDISPOSISIKAN: "Terverifikasi dan didisposisikan",
    Status.DITERUSKAN: "Diteruskan ke instansi terkait",
    Status.DITINDAKLANJUTI: "Ditindaklanjuti",
    Status.SELESAI: "Selesai",
    Status.TUNDA: "Ditunda",
    Status.ARSIP: "Diarsipkan",
}


class RoutingMethod(StrEnum):
    """How an agency was chosen."""

    RULE = "rule"
    CLASSIFIER = "classifier"
    OPERATOR = "operator"


class Stage(StrEnum):
    """SLA stages with their own deadline."""

    VERIFICATION = "verification"
    FOLLOW_UP = "follow_up"
    COMPLETION = "completion"
    AUTO_CLOSE = "auto_close"
