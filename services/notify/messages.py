"""Email envelopes: sender, threading on the acknowledgement, marked automatic.

A mail is written out here as RFC 5322 bytes directly. Python's `email` package did the same
job through its header registry, which parses every header back as it is set: ~4 ms of
CPU per mail, 40 % of notify's CPU at saturation (docs/performance.md). The messages are
simple and always the same shape (a few headers, text and HTML alternatives), so a direct
writer is short: headers that are not plain ASCII (or are long) are RFC 2047 encoded and
folded by `email.header.Header` (in an address, only the name), and each body is 7bit when
it is plain ASCII with short lines, base64 otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr, getaddresses
from functools import cached_property

from services.notify.render import RenderedEmail
from shared.email_address import ATOM

__all__ = [
    "MailIdentity",
    "OutgoingMail",
    "acknowledgement_id",
    "compose_email",
    "message_id_for",
]

_CRLF = "\r\n"
_MAX_7BIT_LINE = 998  # RFC 5322 2.1.1, without the CRLF


@dataclass(frozen=True)
class MailIdentity:
    """Who our mails come from."""

    sender: str
    sender_name: str
    reply_to: str

    @cached_property
    def reply_to_header(self) -> str:
        """The Reply-To value as written (parsed once, not for every mail)."""
        return ", ".join(
            _mailbox("Reply-To", name, address) for name, address in getaddresses([self.reply_to])
        )

    @property
    def domain(self) -> str:
        """The domain for Message-IDs."""
        return self.sender.rsplit("@", 1)[-1]


@dataclass(frozen=True)
class OutgoingMail:
    """One mail as it goes on the wire: the SMTP envelope and the message's bytes."""

    sender: str
    recipients: tuple[str, ...]
    message_id: str
    data: bytes


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
) -> OutgoingMail:
    """A multipart (text and HTML) mail marked automatic; threaded when `thread`."""
    message_id = message_id_for(kind=kind, tracking_id=tracking_id, key=key, domain=identity.domain)
    lines = [
        f"From: {_mailbox('From', identity.sender_name, identity.sender)}",
        f"To: {_mailbox('To', to_name, to)}",
        f"Reply-To: {identity.reply_to_header}",
    ]
    headers = [
        ("Subject", rendered.subject),
        ("Date", format_datetime(now)),
        ("Message-ID", message_id),
        ("Auto-Submitted", "auto-generated"),
        ("X-Auto-Response-Suppress", "All"),
        ("X-Lapor-Tracking-Id", tracking_id),
    ]
    if thread and kind != "diterima":
        first = acknowledgement_id(tracking_id, identity.domain)
        headers += [("In-Reply-To", first), ("References", first)]
    boundary = f"=_lapor_{secrets.token_hex(8)}"
    lines += [_header(name, value) for name, value in headers]
    lines += [
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
        "",
        f"--{boundary}",
        *_part("plain", rendered.text),
        f"--{boundary}",
        *_part("html", rendered.html),
        f"--{boundary}--",
        "",
    ]
    return OutgoingMail(
        sender=identity.sender,
        recipients=(to,),
        message_id=message_id,
        data=_CRLF.join(lines).encode("ascii"),
    )


def _mailbox(header: str, name: str | None, address: str) -> str:
    """`name <address>`, folded. An ASCII name is quoted where needed. In any other, the
    words that are not plain atoms are RFC 2047 encoded, a run of them together (so the
    spaces between them survive), in words of at most 75 characters; the address itself
    is never encoded."""
    name = " ".join((name or "").split())
    if not name or name.isascii():
        return _fold(header, formataddr((name, address)))
    words: list[str] = []
    run: list[str] = []
    for word in [*name.split(" "), ""]:
        if word and not ATOM.fullmatch(word):
            run.append(word)
            continue
        if run:
            encoded = Header(" ".join(run), "utf-8").encode(linesep=_CRLF, maxlinelen=75)
            words += encoded.split()
            run = []
        if word:
            words.append(word)
    return _fold(header, " ".join([*words, f"<{address}>"]))


def _fold(header: str, value: str) -> str:
    """Fold at spaces so that lines stay within 78 characters where words allow."""
    lines = [f"{header}:"]
    for word in value.split(" "):
        if len(lines[-1]) + 1 + len(word) > 78 and lines[-1] != f"{header}:":
            lines.append("")
        lines[-1] += f" {word}"
    return f"{_CRLF}".join(lines).removeprefix(f"{header}: ")


def _header(name: str, value: str) -> str:
    """`Name: value` (unstructured), RFC 2047 encoded and folded unless short plain ASCII."""
    value = " ".join(value.split())  # one line: no header injection through rendered text
    line = f"{name}: {value}"
    if value.isascii() and len(line) <= 78:
        return line
    # Plain ASCII folds at spaces; a word too long for a line is encoded (and so split) too.
    if value.isascii() and all(len(word) <= 70 for word in value.split()):
        return f"{name}: {_fold(name, value)}"
    encoded = Header(value, "utf-8", header_name=name).encode(linesep=_CRLF, maxlinelen=75)
    return f"{name}: {encoded}"


def _part(subtype: str, body: str) -> list[str]:
    """The lines of one text part: 7bit when plain ASCII with short lines, else base64."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    body_lines = text.split("\n")
    content_type = f'Content-Type: text/{subtype}; charset="utf-8"'
    if text.isascii() and all(len(line) <= _MAX_7BIT_LINE for line in body_lines):
        return [content_type, "Content-Transfer-Encoding: 7bit", "", *body_lines]
    canonical = text.replace("\n", _CRLF).encode("utf-8")  # text's canonical form (RFC 2046)
    encoded = base64.encodebytes(canonical).decode("ascii").rstrip("\n")
    return [content_type, "Content-Transfer-Encoding: base64", "", *encoded.split("\n")]
