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
    ignored: Counter
    invalid: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> IntakeMetrics:
        """Register intake's metrics in `registry`."""
        received = Counter(
            "lapor_complaints_received_total",
            "Complaints accepted and stored, by channel.",
            ["channel"],
            registry=registry,
        )
        ignored = Counter(
            "lapor_inbound_ignored_total",
            "Inbound items that were not complaints (auto-replies, bounces...).",
            ["channel"],
            registry=registry,
        )
        invalid = Counter(
            "lapor_inbound_invalid_total",
            "Inbound items kept for review because they could not be understood.",
            ["channel"],
            registry=registry,
        )
        for channel in Channel:
            for counter in (received, ignored, invalid):
                counter.labels(channel=channel.value)
        return cls(received=received, ignored=ignored, invalid=invalid)
