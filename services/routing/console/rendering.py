"""HTML for the console: autoescaped Jinja2, Indonesian dates and labels, strict headers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.responses import HTMLResponse, Response

from shared.contracts.types import Channel, Stage
from shared.directory import Directory
from shared.indonesian import DAYS, MONTHS_SHORT

__all__ = ["SECURITY_HEADERS", "Pages", "StaticFiles", "format_datetime"]

SECURITY_HEADERS = {
    # No inline script or style: everything comes from /konsol/static on this origin.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(), microphone=(), camera=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Robots-Tag": "noindex, nofollow",
}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

_MEDIA_TYPES = {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"}

CHANNEL_LABELS = {Channel.WEB: "Situs web", Channel.SMS: "SMS", Channel.EMAIL: "Email"}
STAGE_LABELS = {
    Stage.VERIFICATION: "Verifikasi",
    Stage.FOLLOW_UP: "Tindak lanjut",
    Stage.COMPLETION: "Penyelesaian",
    Stage.AUTO_CLOSE: "Tutup otomatis",
}
ACTION_LABELS = {
    "disposition": "Disposisi",
    "held_for_verification": "Menunggu verifikasi",
    "bukan_wewenang": "Dikembalikan: bukan wewenang",
    "tindak_lanjut": "Tindak lanjut",
    "tanggapan_pelapor": "Tanggapan pelapor",
    "selesai": "Selesai",
    "auto_close": "Ditutup otomatis",
    "tunda": "Ditunda",
    "lanjut": "Dilanjutkan",
    "arsip": "Diarsipkan",
    "status": "Perubahan status",
}


def format_datetime(value: datetime, tz: ZoneInfo) -> str:
    """ "Senin, 30 Nov 2026 09.00 WIB" in the deployment's time zone."""
    local = value.astimezone(tz)
    date = f"{DAYS[local.weekday()]}, {local.day} {MONTHS_SHORT[local.month - 1]} {local.year}"
    return f"{date} {local:%H.%M} {_zone(local)}"


def format_clock(value: datetime, tz: ZoneInfo) -> str:
    """ "09.00.12 WIB": when a list was loaded."""
    local = value.astimezone(tz)
    return f"{local:%H.%M.%S} {_zone(local)}"


def _zone(value: datetime) -> str:
    name = value.tzname() or ""
    if name.isalpha():
        return name  # WIB, WITA, WIT
    offset = value.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}.{abs(minutes) % 60:02d}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{round(value * 100)}%"


def _actor(directory: Directory, actor: str) -> str:
    if actor == "operator":
        return "Admin Koordinator"
    if actor.startswith("opd:"):
        agency = directory.get(actor.removeprefix("opd:"))
        return f"Petugas {agency.name}" if agency else actor
    if actor == "pelapor":
        return "Pelapor"
    if actor == "routing" or actor.startswith("system:"):
        return "Sistem"
    return actor


class StaticFiles:
    """The console's CSS and JS, read once, with content-hashed URLs."""

    NAMES = ("konsol.css", "konsol.js")

    def __init__(self, prefix: str) -> None:
        folder = resources.files("services.routing.console").joinpath("static")
        self._prefix = prefix
        self._files = {name: folder.joinpath(name).read_bytes() for name in self.NAMES}
        self._versions = {n: hashlib.sha256(b).hexdigest()[:12] for n, b in self._files.items()}

    def url(self, name: str) -> str:
        """The file's URL, versioned by content so it can be cached."""
        return f"{self._prefix}/static/{name}?v={self._versions[name]}"

    def response(self, name: str) -> Response | None:
        """The file, or None if there is no such file."""
        body = self._files.get(name)
        if body is None:
            return None
        headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=86400"}
        return Response(body, media_type=_MEDIA_TYPES[name.rsplit(".", 1)[-1]], headers=headers)


@dataclass
class Pages:
    """Renders templates into responses that carry the security headers and no-store."""

    env: Environment
    static: StaticFiles

    @classmethod
    def create(cls, *, tz: ZoneInfo, directory: Directory, prefix: str) -> Pages:
        """An autoescaping environment over the package's templates."""
        env = Environment(
            loader=PackageLoader("services.routing.console", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        static = StaticFiles(prefix)
        env.filters["waktu"] = lambda value: format_datetime(value, tz)
        env.filters["jam"] = lambda value: format_clock(value, tz)
        env.filters["persen"] = _percent
        env.filters["pelaku"] = lambda actor: _actor(directory, actor)
        env.filters["tindakan"] = lambda action: ACTION_LABELS.get(action, action)
        env.filters["kanal"] = lambda channel: CHANNEL_LABELS.get(channel, str(channel))
        env.filters["tahap"] = lambda stage: STAGE_LABELS.get(stage, str(stage))
        env.filters["nama_opd"] = lambda code: _agency_name(directory, code)
        env.globals["static_url"] = static.url
        env.globals["konsol"] = prefix
        return cls(env=env, static=static)

    def html(self, template: str, **context: Any) -> str:
        """The rendered template."""
        return self.env.get_template(template).render(**context)

    def render(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        """The page as a response; never cached (it shows personal data)."""
        html = self.html(template, **context)
        headers = {**SECURITY_HEADERS, **NO_STORE}
        return HTMLResponse(html, status_code=status_code, headers=headers)


def _agency_name(directory: Directory, code: str | None) -> str:
    agency = directory.get(code) if code else None
    return agency.name if agency else (code or "-")
