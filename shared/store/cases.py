"""The case: where a complaint stands. The `cases` collection, written only by routing.

`_id` is the tracking ID. Routing holds a per-case lock around every update (see
`shared.locks`); the document carries routing's outbox, so a state change and its events
are one single-document write.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.contracts.types import Channel, RoutingMethod, Status
from shared.mongo import Collection, Document, update_one_where

__all__ = [
    "CaseDocument",
    "HistoryEntry",
    "RoutingDecision",
    "apply_case_change",
    "load_case",
]


class RoutingDecision(BaseModel):
    """How the agency was chosen, or suggested when a human must decide."""

    model_config = ConfigDict(frozen=True)

    method: RoutingMethod
    confidence: float
    suggested_opd: str | None = None
    decided_at: AwareDatetime


class HistoryEntry(BaseModel):
    """One step in the case's life; `public` entries appear on the status page."""

    model_config = ConfigDict(frozen=True)

    at: AwareDatetime
    status: Status
    actor: str
    action: str = "status"
    note: str | None = None
    public: bool = True


class CaseDocument(BaseModel):
    """The stored case."""

    model_config = ConfigDict(extra="ignore")

    tracking_id: str
    channel: Channel
    anonymous: bool = False
    confidential: bool = False
    status: Status = Status.BELUM_TERVERIFIKASI
    opd: str | None = None
    routing: RoutingDecision | None = None
    status_before_hold: Status | None = None
    responses: int = 0
    history: list[HistoryEntry] = Field(default_factory=list)
    received_at: AwareDatetime
    updated_at: AwareDatetime

    def to_mongo(self) -> Document:
        """The insertable document, with an empty outbox."""
        doc = self.model_dump(mode="python")
        doc["_id"] = self.tracking_id
        doc["outbox"] = []
        return doc


async def load_case(collection: Collection, tracking_id: str) -> CaseDocument | None:
    """The case with this tracking ID, or None."""
    doc = await collection.find_one({"_id": tracking_id}, {"outbox": 0})
    return None if doc is None else CaseDocument.model_validate(doc)


async def apply_case_change(
    collection: Collection,
    *,
    tracking_id: str,
    expect_status: Sequence[Status] | None,
    set_fields: dict[str, Any],
    expect_unrouted: bool = False,
    history: HistoryEntry | None = None,
    outbox: Sequence[Document] = (),
) -> bool:
    """Change a case and queue its events in one write; False if the state did not match.

    The caller holds the case's lock (FerretDB v1 does not apply updates atomically).
    """
    where: Document = {}
    if expect_status is not None:
        where["status"] = {"$in": [s.value for s in expect_status]}
    if expect_unrouted:
        where["routing"] = None
    update: Document = {"$set": {**set_fields, "updated_at": datetime.now(UTC)}}
    push: Document = {}
    if history is not None:
        push["history"] = history.model_dump(mode="python")
    if outbox:
        push["outbox"] = {"$each": list(outbox)}
    if push:
        update["$push"] = push
    return await update_one_where(collection, doc_id=tracking_id, where=where, update=update)
