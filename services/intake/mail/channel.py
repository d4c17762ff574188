"""What an inbound mail means: a complaint, a follow-up, a rating, or nothing for us."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from services.intake.intents import FollowUp, Ignore, Intent, NewComplaint, Rating
from services.intake.mail.parse import InboundMail, parse_mail
from services.intake.model import Submission, normalise_email
from services.intake.ports import AttachmentStore
from services.intake.service import IntakeService, Outcome
from services.intake.sms import find_tracking_ids
from shared.contracts.types import Channel
from shared.store.complaints import Attachment, Reporter

__all__ = ["EmailChannel"]

_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|bls|balas|tr)\s*:\s*)+", re.IGNORECASE)
_OUR_MESSAGE_ID = re.compile(r"<(lpr-\d{6}-[0-9a-z]{4,8})\.", re.IGNORECASE | re.ASCII)
_RATING = re.compile(r"^\s*NILAI\s*:?\s*([0-9]{1,3})\b", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True)
class EmailChannel:
    """Turns one raw mail into an intent for the intake use case."""

    service: IntakeService
    attachments: AttachmentStore
    own_addresses: frozenset[str]
    max_image_bytes: int

    async def handle(self, raw: bytes) -> Outcome:
        """Store raw, interpret, act (idempotent on the Message-ID)."""
        # Off the event loop: some legal but huge headers take seconds to parse.
        mail = await asyncio.to_thread(
            parse_mail,
            raw,
            own_addresses=set(self.own_addresses),
            max_image_bytes=self.max_image_bytes,
        )
        source_key = f"email:{mail.message_id}"

        async def interpret() -> Intent:
            return await self._interpret(mail, source_key)

        payload = {
            "message_id": mail.message_id,
            "subject": mail.subject,
            "raw": raw.decode("utf-8", "replace")[:200_000],
        }
        return await self.service.receive(
            source_key=source_key, channel=Channel.EMAIL, payload=payload, interpret=interpret
        )

    async def _interpret(self, mail: InboundMail, source_key: str) -> Intent:
        if mail.automatic:
            return Ignore(mail.automatic)
        sender = normalise_email(mail.sender or "")
        if sender is None:
            return Ignore("no valid sender address")
        subject = _REPLY_PREFIX.sub("", mail.subject).strip()
        mentioned = self._tracking_ids(mail, subject)
        rating = _RATING.match(mail.text)
        if rating:
            tracking_id = next(
                iter(mentioned), None
            ) or await self.service.store.latest_of_reporter(phone=None, email=sender)
            return (
                Rating(tracking_id=tracking_id, score=int(rating.group(1)), email=sender)
                if 1 <= int(rating.group(1)) <= 5
                else Ignore("rating outside 1-5")
            )
        for tracking_id in mentioned:
            if await self.service.complaint_of_reporter(tracking_id=tracking_id, email=sender):
                return FollowUp(tracking_id=tracking_id, text=mail.text or subject)
        text = mail.text or subject
        if not text:
            return Ignore("empty mail")
        return NewComplaint(
            Submission(
                channel=Channel.EMAIL,
                text=text,
                title=subject or None,
                source_key=source_key,
                reporter=Reporter(name=mail.sender_name, email=sender),
                attachments=tuple(await self._store_images(mail)),
            )
        )

    @staticmethod
    def _tracking_ids(mail: InboundMail, subject: str) -> list[str]:
        found = find_tracking_ids(subject) + find_tracking_ids(mail.text)
        for reference in mail.references:
            match = _OUR_MESSAGE_ID.search(f"<{reference}>")
            if match:
                found.append(match.group(1).upper())
        return list(dict.fromkeys(found))

    async def _store_images(self, mail: InboundMail) -> list[Attachment]:
        return [
            await self.attachments.save(
                data=a.data, content_type=a.content_type, filename=a.filename
            )
            for a in mail.attachments
        ]
