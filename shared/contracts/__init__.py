"""The wire schema: events (past tense) published on the broker. Contracts only grow."""

from shared.contracts.events import (
    ComplaintAssigned,
    ComplaintHeldForVerification,
    ComplaintReceived,
    ComplaintResolved,
    ComplaintResponded,
    ComplaintStatusChanged,
    Event,
    OpdAssignment,
    ReporterView,
)
from shared.contracts.types import Channel, RoutingMethod, Stage, Status

__all__ = [
    "Channel",
    "ComplaintAssigned",
    "ComplaintHeldForVerification",
    "ComplaintReceived",
    "ComplaintResolved",
    "ComplaintResponded",
    "ComplaintStatusChanged",
    "Event",
    "OpdAssignment",
    "ReporterView",
    "RoutingMethod",
    "Stage",
    "Status",
]
