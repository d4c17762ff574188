"""The SLA service's Prometheus metrics (bounded labels only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from shared.contracts.types import Stage

__all__ = ["SlaMetrics"]


@dataclass(frozen=True)
class SlaMetrics:
    """Open cases by stage, breaches by stage and agency."""

    open_cases: Gauge
    open_by_opd: Gauge
    breaches: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry, *, opd_codes: Sequence[str] = ()) -> SlaMetrics:
        """Register the SLA metrics in `registry`."""
        open_cases = Gauge(
            "lapor_complaints_open",
            "Open complaints waiting in each stage.",
            ["stage"],
            registry=registry,
        )
        for stage in (Stage.VERIFICATION, Stage.FOLLOW_UP, Stage.COMPLETION):
            open_cases.labels(stage=stage.value)
        open_by_opd = Gauge(
            "lapor_complaints_open_by_opd",
            "Open complaints waiting in each stage, per agency (verification: opd=none).",
            ["stage", "opd"],
            registry=registry,
        )
        breaches = Counter(
            "lapor_sla_breaches_total",
            "Stage deadlines missed.",
            ["stage", "opd"],
            registry=registry,
        )
        # Every series exists from the start, so increase() sees the first breach too.
        for stage in (Stage.VERIFICATION, Stage.FOLLOW_UP, Stage.COMPLETION):
            for opd in (*opd_codes, "none"):
                breaches.labels(stage=stage.value, opd=opd)
        return cls(open_cases=open_cases, open_by_opd=open_by_opd, breaches=breaches)
