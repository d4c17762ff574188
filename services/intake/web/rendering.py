"""HTML rendering for the citizen pages: autoescaped Jinja2, Indonesian dates, safe headers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.responses import HTMLResponse, Response

from shared.indonesian import DAYS, MONTHS

__all__ = ["SECURITY_HEADERS", "Pages", "StaticAssets", "format_date", "format_datetime"]


_MEDIA_TYPES = {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"}

SECURITY_HEADERS = {
    # No inline script or style at all: everything comes from /static on this origin.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Status URLs carry tracking IDs: never tell another site where the visitor came from.
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(), microphone=(), camera=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def format_datetime(value: datetime, tz: ZoneInfo) -> str:
    """ "Rabu, 25 Maret 2026 pukul 16.00 WIB" (in the deployment's time zone)."""
    local = value.astimezone(tz)
    return f"{format_date(local)} pukul {local:%H.%M} {_zone_name(local)}"


def format_date(value: datetime) -> str:
    """ "Rabu, 25 Maret 2026"."""
    return f"{DAYS[value.weekday()]}, {value.day} {MONTHS[value.month - 1]} {value.year}"


def _zone_name(value: datetime) -> str:
    name = value.tzname() or ""
    if name.isalpha():
        return name  # WIB, WITA, WIT
    offset = value.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}.{abs(minutes) % 60:02d}"


class StaticAssets:
    """The few static files of the pages, read once, with content-hashed URLs."""

    NAMES = ("lapor.css", "lapor.js")

    def __init__(self) -> None:
        folder = resources.files("services.intake.web").joinpath("static")
        self._files = {name: folder.joinpath(name).read_bytes() for name in self.NAMES}
        self._versions = {
            name: hashlib.sha256(body).hexdigest()[:12] for name, body in self._files.items()
        }

    def url(self, name: str) -> str:
        """The file's URL, versioned by its content so it can be cached for long."""
        return f"/static/{name}?v={self._versions[name]}"

    def response(self, name: str) -> Response | None:
        """The file, or None if there is no such file."""
        body = self._files.get(name)
        if body is None:
            return None
        headers = {
            **SECURITY_HEADERS,
            "Cache-Control": "public, max-age=86400",
            "ETag": f'"{self._versions[name]}"',
        }
        media_type = _MEDIA_TYPES[name.rsplit(".", 1)[-1]]
        return Response(body, media_type=media_type, headers=headers)


@dataclass
class Pages:
    """Renders the templates into responses with the security headers."""

    env: Environment
    static: StaticAssets

    @classmethod
    def create(cls, *, tz: ZoneInfo, site_name: str) -> Pages:
        """An autoescaping environment over the package's templates."""
        env = Environment(
            loader=PackageLoader("services.intake.web", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        static = StaticAssets()
        env.filters["waktu"] = lambda value: format_datetime(value, tz)
        env.globals["static_url"] = static.url
        env.globals["site_name"] = site_name
        return cls(env=env, static=static)

    def html(self, template: str, **context: Any) -> str:
        """The page's HTML."""
        return self.env.get_template(template).render(**context)

    def render(
        self,
        template: str,
        *,
        status_code: int = 200,
        cache: str = "no-store",
        **context: Any,
    ) -> HTMLResponse:
        """The page as a response; pages are not cached by default (they may be personal)."""
        html = self.html(template, **context)
        headers = {**SECURITY_HEADERS, "Cache-Control": cache}
        return HTMLResponse(html, status_code=status_code, headers=headers)
