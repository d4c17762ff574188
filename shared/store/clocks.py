"""Stage deadlines: the `sla_clocks` collection, written only by the SLA service."""

from __future__ import annotations

from datetime import datetime

from shared.contracts.types import Stage
from shared.mongo import Collection, Document

__all__ = ["deadlines_from", "load_deadlines"]


def deadlines_from(doc: Document | None) -> dict[Stage, datetime]:
    """Each started stage's due instant in an `sla_clocks` document."""
    stages = (doc or {}).get("stages") or {}
    known = {s.value for s in Stage}
    return {
        Stage(name): stage["due_at"]
        for name, stage in stages.items()
        if name in known and "due_at" in stage
    }


async def load_deadlines(collection: Collection, tracking_id: str) -> dict[Stage, datetime]:
    """Each started stage's due instant for a complaint (empty when none)."""
    return deadlines_from(await collection.find_one({"_id": tracking_id}, {"stages": 1}))
