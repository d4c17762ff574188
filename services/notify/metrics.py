"""Notify's Prometheus metrics (bounded labels only)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter

__all__ = ["NotifyMetrics"]


@dataclass(frozen=True)
class NotifyMetrics:
    """Notification outcomes per channel."""

    sent: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> NotifyMetrics:
        """Register notify's metrics in `registry`."""
        sent = Counter(
            "lapor_notifications_sent_total",
            "Notifications by channel and result (sent, failed, duplicate).",
            ["channel", "result"],
            registry=registry,
        )
        for result in ("sent", "failed", "duplicate"):
            sent.labels(channel="email", result=result)
        return cls(sent=sent)
