"""What intake's use cases need from the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.contracts.types import Stage
from shared.mongo import Document
from shared.store.cases import CaseDocument
from shared.store.complaints import ComplaintDocument


@dataclass(frozen=True)
class ComplaintRecord:
    """Everything known about a complaint, from the collections of the services that own it."""

    complaint: ComplaintDocument
    case: CaseDocument | None
    deadlines: dict[Stage, datetime]


__all__ = [
    "ComplaintRecord",
    "ComplaintStore",
    "EventRelay",
    "IntakeError",
    "TrackingIdTaken",
    "Unavailable",
]


class IntakeError(Exception):
    """Base of intake's errors."""


class TrackingIdTaken(IntakeError):
    """The random tracking ID collided with an existing one (try another)."""


class Unavailable(IntakeError):
    """The store or the broker cannot be reached: nothing was written."""


class ComplaintStore(Protocol):
    """Durable complaint records."""

    async def insert(self, complaint: ComplaintDocument, *, outbox: list[Document]) -> None:
        """Store a new complaint with its pending events; TrackingIdTaken on collision."""

    async def load_record(self, tracking_id: str) -> ComplaintRecord | None:
        """The complaint with its case and deadlines as they stand, or None."""


class EventRelay(Protocol):
    """Publishes a complaint's pending events."""

    async def flush(self, doc_id: str) -> int:
        """Publish what is pending for this complaint now; returns the count."""

    async def broker_ready(self) -> bool:
        """Whether the broker connection is up right now."""
