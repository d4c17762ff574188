"""Inbound SMS: the gateway webhooks, and what a text means.

`LAPOR <aduan>` (the keyword is optional) is a complaint; `CEK <tracking ID>` asks for the
status; `NILAI <1-5> [tracking ID]` rates a complaint; a text carrying a tracking ID of a
complaint sent from the same number is a follow-up on it. Unicode and emoji are kept.
"""

import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.intake.intents import (
    FollowUp,
    Intent,
    Invalid,
    NewComplaint,
    Rating,
    StatusRequest,
)
from services.intake.model import Submission, clean_text, normalise_phone
from services.intake.service import IntakeService, Outcome
from shared.contracts.types import Channel
from shared.ratelimit import RateLimiter
from shared.store.complaints import Reporter

__all__ = ["ParsedSms", "build_sms_api", "find_tracking_ids", "parse_sms"]

_TRACKING = re.compile(r"\bLPR[\s-]?(\d{6})[\s-]?([0-9A-Z]{4,8})\b", re.IGNORECASE | re.ASCII)


def find_tracking_ids(text: str) -> list[str]:
    """Tracking IDs mentioned in a text, normalised (`lpr 261128 7qk2m` -> `LPR-261128-7QK2M`)."""
    return [f"LPR-{day}-{code.upper()}" for day, code in _TRACKING.findall(text)]


@dataclass(frozen=True)
class ParsedSms:
    """The parts of a text that decide what it means."""

    command: str | None  # "CEK", "NILAI" or None
    body: str
    tracking_ids: list[str]
    score: int | None = None


def _first_word(text: str) -> tuple[str, str]:
    parts = text.split(maxsplit=1)
    return (parts[0], parts[1].strip()) if len(parts) == 2 else (text.strip(), "")


def parse_sms(text: str, *, keyword: str = "LAPOR") -> ParsedSms:
    """Strip the keyword, recognise commands, find tracking IDs."""
    body = clean_text(text)
    first, rest = _first_word(body)
    if first.upper().rstrip(":.,") == keyword.upper():
        body = rest
        first, rest = _first_word(body)
    ids = find_tracking_ids(body)
    command = first.upper().rstrip(":.,")
    if command == "CEK":
        return ParsedSms(command="CEK", body=rest.strip(), tracking_ids=ids)
    if command == "NILAI":
        match = re.match(r"\s*([0-9]{1,3})\b", rest, re.ASCII)
        score = int(match.group(1)) if match else None
        return ParsedSms(command="NILAI", body=rest.strip(), tracking_ids=ids, score=score)
    return ParsedSms(command=None, body=body, tracking_ids=ids)


class InboundSms(BaseModel):
    """`POST /sms/inbound` from an HTTP SMS gateway. Unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    sender: str = Field(alias="from", min_length=1, max_length=64)
    to: str = Field(default="", max_length=64)
    text: str = Field(max_length=10000)
    message_id: str = Field(min_length=1, max_length=200)
    received_at: AwareDatetime | None = None


@dataclass(frozen=True)
class SmsChannel:
    """Turns an inbound SMS into an intent for the intake use case."""

    service: IntakeService
    keyword: str
    region: str
    limiter: RateLimiter | None = None

    async def handle(
        self,
        *,
        sender: str,
        to: str,
        text: str,
        message_id: str,
        received_at: datetime | None = None,
    ) -> Outcome:
        """Store raw, interpret, act (idempotent on the gateway's message id)."""
        phone = normalise_phone(sender, region=self.region)
        source_key = f"sms:{message_id}"

        async def interpret() -> Intent:
            if self.limiter is not None and not self.limiter.allow(phone):
                return Invalid("rate limited: too many messages from this number")
            return await self._interpret(parse_sms(text, keyword=self.keyword), phone, source_key)

        payload = {
            "from": sender,
            "to": to,
            "text": text,
            "message_id": message_id,
            "received_at": received_at.isoformat() if received_at else None,
        }
        return await self.service.receive(
            source_key=source_key, channel=Channel.SMS, payload=payload, interpret=interpret
        )

    async def _interpret(self, sms: ParsedSms, phone: str, source_key: str) -> Intent:
        first_id = sms.tracking_ids[0] if sms.tracking_ids else None
        if sms.command == "CEK":
            return StatusRequest(tracking_id=first_id, reply_to=phone)
        if sms.command == "NILAI":
            if sms.score is None or not 1 <= sms.score <= 5:
                return Invalid("NILAI harus 1 sampai 5")
            tracking_id = first_id or await self.service.store.latest_of_reporter(
                phone=phone, email=None
            )
            return Rating(tracking_id=tracking_id, score=sms.score, phone=phone)
        if not sms.body:
            return Invalid("pesan kosong")
        for tracking_id in sms.tracking_ids:
            if await self.service.complaint_of_reporter(tracking_id=tracking_id, phone=phone):
                return FollowUp(tracking_id=tracking_id, text=sms.body)
        return NewComplaint(
            Submission(
                channel=Channel.SMS,
                text=sms.body,
                source_key=source_key,
                reporter=Reporter(phone=phone),
            )
        )


def build_sms_api(channel: SmsChannel, *, token: str | None) -> APIRouter:
    """`GET /sms/kannel` (Kannel get-url) and `POST /sms/inbound` (JSON gateways)."""
    router = APIRouter(prefix="/sms", tags=["sms"])

    def check_token(
        request: Request, x_lapor_token: Annotated[str | None, Header()] = None
    ) -> None:
        if token is None:
            return
        presented = x_lapor_token or request.query_params.get("token") or ""
        if not hmac.compare_digest(presented.encode(), token.encode()):
            raise HTTPException(401, "Token webhook tidak valid")

    Authorised = Annotated[None, Depends(check_token)]

    @router.get("/kannel", response_class=PlainTextResponse)
    async def kannel_get_url(
        _: Authorised,
        sender: Annotated[str, Query(alias="from", min_length=1, max_length=64)],
        text: Annotated[str, Query(max_length=10000)],
        message_id: Annotated[str, Query(alias="id", min_length=1, max_length=200)],
        to: Annotated[str, Query(max_length=64)] = "",
    ) -> PlainTextResponse:
        """Kannel sms-service get-url (`from=%p&to=%P&text=%a&id=%I`); replies go via notify."""
        await channel.handle(sender=sender, to=to, text=text, message_id=message_id)
        return PlainTextResponse("", status_code=200)

    @router.post("/inbound")
    async def json_inbound(_: Authorised, body: InboundSms) -> JSONResponse:
        """JSON `{"from", "to", "text", "message_id", "received_at"?}` from an HTTP gateway."""
        outcome = await channel.handle(
            sender=body.sender,
            to=body.to,
            text=body.text,
            message_id=body.message_id,
            received_at=body.received_at,
        )
        return JSONResponse({"status": outcome.kind})

    return router
