"""A complaint's events as the services publish them, for tests of what consumes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.contracts.events import ComplaintAssigned, ComplaintReceived, ComplaintResponded
from shared.contracts.types import Channel, RoutingMethod, Status

__all__ = ["assigned", "received", "responded"]


def received(tid: str, at: datetime, **fields: Any) -> ComplaintReceived:
    """An SMS complaint received at `at`; `fields` sets others (text, channel, kecamatan...)."""
    defaults: dict[str, Any] = {"channel": Channel.SMS, "text": "Jalan rusak"}
    return ComplaintReceived(
        correlation_id=tid, tracking_id=tid, received_at=at, **{**defaults, **fields}
    )


def assigned(
    tid: str, at: datetime, opd: str = "DPUPR", *, received_at: datetime | None = None
) -> ComplaintAssigned:
    """Disposed by the operator to `opd` at `at`."""
    return ComplaintAssigned(
        correlation_id=tid,
        tracking_id=tid,
        opd=opd,
        opd_name=opd,
        status=Status.DIDISPOSISIKAN,
        method=RoutingMethod.OPERATOR,
        confidence=1.0,
        received_at=received_at or at,
        assigned_at=at,
    )


def responded(tid: str, at: datetime, opd: str = "DPUPR") -> ComplaintResponded:
    """The OPD's tindak lanjut at `at`."""
    return ComplaintResponded(
        correlation_id=tid,
        tracking_id=tid,
        opd=opd,
        opd_name=opd,
        response="Sudah ditambal",
        responded_at=at,
    )
