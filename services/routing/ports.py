"""What routing's use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from services.routing.model import Prediction
from shared.contracts.types import Stage, Status
from shared.mongo import Document
from shared.store.cases import CaseDocument, HistoryEntry, RoutingDecision
from shared.store.complaints import ComplaintDocument

__all__ = [
    "CaseNotFound",
    "CaseStore",
    "Classifier",
    "EventRelay",
    "Forbidden",
    "InvalidTransition",
    "RoutingError",
    "UnknownAgency",
]


class RoutingError(Exception):
    """Base of routing's errors."""


class CaseNotFound(RoutingError):
    """No such case (or not yet: the complaint may still be on its way)."""


class Forbidden(RoutingError):
    """The principal may not act on this case."""


class UnknownAgency(RoutingError):
    """The agency code is not in the directory."""


class InvalidTransition(RoutingError):
    """The case's state does not allow this action."""

    def __init__(self, *, action: str, status: Status) -> None:
        super().__init__(f"{action} is not allowed while the case is {status.value}")
        self.action = action
        self.status = status


class Classifier(Protocol):
    """Chooses an agency for a text."""

    def classify(self, text: str) -> Prediction:
        """The most likely agency and the confidence in it."""


class CaseStore(Protocol):
    """Cases (written by routing only) and what it reads beside them.

    Callers hold the case's lock around a load-decide-write sequence.
    """

    async def load_complaint(self, tracking_id: str) -> ComplaintDocument | None:
        """The complaint as intake stored it, or None."""

    async def load_case(self, tracking_id: str) -> CaseDocument | None:
        """The case, or None."""

    async def open_case(self, case: CaseDocument, *, outbox: Sequence[Document] = ()) -> bool:
        """Create the case with its pending events unless it exists; whether it was created."""

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

    async def change_case(
        self,
        *,
        tracking_id: str,
        expect_status: Status,
        set_fields: dict[str, Any],
        history: HistoryEntry,
        outbox: Sequence[Document],
    ) -> bool:
        """Apply a staff action with its events; False if the status moved meanwhile."""

    async def list_cases(
        self, *, statuses: Sequence[Status], opd: str | None = None, limit: int = 500
    ) -> list[CaseDocument]:
        """Cases in these statuses (of one agency when given), oldest first."""

    async def deadlines_of(self, tracking_ids: Sequence[str]) -> dict[str, dict[Stage, datetime]]:
        """Stage deadlines per case, as the SLA service recorded them."""

    async def keep_label(self, *, tracking_id: str, text: str, opd: str, at: datetime) -> None:
        """Keep a human routing decision as a labelled example for retraining."""


class EventRelay(Protocol):
    """Publishes a case's pending events."""

    async def flush(self, doc_id: str) -> int:
        """Publish what is pending for this case now (takes the case's lock)."""
