"""Inbound mail, parsed: the sender, a clean text, image attachments, threading, and whether
it is an automatic message (auto-reply, bounce, mailing list, loop) that must never become a
complaint. Malformed mail never raises: what cannot be read is reported as such."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.errors import HeaderParseError
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from services.intake.model import clean_text

__all__ = ["InboundAttachment", "InboundMail", "html_to_text", "parse_mail", "trim_quoted"]

_IMAGE_TYPES = {"image/jpeg", "image/png"}
_MAX_TEXT = 20000
_QUOTE_HEADERS = [
    re.compile(r"^\s*(On|Pada)\b.{0,200}\b(wrote|menulis)\s*:\s*$", re.IGNORECASE),
    re.compile(
        r"^\s*-{2,}\s*(Original Message|Pesan Asli|Forwarded message|Pesan "
        r"yang diteruskan)\s*-{2,}",
        re.IGNORECASE,
    ),
    re.compile(r"^\s*(From|Dari)\s*:\s.+", re.IGNORECASE),
    re.compile(r"^_{10,}\s*$"),
]
_BULK = {"bulk", "junk", "list", "auto_reply"}


@dataclass(frozen=True)
class InboundAttachment:
    """An image the sender attached."""

    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class InboundMail:
    """What intake needs of one mail."""

    message_id: str
    sender: str | None
    sender_name: str | None
    subject: str
    text: str
    references: list[str] = field(default_factory=list)
    attachments: list[InboundAttachment] = field(default_factory=list)
    automatic: str | None = None  # why it is an automatic message, if it is one


class _TextExtractor(HTMLParser):
    _BLOCK = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"}
    )
    _SKIP = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML body, with paragraphs kept as line breaks."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def trim_quoted(text: str) -> str:
    """Drop the quoted history of a reply (`> ...`, "On ... wrote:", "Pada ... menulis:")."""
    kept: list[str] = []
    for line in text.splitlines():
        if any(p.match(line) for p in _QUOTE_HEADERS) and kept:
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def _automatic(msg: Message, sender: str | None, own_addresses: set[str]) -> str | None:
    auto = str(msg.get("Auto-Submitted", "no")).strip().lower()
    if auto and auto != "no":
        return f"auto-submitted: {auto}"
    if str(msg.get("Precedence", "")).strip().lower() in _BULK:
        return "bulk or list mail"
    if msg.get("X-Loop") or msg.get("X-Lapor-Tracking-Id"):
        return "mail loop"
    if msg.get("List-Id") or msg.get("List-Unsubscribe"):
        return "mailing list"
    if msg.get("X-Autoreply") or msg.get("X-Autorespond"):
        return "auto-reply"
    if msg.get_content_type() == "multipart/report":
        return "bounce"
    local = (sender or "").split("@")[0].lower()
    if local in {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply"}:
        return "bounce or no-reply sender"
    if sender and sender.lower() in own_addresses:
        return "our own address"
    return None


def _body_text(msg: EmailMessage) -> str:
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
    except (KeyError, LookupError, AttributeError, TypeError):  # truncated multiparts
        part = next(
            (p for p in msg.walk() if p.get_content_type() in ("text/plain", "text/html")), None
        )
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError):
        raw = part.get_payload(decode=True)
        content = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
    if not isinstance(content, str):
        return ""
    return html_to_text(content) if part.get_content_type() == "text/html" else content


def _images(msg: EmailMessage, *, max_bytes: int) -> list[InboundAttachment]:
    found = []
    for part in msg.walk():
        if part.get_content_type() not in _IMAGE_TYPES or part.is_multipart():
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and 0 < len(data) <= max_bytes:
            found.append(
                InboundAttachment(
                    filename=part.get_filename(), content_type=part.get_content_type(), data=data
                )
            )
    return found


def _header(msg: Message, name: str) -> str:
    try:
        return str(msg.get(name, "") or "")
    except (ValueError, IndexError, TypeError, AttributeError, HeaderParseError):
        # The structured parser chokes on some malformed headers: keep the raw text.
        for key, value in msg.raw_items():
            if key.lower() == name.lower():
                return str(value)
        return ""


_MAX_RAW = 25 * 1024 * 1024


def parse_mail(raw: bytes, *, own_addresses: set[str], max_image_bytes: int) -> InboundMail:
    """Parse one RFC 5322 message (never raises on malformed input)."""
    raw = raw[:_MAX_RAW]
    try:
        msg = message_from_bytes(raw, policy=policy.default)
    except RecursionError:  # absurdly deep nesting: keep the headers, drop the body
        msg = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    name, address = parseaddr(_header(msg, "From"))
    sender = address.strip().lower() or None
    message_id = _header(msg, "Message-ID").strip()
    if not message_id:
        message_id = "<sha256-" + hashlib.sha256(raw).hexdigest()[:32] + "@lapor.invalid>"
    references = [
        a for _, a in getaddresses([_header(msg, "In-Reply-To"), _header(msg, "References")]) if a
    ]
    try:
        text = clean_text(trim_quoted(_body_text(msg)))[:_MAX_TEXT]
        images = _images(msg, max_bytes=max_image_bytes)
    except RecursionError:
        text, images = "", []
    return InboundMail(
        message_id=message_id,
        sender=sender,
        sender_name=clean_text(name) or None,
        subject=clean_text(_header(msg, "Subject")).replace("\n", " ")[:300],
        text=text,
        references=references,
        attachments=images,
        automatic=_automatic(msg, sender, own_addresses),
    )
