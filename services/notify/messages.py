"""Email envelopes: sender, threading on the acknowledgement, marked automatic."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from services.notify.render import RenderedEmail

__all__ = ["MailIdentity", "acknowledgement_id", "compose_email", "message_id_for"]


@dataclass(frozen=True)
class MailIdentity:
    """Who our mails come from."""

    sender: str
    sender_name: str
    reply_to: str

    @property
    def domain(self) -> str:
        """The domain for Message-IDs."""
        return self.sender.rsplit("@", 1)[-1]


def acknowledgement_id(tracking_id: str, domain: str) -> str:
    """The Message-ID of a complaint's acknowledgement, on which later mails thread."""
    return f"<{tracking_id.lower()}.diterima@{domain}>"


def message_id_for(*, kind: str, tracking_id: str, key: str, domain: str) -> str:
    """A stable Message-ID: the same notification always has the same ID."""
    if kind == "diterima":
        return acknowledgement_id(tracking_id, domain)
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return f"<{tracking_id.lower()}.{kind}.{digest}@{domain}>"


def compose_email(
    *,
    rendered: RenderedEmail,
    kind: str,
    tracking_id: str,
    key: str,
    to: str,
    to_name: str | None,
    identity: MailIdentity,
    now: datetime,
    thread: bool,
) -> EmailMessage:
    """A multipart (text and HTML) mail marked automatic; threaded when `thread`."""
    msg = EmailMessage()
    msg["From"] = formataddr((identity.sender_name, identity.sender))
    msg["To"] = formataddr((to_name or "", to))
    msg["Reply-To"] = identity.reply_to
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id_for(
        kind=kind, tracking_id=tracking_id, key=key, domain=identity.domain
    )
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Lapor-Tracking-Id"] = tracking_id
    if thread and kind != "diterima":
        first = acknowledgement_id(tracking_id, identity.domain)
        msg["In-Reply-To"] = first
        msg["References"] = first
    msg.set_content(rendered.text, charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return msg
