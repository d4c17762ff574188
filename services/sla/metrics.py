"""The SLA service's Prometheus metrics (bounded labels only)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from shared.contracts.types import Stage

__all__ = ["SlaMetrics"]


@dataclass(frozen=True)
class SlaMetrics:
    """Open cases by stage, breaches by stage and agency."""

    open_cases: Gauge
    breaches: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> SlaMetrics:
        """Register the SLA metrics in `registry`."""
        open_cases = Gauge(
            "lapor_complaints_open",
            "Open complaints waiting in each stage.",
            ["stage"],
            registry=registry,
        )
        for stage in (Stage.VERIFICATION, Stage.FOLLOW_UP, Stage.COMPLETION):
            open_cases.labels(stage=stage.value)
        breaches = Counter(
            "lapor_sla_breaches_total",
            "Stage deadlines missed.",
            ["stage", "opd"],
            registry=registry,
        )
        return cls(open_cases=open_cases, breaches=breaches)
