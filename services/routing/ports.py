"""What routing's use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from services.routing.classifier import Prediction
from shared.contracts.types import Status
from shared.mongo import Document
from shared.store.cases import CaseDocument, HistoryEntry, RoutingDecision
from shared.store.complaints import ComplaintDocument

__all__ = ["CaseStore", "Classifier", "EventRelay", "RoutingError"]


class RoutingError(Exception):
    """Base of routing's errors."""


class Classifier(Protocol):
    """Chooses an agency for a text."""

    def classify(self, text: str) -> Prediction:
        """The most likely agency and the confidence in it."""


class CaseStore(Protocol):
    """Cases (written by routing only) and the complaints they are about (read only).

    Callers hold the case's lock around a load-decide-write sequence.
    """

    async def load_complaint(self, tracking_id: str) -> ComplaintDocument | None:
        """The complaint as intake stored it, or None."""

    async def load_case(self, tracking_id: str) -> CaseDocument | None:
        """The case, or None."""

    async def open_case(self, case: CaseDocument) -> None:
        """Create the case unless it exists already."""

    async def record_routing(
        self,
        *,
        tracking_id: str,
        status: Status,
        opd: str | None,
        decision: RoutingDecision,
        history: HistoryEntry,
        outbox: Sequence[Document],
    ) -> bool:
        """Record a first routing decision with its events; False if already routed."""


class EventRelay(Protocol):
    """Publishes a case's pending events."""

    async def flush(self, doc_id: str) -> int:
        """Publish what is pending for this case now (takes the case's lock)."""
