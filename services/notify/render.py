"""Rendering the editable templates (Jinja2) into email and SMS texts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.notify.smstext import SmsText, fit_sms

__all__ = ["RenderedEmail", "Templates", "default_templates_dir"]

_SUBJECT = "Subjek:"
_MARK = "\x00"  # stands in for the shrinkable variable while measuring an SMS


def _is_html(name: str | None) -> bool:
    return name is not None and ".html" in name


def default_templates_dir() -> Path:
    """The templates shipped with the service."""
    return Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedEmail:
    """Subject, plain text and HTML of one email."""

    subject: str
    text: str
    html: str


class Templates:
    """Loads templates from a folder; HTML is autoescaped, text is plain."""

    def __init__(self, folder: Path) -> None:
        self._env = Environment(
            loader=FileSystemLoader(str(folder)),
            autoescape=_is_html,  # noqa: S701 - HTML autoescaped; text parts are plain
            undefined=StrictUndefined,
            keep_trailing_newline=False,
        )

    def email(self, kind: str, context: dict[str, Any]) -> RenderedEmail:
        """Render `email/<kind>.txt.j2` and its HTML twin."""
        raw = self._env.get_template(f"email/{kind}.txt.j2").render(_defaults(context))
        first, _, body = raw.partition("\n")
        if not first.startswith(_SUBJECT):
            raise ValueError(f"email/{kind}.txt.j2 must start with '{_SUBJECT} ...'")
        subject = first.removeprefix(_SUBJECT).strip()
        text = body.strip() + "\n"
        paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
        html = self._env.get_template("email/layout.html.j2").render(
            subject=subject, paragraphs=paragraphs
        )
        return RenderedEmail(subject=subject, text=text, html=html)

    def sms(self, kind: str, context: dict[str, Any], *, shrink: str | None = None) -> SmsText:
        """Render `sms/<kind>.txt.j2`, shortening `context[shrink]` to fit two parts."""
        template = self._env.get_template(f"sms/{kind}.txt.j2")
        values = _defaults(context)
        if shrink is None or not values.get(shrink):
            return fit_sms(" ".join(template.render(values).split()))
        body = " ".join(str(values[shrink]).split())
        rendered = " ".join(template.render({**values, shrink: _MARK}).split())
        head, _, tail = rendered.partition(_MARK)
        return fit_sms(head, body, tail)


def _defaults(context: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "agency_name",
        "response",
        "reason",
        "text",
        "location",
        "stage_label",
        "due_at",
        "reporter_name",
        "recipient_label",
        "status_url",
        "service_name",
    )
    return {**dict.fromkeys(keys), **context}
