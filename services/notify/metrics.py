"""Notify's Prometheus metrics (bounded labels only)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter

from shared.messaging.topology import Queues

__all__ = ["NotifyMetrics"]

RESULTS = ("sent", "failed", "refused", "duplicate")


@dataclass(frozen=True)
class NotifyMetrics:
    """Notification outcomes per channel."""

    sent: Counter
    delivery_reports: Counter
    dead: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> NotifyMetrics:
        """Register notify's metrics in `registry`."""
        sent = Counter(
            "lapor_notifications_sent_total",
            "Notifications by channel and result (sent, failed attempt, refused for good, "
            "duplicate suppressed).",
            ["channel", "result"],
            registry=registry,
        )
        for channel in ("email", "sms"):
            for result in RESULTS:
                sent.labels(channel=channel, result=result)
        reports = Counter(
            "lapor_sms_delivery_reports_total",
            "SMS delivery reports by outcome.",
            ["outcome"],
            registry=registry,
        )
        dead = Counter(
            "lapor_notifications_dead_lettered_total",
            "Events whose notifications were given up after every retry.",
            ["queue"],
            registry=registry,
        )
        for queue in Queues.of("notify"):
            dead.labels(queue=queue.name)
        return cls(sent=sent, delivery_reports=reports, dead=dead)
