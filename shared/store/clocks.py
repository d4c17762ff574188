"""Stage deadlines: the `sla_clocks` collection, written only by the SLA service."""

from __future__ import annotations

from datetime import datetime

from shared.contracts.types import Stage
from shared.mongo import Collection

__all__ = ["load_deadlines"]


async def load_deadlines(collection: Collection, tracking_id: str) -> dict[Stage, datetime]:
    """Each started stage's due instant for a complaint (empty when none)."""
    doc = await collection.find_one({"_id": tracking_id}, {"stages": 1})
    stages = (doc or {}).get("stages") or {}
    return {
        Stage(name): stage["due_at"]
        for name, stage in stages.items()
        if name in Stage.__members__.values() and "due_at" in stage
    }
