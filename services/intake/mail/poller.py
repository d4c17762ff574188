"""Polls the intake mailbox over IMAP (IDLE where the server offers it).

Each new mail is handled, then flagged `$LaporDiproses` and moved to the processed
mailbox (never deleted). A mail whose handling failed (store or broker away) stays
unflagged and is tried again at the next pass; handling is idempotent on the Message-ID,
so a crash between handling and flagging repeats nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import aioimaplib

from services.intake.mail.channel import EmailChannel
from services.intake.ports import Unavailable

__all__ = ["ImapConfig", "MailboxPoller"]

log = logging.getLogger(__name__)
PROCESSED_FLAG = "$LaporDiproses"
REVIEW_MAILBOX = "Perlu-Ditinjau"


@dataclass(frozen=True)
class ImapConfig:
    """Where the intake mailbox is."""

    host: str
    port: int
    security: str  # none, starttls, tls
    username: str
    password: str
    mailbox: str
    processed_mailbox: str
    poll_seconds: float


class ImapError(RuntimeError):
    """The IMAP server refused a command."""


def _check(response: aioimaplib.Response, what: str) -> aioimaplib.Response:
    if response.result != "OK":
        raise ImapError(f"{what}: {response.result}")
    return response


@dataclass
class MailboxPoller:
    """One IMAP session at a time; reconnects with backoff."""

    channel: EmailChannel
    config: ImapConfig

    async def run(self) -> None:
        """Poll forever (until cancelled)."""
        backoff = 1.0
        while True:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("imap session ended: %s: %s", type(exc).__name__, exc)
            await asyncio.sleep(backoff)
            backoff = min(60.0, backoff * 2)

    async def _connect(self) -> aioimaplib.IMAP4:
        c = self.config
        client: aioimaplib.IMAP4
        if c.security == "tls":
            client = aioimaplib.IMAP4_SSL(host=c.host, port=c.port, timeout=30)
        else:
            client = aioimaplib.IMAP4(host=c.host, port=c.port, timeout=30)
        await client.wait_hello_from_server()
        if c.security == "starttls":
            _check(await client.starttls(), "STARTTLS")
        _check(await client.login(c.username, c.password), "LOGIN")
        with contextlib.suppress(aioimaplib.Abort, ImapError):
            await client.create(c.processed_mailbox)  # exists already: NO, which is fine
        _check(await client.select(c.mailbox), "SELECT")
        return client

    async def _session(self) -> None:
        client = await self._connect()
        try:
            while True:
                await self.poll_once(client)
                await self._wait_for_news(client)
        finally:
            # Bounded: on shutdown the session may be in IDLE, where LOGOUT is not answered.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(client.logout()), timeout=2)

    async def _wait_for_news(self, client: aioimaplib.IMAP4) -> None:
        seconds = self.config.poll_seconds
        if not client.has_capability("IDLE"):
            await asyncio.sleep(seconds)
            return
        idle = await client.idle_start(timeout=seconds)
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
            await client.wait_server_push(timeout=seconds)
        client.idle_done()
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
            await asyncio.wait_for(idle, timeout=10)

    async def poll_once(self, client: aioimaplib.IMAP4) -> int:
        """Handle every mail not yet processed; returns how many were handled."""
        found = _check(await client.uid_search(f"UNKEYWORD {PROCESSED_FLAG}"), "SEARCH")
        uids = [u for line in found.lines[:1] for u in line.decode().split() if u.isdigit()]
        handled = 0
        for uid in uids:
            raw = await self._fetch(client, uid)
            if raw is None:
                continue
            try:
                outcome = await self.channel.handle(raw)
            except Unavailable:
                log.warning("store or broker unavailable; mail left for the next pass")
                return handled
            except Exception as exc:
                log.error("mail could not be handled; moved for review: %s", type(exc).__name__)
                await self._set_aside(client, uid)
                continue
            log.info(
                "mail handled", extra={"outcome": outcome.kind, "tracking_id": outcome.tracking_id}
            )
            await self._mark_processed(client, uid)
            handled += 1
        return handled

    @staticmethod
    async def _fetch(client: aioimaplib.IMAP4, uid: str) -> bytes | None:
        response = _check(await client.uid("fetch", uid, "(BODY.PEEK[])"), "FETCH")
        for line in response.lines:
            if isinstance(line, bytearray):
                return bytes(line)
        return None

    async def _set_aside(self, client: aioimaplib.IMAP4, uid: str) -> None:
        """Flag and move a mail that could not be handled, for a person (never deleted)."""
        _check(await client.uid("store", uid, "+FLAGS", f"({PROCESSED_FLAG} $LaporGagal)"), "STORE")
        if client.has_capability("MOVE"):
            with contextlib.suppress(aioimaplib.Abort, ImapError):
                await client.create(REVIEW_MAILBOX)
            _check(await client.uid("move", uid, REVIEW_MAILBOX), "MOVE")

    async def _mark_processed(self, client: aioimaplib.IMAP4, uid: str) -> None:
        _check(await client.uid("store", uid, "+FLAGS", f"(\\Seen {PROCESSED_FLAG})"), "STORE")
        if client.has_capability("MOVE"):
            _check(await client.uid("move", uid, self.config.processed_mailbox), "MOVE")
