"""Reporter emails, in Bahasa Indonesia. Every mail after the first threads on the first."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

__all__ = ["MailIdentity", "ReporterMail", "compose_email", "message_id_for"]


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


@dataclass(frozen=True)
class ReporterMail:
    """One mail's content."""

    kind: str
    tracking_id: str
    subject: str
    paragraphs: tuple[str, ...]


def message_id_for(*, kind: str, tracking_id: str, domain: str) -> str:
    """A stable Message-ID, so the same notification always has the same ID."""
    return f"<{tracking_id.lower()}.{kind}@{domain}>"


def compose_email(
    *, mail: ReporterMail, to: str, to_name: str | None, identity: MailIdentity, now: datetime
) -> EmailMessage:
    """A multipart (text and HTML) mail marked automatic, threaded on the acknowledgement."""
    msg = EmailMessage()
    msg["From"] = formataddr((identity.sender_name, identity.sender))
    msg["To"] = formataddr((to_name or "", to))
    msg["Reply-To"] = identity.reply_to
    msg["Subject"] = f"[{mail.tracking_id}] {mail.subject}"
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id_for(
        kind=mail.kind, tracking_id=mail.tracking_id, domain=identity.domain
    )
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Lapor-Tracking-Id"] = mail.tracking_id
    if mail.kind != "diterima":
        first = message_id_for(
            kind="diterima", tracking_id=mail.tracking_id, domain=identity.domain
        )
        msg["In-Reply-To"] = first
        msg["References"] = first
    greeting = f"Yth. {to_name}," if to_name else "Yth. Pelapor,"
    closing = (
        "Balas email ini bila ada yang ingin Anda tambahkan; sebutkan nomor "
        f"pelacakan {mail.tracking_id}."
    )
    body = [greeting, *mail.paragraphs, closing, identity.sender_name]
    msg.set_content("\n\n".join(body) + "\n", charset="utf-8")
    html_body = "".join(f"<p>{html.escape(p)}</p>" for p in body)
    msg.add_alternative(
        f'<!doctype html><html lang="id"><body>{html_body}</body></html>',
        subtype="html",
        charset="utf-8",
    )
    return msg


def acknowledgement(*, tracking_id: str, status_url: str) -> ReporterMail:
    """Laporan diterima."""
    return ReporterMail(
        kind="diterima",
        tracking_id=tracking_id,
        subject="Laporan Anda telah diterima",
        paragraphs=(
            f"Terima kasih. Laporan Anda telah kami terima dengan nomor pelacakan {tracking_id}.",
            "Laporan akan diverifikasi paling lambat 3 hari kerja, lalu diteruskan ke instansi "
            "yang berwenang. Kami akan mengabari Anda di setiap tahap.",
            f"Cek status laporan: {status_url}",
        ),
    )


def assignment(
    *, tracking_id: str, agency_name: str, external: bool, status_url: str
) -> ReporterMail:
    """Laporan didisposisikan (OPD) or diteruskan (external body)."""
    if external:
        kind, subject = "diteruskan", "Laporan Anda diteruskan"
        text = (
            f"Laporan Anda telah diteruskan kepada {agency_name}, instansi di luar "
            "Pemerintah Kabupaten yang berwenang menanganinya."
        )
    else:
        kind, subject = "didisposisikan", "Laporan Anda sedang ditangani"
        text = (
            f"Laporan Anda telah diverifikasi dan didisposisikan kepada {agency_name}, "
            "yang akan menindaklanjutinya paling lambat 5 hari kerja."
        )
    return ReporterMail(
        kind=kind,
        tracking_id=tracking_id,
        subject=subject,
        paragraphs=(text, f"Cek status laporan: {status_url}"),
    )
