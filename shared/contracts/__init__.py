"""The wire schema: events (past tense) published on the broker. Contracts only grow."""

from shared.contracts.events import (
    CloseComplaint,
    ComplaintAssigned,
    ComplaintFollowUpReceived,
    ComplaintHeldForVerification,
    ComplaintRated,
    ComplaintReceived,
    ComplaintResolved,
    ComplaintResponded,
    ComplaintStatusChanged,
    Event,
    OpdAssignment,
    ReporterView,
    SlaBreached,
    SlaEscalated,
    SlaReminderDue,
    StatusRequested,
)
from shared.contracts.types import Channel, RoutingMethod, Stage, Status

__all__ = [
    "Channel",
    "CloseComplaint",
    "ComplaintAssigned",
    "ComplaintFollowUpReceived",
    "ComplaintHeldForVerification",
    "ComplaintRated",
    "ComplaintReceived",
    "ComplaintResolved",
    "ComplaintResponded",
    "ComplaintStatusChanged",
    "Event",
    "OpdAssignment",
    "ReporterView",
    "RoutingMethod",
    "SlaBreached",
    "SlaEscalated",
    "SlaReminderDue",
    "Stage",
    "Status",
    "StatusRequested",
]
