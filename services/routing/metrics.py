"""Routing's Prometheus metrics (bounded labels only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

from shared.contracts.types import RoutingMethod

__all__ = ["RoutingMetrics"]

_CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass(frozen=True)
class RoutingMetrics:
    """What routing measures."""

    routed: Counter
    confidence: Histogram
    latency: Histogram
    held: Counter

    @classmethod
    def create(
        cls, registry: CollectorRegistry, *, opd_codes: Sequence[str] = ()
    ) -> RoutingMetrics:
        """Register routing's metrics in `registry` (every agency's series from the start)."""
        routed = Counter(
            "lapor_complaints_routed_total",
            "Complaints given to an agency, by agency and method.",
            ["opd", "method"],
            registry=registry,
        )
        for opd in opd_codes:
            for method in RoutingMethod:
                routed.labels(opd=opd, method=method.value)
        return cls(
            routed=routed,
            confidence=Histogram(
                "lapor_routing_confidence",
                "Classifier confidence of each routing decision.",
                buckets=_CONFIDENCE_BUCKETS,
                registry=registry,
            ),
            latency=Histogram(
                "lapor_pipeline_latency_seconds",
                "Seconds from receipt to assignment.",
                buckets=_LATENCY_BUCKETS,
                registry=registry,
            ),
            held=Counter(
                "lapor_complaints_held_for_verification_total",
                "Complaints sent to a human verifier.",
                registry=registry,
            ),
        )
