"""SMTP front of the local mail sandbox (development only).

Accepts mail on 127.0.0.1:2525 for recipients in the sandbox domains (default
``lapor.test``) and delivers it into Dovecot over LMTP (127.0.0.1:24024), where every
address has a mailbox readable over IMAP (127.0.0.1:1143, login = address, password
``lapor-dev``). Recipients in any other domain are rejected with 550, so nothing ever
leaves the machine. Any AUTH credentials are accepted (no TLS, loopback only).

Standard library + aiosmtpd only. Started and stopped by scripts/infra.sh:

    python deploy/local/mailsandbox.py [--host H] [--port P] [--lmtp-host H]
        [--lmtp-port P] [--domain D ...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import smtplib
import socket
from email.utils import formatdate
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult

log = logging.getLogger("mailsandbox")

HOSTNAME = "mailsandbox.lapor.test"


class LmtpRelay:
    """aiosmtpd handler: check recipients' domains, deliver accepted mail over LMTP."""

    def __init__(self, domains: set[str], lmtp_host: str, lmtp_port: int) -> None:
        self.domains = {d.lower().lstrip("@") for d in domains}
        self.lmtp_host = lmtp_host
        self.lmtp_port = lmtp_port

    async def handle_RCPT(
        self,
        server: Any,
        session: Any,
        envelope: Any,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        domain = address.rpartition("@")[2].lower()
        if not address.count("@") or domain not in self.domains:
            log.info("rejected recipient %s", address)
            accepted = ", @".join(sorted(self.domains))
            return f"550 5.1.1 <{address}>: relay denied, sandbox accepts only @{accepted}"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.content
        if isinstance(content, str):  # only when decode_data=True, kept for safety
            content = content.encode("utf-8", "surrogateescape")
        peer = session.peer[0] if session.peer else "unknown"
        received = (
            f"Received: from {session.host_name or 'unknown'} ([{peer}])\r\n"
            f"\tby {HOSTNAME} (lapor mail sandbox) with "
            f"{'ESMTP' if session.extended_smtp else 'SMTP'};\r\n"
            f"\t{formatdate(localtime=True)}\r\n"
        ).encode("ascii")
        try:
            refused = await asyncio.to_thread(
                self._deliver,
                envelope.mail_from or "",
                list(envelope.rcpt_tos),
                received + content,
                list(envelope.mail_options or []),
            )
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            log.warning("LMTP refused all recipients: %s", exc.recipients)
            if all(500 <= c < 600 for c in codes):
                return "550 5.1.1 recipients refused by the mailbox server"
            return "451 4.3.0 recipients temporarily refused by the mailbox server"
        except smtplib.SMTPResponseException as exc:
            log.warning("LMTP error %s %r", exc.smtp_code, exc.smtp_error)
            if 500 <= exc.smtp_code < 600:
                return "554 5.3.0 mailbox server rejected the message"
            return "451 4.3.0 mailbox server error, try again later"
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("LMTP unavailable at %s:%s: %s", self.lmtp_host, self.lmtp_port, exc)
            return "451 4.4.1 mailbox server unavailable, try again later"
        except Exception:
            log.exception("delivery failed")
            return "451 4.3.0 local error in delivery, try again later"
        delivered = [r for r in envelope.rcpt_tos if r not in refused]
        if refused:
            log.warning("LMTP refused some recipients: %s", refused)
        log.info(
            "delivered from=<%s> to=%s size=%d",
            envelope.mail_from,
            ",".join(delivered),
            len(content),
        )
        return "250 2.0.0 OK delivered"

    def _deliver(
        self, mail_from: str, rcpt_tos: list[str], data: bytes, mail_options: list[str]
    ) -> dict[str, tuple[int, bytes]]:
        """Deliver over LMTP, one transaction per recipient; returns the refused ones.

        One recipient per transaction because LMTP answers DATA once per recipient and
        smtplib.LMTP.sendmail reads only the first of those answers.
        """
        refused: dict[str, tuple[int, bytes]] = {}
        lmtp = smtplib.LMTP(self.lmtp_host, self.lmtp_port, timeout=30)
        try:
            lmtp.ehlo(HOSTNAME)
            options = [
                o
                for o in mail_options
                if (o.upper() == "SMTPUTF8" and lmtp.has_extn("smtputf8"))
                or (o.upper().startswith("BODY=") and lmtp.has_extn("8bitmime"))
            ]
            for rcpt in rcpt_tos:
                # Dovecot 2.3's LMTP does not advertise SMTPUTF8; send UTF-8 addresses raw
                # rather than failing (smtplib would refuse to encode them as ASCII; and
                # its rset() resets this).
                lmtp.command_encoding = "utf-8"
                try:
                    lmtp.sendmail(mail_from, [rcpt], data, mail_options=options)
                except smtplib.SMTPRecipientsRefused as exc:
                    refused.update(exc.recipients)
                except smtplib.SMTPDataError as exc:
                    err = exc.smtp_error
                    refused[rcpt] = (exc.smtp_code, err if isinstance(err, bytes) else err.encode())
        finally:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                lmtp.quit()
        if len(refused) == len(rcpt_tos):
            raise smtplib.SMTPRecipientsRefused(refused)
        return refused


def accept_any_auth(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> Any:
    """Clients configured with credentials may log in with anything."""
    return AuthResult(success=True)


async def serve(args: argparse.Namespace) -> None:
    handler = LmtpRelay(set(args.domain or ["lapor.test"]), args.lmtp_host, args.lmtp_port)

    def factory() -> Any:
        return SMTP(
            handler,
            hostname=HOSTNAME,
            enable_SMTPUTF8=True,
            decode_data=False,
            data_size_limit=args.max_size,
            authenticator=accept_any_auth,
            auth_require_tls=False,
        )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        factory, host=args.host, port=args.port, family=socket.AF_INET, reuse_address=True
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info(
        "listening on %s:%s, delivering @%s via LMTP %s:%s",
        args.host,
        args.port,
        ", @".join(sorted(handler.domains)),
        args.lmtp_host,
        args.lmtp_port,
    )
    async with server:
        await stop.wait()
    log.info("stopped")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--lmtp-host", default="127.0.0.1")
    parser.add_argument("--lmtp-port", type=int, default=24024)
    parser.add_argument("--domain", action="append", help="accepted recipient domain (repeatable)")
    parser.add_argument("--max-size", type=int, default=32 * 1024 * 1024)
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-connection chatter
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
