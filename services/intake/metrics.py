"""Intake's Prometheus metrics (bounded labels only)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter

from shared.contracts.types import Channel

__all__ = ["IntakeMetrics"]


@dataclass(frozen=True)
class IntakeMetrics:
    """Counters intake moves."""

    received: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> IntakeMetrics:
        """Register intake's metrics in `registry`."""
        received = Counter(
            "lapor_complaints_received_total",
            "Complaints accepted and stored, by channel.",
            ["channel"],
            registry=registry,
        )
        for channel in Channel:
            received.labels(channel=channel.value)
        return cls(received=received)
