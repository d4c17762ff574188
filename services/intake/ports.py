"""What intake's use cases need from the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from shared.contracts.types import Channel, Stage
from shared.mongo import Document
from shared.store.cases import CaseDocument
from shared.store.complaints import Attachment, ComplaintDocument

__all__ = [
    "AttachmentStore",
    "ComplaintRecord",
    "ComplaintStore",
    "DuplicateSubmission",
    "EventRelay",
    "InboundStore",
    "IntakeError",
    "InvalidAttachment",
    "TrackingIdTaken",
    "Unavailable",
]


class IntakeError(Exception):
    """Base of intake's errors."""


class TrackingIdTaken(IntakeError):
    """The random tracking ID collided with an existing one (try another)."""


class DuplicateSubmission(IntakeError):
    """The same submission (same source key) was accepted before."""

    def __init__(self, tracking_id: str | None) -> None:
        super().__init__(tracking_id or "in progress")
        self.tracking_id = tracking_id


class Unavailable(IntakeError):
    """The store or the broker cannot be reached: nothing was written."""


class InvalidAttachment(IntakeError):
    """An upload that is not an accepted image, or too large."""


@dataclass(frozen=True)
class ComplaintRecord:
    """Everything known about a complaint, from the collections of the services that own it."""

    complaint: ComplaintDocument
    case: CaseDocument | None
    deadlines: dict[Stage, datetime]


class ComplaintStore(Protocol):
    """Durable complaint records (intake writes `complaints`, `followups`, `ratings`)."""

    async def insert(self, complaint: ComplaintDocument, *, outbox: list[Document]) -> None:
        """Store a new complaint with its pending events.

        TrackingIdTaken on an ID collision; DuplicateSubmission if its source key exists.
        """

    async def load_record(self, tracking_id: str) -> ComplaintRecord | None:
        """The complaint with its case and deadlines as they stand, or None."""

    async def find_by_source(self, source_key: str) -> str | None:
        """The tracking ID of the complaint made from this source, or None."""

    async def latest_of_reporter(self, *, phone: str | None, email: str | None) -> str | None:
        """The most recent complaint of this phone number or address."""

    async def add_follow_up(
        self,
        *,
        source_key: str,
        tracking_id: str,
        channel: Channel,
        text: str,
        received_at: datetime,
        outbox: list[Document],
    ) -> bool:
        """Store a reporter's follow-up once (False if this source was stored already)."""

    async def set_rating(
        self,
        *,
        tracking_id: str,
        score: int,
        channel: Channel,
        rated_at: datetime,
        outbox: list[Document],
    ) -> None:
        """Store (replace) the reporter's rating of a complaint."""


class InboundStore(Protocol):
    """Every raw inbound item, stored before anything else so nothing is ever lost."""

    async def record(
        self, *, source_key: str, channel: Channel, payload: dict[str, Any], received_at: datetime
    ) -> str | None:
        """Store the raw item: None when new, else the outcome recorded for it before."""

    async def settle(
        self,
        *,
        source_key: str,
        outcome: str,
        tracking_id: str | None = None,
        reason: str | None = None,
        outbox: list[Document] | None = None,
    ) -> None:
        """Record what became of it: complaint, follow_up, rating, status, ignored, invalid.

        `outbox`: events to publish with it (a status request's answer, say).
        """


class AttachmentStore(Protocol):
    """Photos and other files, stored durably apart from messages."""

    async def save(self, *, data: bytes, content_type: str, filename: str | None) -> Attachment:
        """Store the file; the reference to keep with the complaint."""


class EventRelay(Protocol):
    """Publishes a document's pending events."""

    async def flush(self, doc_id: str, *, collection: str) -> int:
        """Publish what is pending for this document of `collection` now."""

    async def broker_ready(self) -> bool:
        """Whether the broker connection is up right now."""
