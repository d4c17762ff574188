"""The table, and the one-line JSON summary."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.pipeline import CycleResult, Steady
from bench.profile import ProfileReport
from bench.raw import RawHop
from bench.scaleout import STAGES, ScaleOut
from bench.skeleton import Skeleton
from bench.stats import median

__all__ = ["comparison", "summary", "table"]

SERVICES = ("intake", "routing", "sla", "notify")
TARGET_RATIO = 0.25
TARGET_P99_MS = 250.0
TARGET_P99_RATE = 50.0  # the latency target holds at this steady rate
TARGET_RSS_MIB = 200e6 / 2**20  # 200 MB = 190.7 MiB

Getter = Callable[[CycleResult], float]


def _fmt(value: float, digits: int = 1) -> str:
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "never"
    return f"{value:,.{digits}f}"


def _round(value: float, digits: int = 1) -> float | None:
    if math.isnan(value) or math.isinf(value):
        return None
    return round(value, digits)


def _rss(service: str) -> Getter:
    return lambda c: c.steady.peak_rss_mib.get(service, math.nan)


def _light(get: Callable[[Steady], float]) -> Getter:
    return lambda c: get(c.light) if c.light is not None else math.nan


def _hwm(service: str) -> Getter:
    return lambda c: c.steady.hwm_mib.get(service, math.nan)


def _cpu(process: str) -> Getter:
    return lambda c: c.saturation.cpu_ms_per_complaint.get(process, math.nan)


class Figures:
    """Medians over the runs of everything reported."""

    def __init__(
        self,
        raw: list[RawHop],
        cycles: list[CycleResult],
        scale: dict[tuple[str, int], list[ScaleOut]],
        skeleton: list[Skeleton],
    ) -> None:
        self.raw = raw
        self.skeleton = median(s.per_s for s in skeleton)
        self.skeleton_runs = [s.per_s for s in skeleton]
        self.cycles = cycles
        self.scale = scale
        self.publish = median(r.publish_per_s for r in raw)
        self.consume = median(r.consume_per_s for r in raw)
        self.serial = median(r.hop_per_s for r in raw)
        self.raw_hop = min(self.publish, self.consume) if raw else math.nan
        self.pipeline = self.med(lambda c: c.saturation.per_s)
        self.ratio = self.pipeline / self.raw_hop if self.raw_hop else math.nan
        self.p50 = self.med(lambda c: c.steady.assign_p50_ms)
        self.p99 = self.med(lambda c: c.steady.assign_p99_ms)
        self.rss = {s: self.med(_rss(s)) for s in SERVICES}
        # Not measured (NaN) unless every service was.
        self.worst_rss = max(self.rss.values(), key=lambda v: (math.isnan(v), v), default=math.nan)
        self.processes = list(cycles[0].saturation.cpu_ms_per_complaint) if cycles else []
        # What the machine's cores allow at the CPU a complaint costs (the load generator's
        # own share left out), and what CPU per complaint the ratio target would allow.
        self.cores = len(os.sched_getaffinity(0))  # the cores this run may use
        self.summed = [n for n in self.processes if n != "bench"]
        self.cpu_total = sum(self.med(_cpu(n)) for n in self.summed)
        self.ceiling = 1000 * self.cores / self.cpu_total if self.cpu_total else math.nan
        self.ceiling_ratio = self.ceiling / self.raw_hop if self.raw_hop else math.nan
        self.target_budget_ms = (
            1000 * self.cores / (TARGET_RATIO * self.raw_hop) if self.raw_hop else math.nan
        )

    def med(self, get: Getter) -> float:
        return median(get(c) for c in self.cycles) if self.cycles else math.nan

    def each(self, get: Getter) -> list[float]:
        return [get(c) for c in self.cycles]

    def scale_med(self, stage: str, k: int) -> float:
        return median(s.per_s for s in self.scale.get((stage, k), []))


def _runs(values: Sequence[float], digits: int) -> str:
    return " ".join(_fmt(v, digits) for v in values)


def table(f: Figures, profiles: list[ProfileReport], *, steady_rate: float) -> str:
    """The human-readable report."""
    rows: list[tuple[str, float, str]] = []

    def row(label: str, get: Getter, digits: int = 1) -> None:
        rows.append((label, f.med(get), _runs(f.each(get), digits)))

    rate = f"@{steady_rate:g}/s"
    rows += [
        (
            "(a) raw hop publish, persistent+confirms  msg/s",
            f.publish,
            _runs([r.publish_per_s for r in f.raw], 0),
        ),
        (
            "(a) raw hop consume, ack each  msg/s",
            f.consume,
            _runs([r.consume_per_s for r in f.raw], 0),
        ),
        ("(a) raw hop rate = min(publish, consume)  msg/s", f.raw_hop, ""),
        (
            "    publish N then consume N, serially  msg/s",
            f.serial,
            _runs([r.hop_per_s for r in f.raw], 0),
        ),
    ]
    rows += [
        (
            "(a') message skeleton, no work  complaints/s",
            f.skeleton,
            _runs(f.skeleton_runs, 0),
        ),
        ("    ratio skeleton / raw hop", f.skeleton / f.raw_hop, ""),
    ]
    row("(b) pipeline at saturation  complaints/s", lambda c: c.saturation.per_s, 2)
    row("    completed of submitted", lambda c: c.saturation.completed, 0)
    row("    HTTP accepted  /s", lambda c: c.saturation.http_per_s)
    row("    routed (that stage's finish)  /s", lambda c: c.saturation.routed_per_s)
    row("    acknowledged (that stage's finish)  /s", lambda c: c.saturation.acked_per_s)
    row("    HTTP p50  ms", lambda c: c.saturation.http_p50_ms, 0)
    row("    HTTP p99  ms", lambda c: c.saturation.http_p99_ms, 0)
    rows.append(("    ratio pipeline / raw hop", f.ratio, ""))
    rows.append(("    ratio pipeline / message skeleton", f.pipeline / f.skeleton, ""))
    row(f"(c) receipt->assignment p50 {rate}  ms", lambda c: c.steady.assign_p50_ms, 0)
    row(f"(c) receipt->assignment p99 {rate}  ms", lambda c: c.steady.assign_p99_ms, 0)
    row("    receipt->acknowledgement sent p50  ms", lambda c: c.steady.ack_p50_ms, 0)
    row("    receipt->acknowledgement sent p99  ms", lambda c: c.steady.ack_p99_ms, 0)
    row("    offered rate achieved  /s", lambda c: c.steady.offered_per_s)
    row("    planned complaints (rate x seconds)", lambda c: c.steady.offered, 0)
    row("    accepted by intake (201)", lambda c: c.steady.accepted, 0)
    row("    not sent: schedule slipped past 1.5x", lambda c: c.steady.not_sent, 0)
    row("    routed within the drain time", lambda c: c.steady.routed, 0)
    row("    HTTP p99  ms", lambda c: c.steady.http_p99_ms, 0)
    row("(c') below capacity: offered rate  /s", _light(lambda d: d.offered_per_s))
    row("(c') receipt->assignment p50  ms", _light(lambda d: d.assign_p50_ms), 0)
    row("(c') receipt->assignment p99  ms", _light(lambda d: d.assign_p99_ms), 0)
    row("(c') receipt->acknowledgement p99  ms", _light(lambda d: d.ack_p99_ms), 0)
    for s in SERVICES:
        row(f"(d) {s} peak RSS under load  MiB", _rss(s))
    for s in SERVICES:
        row(f"    {s} VmHWM (start-up included)  MiB", _hwm(s))
    row("    start-up of the four services  s", lambda c: c.startup_s)
    for stage in STAGES:
        for k in (1, 2):
            runs = f.scale.get((stage, k), [])
            rows.append(
                (
                    f"scale-out: {stage}, {k} instance(s)  /s",
                    f.scale_med(stage, k),
                    _runs([s.per_s for s in runs], 1),
                )
            )
    width = max(len(r[0]) for r in rows) + 2
    lines = [f"{'measure':<{width}}{'median':>12}   runs"]
    lines += [
        f"{label:<{width}}{_fmt(value, 2 if abs(value) < 100 else 0):>12}   {runs}"
        for label, value, runs in rows
    ]
    lines += _details(f)
    lines += _store_ops(f.cycles[0]) if f.cycles else []
    for report in profiles:
        lines += [
            "",
            f"profile {report.service}: {report.samples} samples on CPU ({report.path})",
            "  inclusive, project functions:",
            *(f"    {share:5.1f}%  {name}" for name, share in report.inclusive),
            "  self time by module:",
            *(f"    {share:5.1f}%  {name}" for name, share in report.self_by_module),
        ]
    met = targets_met(f, steady_rate=steady_rate)
    verdict = {True: "PASS", False: "FAIL", None: "not measured in this run"}
    lines += [
        "",
        "targets:",
        f"  pipeline >= {TARGET_RATIO:.0%} of the raw hop: {_fmt(100 * f.ratio, 2)}%  "
        f"{verdict[met['ratio_ge_0_25']]}",
        f"  p99 receipt->assignment < {TARGET_P99_MS:.0f} ms @{TARGET_P99_RATE:g}/s: "
        f"{_fmt(f.p99, 0)} ms {rate}  {verdict[met['p99_lt_250ms']]}",
        f"  every service < 200 MB (190.7 MiB) resident: max {_fmt(f.worst_rss, 1)} MiB  "
        f"{verdict[met['rss_lt_200mb']]}",
    ]
    return "\n".join(lines)


def targets_met(f: Figures, *, steady_rate: float) -> dict[str, bool | None]:
    """Each target of issue 9: met, missed, or None when this run did not measure it."""
    return {
        "ratio_ge_0_25": None if math.isnan(f.ratio) else bool(f.ratio >= TARGET_RATIO),
        "p99_lt_250ms": (
            None
            if math.isnan(f.p99) or steady_rate != TARGET_P99_RATE
            else bool(f.p99 < TARGET_P99_MS)
        ),
        "rss_lt_200mb": None if math.isnan(f.worst_rss) else bool(f.worst_rss < TARGET_RSS_MIB),
    }


def _details(f: Figures) -> list[str]:
    lines: list[str] = []
    if f.cycles:
        cpu = "  ".join(f"{n} {_fmt(f.med(_cpu(n)), 0)}" for n in f.processes)
        busy = _fmt(100 * f.med(lambda c: c.saturation.machine_cpu_share), 0)
        lines += [
            "",
            "CPU ms per complaint at saturation (median of runs):",
            f"  {cpu}",
            f"  machine busy during saturation: {busy}% of all cores (other load counts too)",
            f"  {' + '.join(f.summed)}: {_fmt(f.cpu_total, 1)} ms per complaint, so "
            f"{f.cores} cores allow at most {_fmt(f.ceiling, 1)} complaints/s "
            f"({_fmt(100 * f.ceiling_ratio, 2)}% of the raw hop; the pipeline reached "
            f"{_fmt(100 * f.pipeline / f.ceiling, 0)}% of that)",
            f"  the {TARGET_RATIO:.0%} target would allow {_fmt(f.target_budget_ms, 2)} ms of CPU "
            f"per complaint in all (RabbitMQ alone used {_fmt(f.med(_cpu('rabbitmq')), 1)})",
        ]
        unlimited = sorted(q for q, n in f.cycles[0].prefetch.items() if n == 0)
        lines.append(
            f"  consumers with prefetch 0 (unlimited) as RabbitMQ sees them: {len(unlimited)} of "
            f"{len(f.cycles[0].prefetch)}"
            + (f" ({', '.join(unlimited[:4])}, ...)" if unlimited else "")
        )
        errors: dict[str, int] = {}
        for c in f.cycles:
            for kind, count in (c.saturation.errors | c.steady.errors).items():
                errors[kind] = errors.get(kind, 0) + count
        if errors:
            lines.append(f"  HTTP errors, retried (all runs): {errors}")
    for (stage, k), runs in f.scale.items():
        for s in runs:
            cpu = " ".join(f"{n} {_fmt(v, 0)}" for n, v in s.cpu_ms_per_complaint.items())
            lines.append(
                f"  scale-out {stage} k={k}: done {s.routed}/{s.complaints}, per instance "
                f"{s.shares}, CPU ms/complaint after /healthz {cpu}"
            )
    return lines


def _ops_per_complaint(cycle: CycleResult, key: str) -> float:
    ops = cycle.saturation.store_ops
    if not ops:
        return math.nan
    total = sum(v[key] for service in ops.values() for v in service.values())
    return total / max(1, cycle.saturation.submitted)


def _store_ops(cycle: CycleResult, top: int = 10) -> list[str]:
    """Store commands per complaint of each service in the first saturation batch."""
    lines: list[str] = []
    n = max(1, cycle.saturation.submitted)
    for service, ops in sorted(cycle.saturation.store_ops.items()):
        ranked = sorted(ops.items(), key=lambda kv: -kv[1]["ms"])
        total = sum(v["count"] for v in ops.values()) / n
        millis = sum(v["ms"] for v in ops.values()) / n
        lines += [
            "",
            f"store commands of {service} at saturation: {total:.1f} per complaint, "
            f"{millis:.1f} ms waited per complaint (command, collection, filter fields)",
        ]
        for label, v in ranked[:top]:
            lines.append(f"  {v['count'] / n:7.2f}/complaint {v['ms'] / n:8.2f} ms  {label}")
    return lines


def summary(f: Figures, *, settings: dict[str, Any], steady_rate: float) -> dict[str, Any]:
    """Every figure (medians), for the last line."""

    def med(get: Getter, digits: int = 1) -> float | None:
        return _round(f.med(get), digits)

    return {
        **settings,
        "raw_publish_per_s": _round(f.publish, 0),
        "raw_consume_per_s": _round(f.consume, 0),
        "raw_hop_per_s": _round(f.raw_hop, 0),
        "raw_serial_hop_per_s": _round(f.serial, 0),
        "skeleton_per_s": _round(f.skeleton, 0),
        "skeleton_runs_per_s": [_round(v, 0) for v in f.skeleton_runs],
        "ratio_skeleton_over_raw": _round(f.skeleton / f.raw_hop, 4),
        "ratio_pipeline_over_skeleton": _round(f.pipeline / f.skeleton, 4),
        "pipeline_per_s": med(lambda c: c.saturation.per_s, 2),
        "pipeline_runs_per_s": [_round(v, 2) for v in f.each(lambda c: c.saturation.per_s)],
        "pipeline_completed": med(lambda c: c.saturation.completed, 0),
        "pipeline_http_per_s": med(lambda c: c.saturation.http_per_s),
        "pipeline_routed_per_s": med(lambda c: c.saturation.routed_per_s),
        "pipeline_acked_per_s": med(lambda c: c.saturation.acked_per_s),
        "ratio_pipeline_over_raw": _round(f.ratio, 4),
        "assign_p50_ms": _round(f.p50, 0),
        "assign_p99_ms": _round(f.p99, 0),
        "ack_p50_ms": med(lambda c: c.steady.ack_p50_ms, 0),
        "ack_p99_ms": med(lambda c: c.steady.ack_p99_ms, 0),
        "steady_offered_per_s": med(lambda c: c.steady.offered_per_s),
        "steady_accepted": med(lambda c: c.steady.accepted, 0),
        "steady_routed": med(lambda c: c.steady.routed, 0),
        "light_offered_per_s": med(_light(lambda d: d.offered_per_s)),
        "light_assign_p50_ms": med(_light(lambda d: d.assign_p50_ms), 0),
        "light_assign_p99_ms": med(_light(lambda d: d.assign_p99_ms), 0),
        "light_ack_p99_ms": med(_light(lambda d: d.ack_p99_ms), 0),
        "rss_mib": {s: _round(v, 1) for s, v in f.rss.items()},
        "hwm_mib": {s: med(_hwm(s)) for s in SERVICES},
        "cpu_ms_per_complaint": {n: med(_cpu(n)) for n in f.processes},
        "cpu_ms_per_complaint_total": _round(f.cpu_total, 1),
        "cpu_ms_per_complaint_total_of": f.summed,
        "cpu_ceiling_per_s": _round(f.ceiling, 1),
        "ratio_cpu_ceiling_over_raw": _round(f.ceiling_ratio, 4),
        "cpu_ms_per_complaint_target_allows": _round(f.target_budget_ms, 2),
        "consumers_unlimited_prefetch": sum(
            1 for n in (f.cycles[0].prefetch.values() if f.cycles else []) if n == 0
        ),
        **{
            f"scaleout_{stage}_{k}_per_s": _round(f.scale_med(stage, k), 1)
            for stage in STAGES
            for k in (1, 2)
        },
        **{
            f"scaleout_{stage}_shares_2": [s.shares for s in f.scale.get((stage, 2), [])]
            for stage in STAGES
        },
        "targets_met": targets_met(f, steady_rate=steady_rate),
    }


def comparison(before: Figures, after: Figures, *, baseline: Path, current: Path) -> str:
    """Key figures of two trees measured in the same run, side by side."""
    rows: list[tuple[str, float, float]] = []

    def both(label: str, get: Getter) -> None:
        rows.append((label, before.med(get), after.med(get)))

    both("(b) pipeline at saturation  complaints/s", lambda c: c.saturation.per_s)
    rows.append(("    ratio pipeline / raw hop", before.ratio, after.ratio))
    both("    HTTP accepted  /s", lambda c: c.saturation.http_per_s)
    both("    routed  /s", lambda c: c.saturation.routed_per_s)
    both("    acknowledged  /s", lambda c: c.saturation.acked_per_s)
    both("(c) receipt->assignment p50  ms", lambda c: c.steady.assign_p50_ms)
    both("(c) receipt->assignment p99  ms", lambda c: c.steady.assign_p99_ms)
    both("    receipt->acknowledgement p99  ms", lambda c: c.steady.ack_p99_ms)
    both("    steady: accepted by intake", lambda c: c.steady.accepted)
    both("    steady: routed within the drain time", lambda c: c.steady.routed)
    both("(c') below capacity: offered  /s", _light(lambda d: d.offered_per_s))
    both("(c') receipt->assignment p50  ms", _light(lambda d: d.assign_p50_ms))
    both("(c') receipt->assignment p99  ms", _light(lambda d: d.assign_p99_ms))
    for s in SERVICES:
        both(f"(d) {s} peak RSS  MiB", _rss(s))
    for n in after.processes:
        both(f"    CPU ms per complaint: {n}", _cpu(n))
    if any(c.saturation.store_ops for c in after.cycles):
        both("    store commands per complaint", lambda c: _ops_per_complaint(c, "count"))
        both("    store ms waited per complaint", lambda c: _ops_per_complaint(c, "ms"))
    for stage in STAGES:
        for k in (1, 2):
            label = f"scale-out: {stage}, {k} instance(s)  /s"
            rows.append((label, before.scale_med(stage, k), after.scale_med(stage, k)))
    width = max(len(r[0]) for r in rows) + 2
    lines = [
        f"before = {baseline}",
        f"after  = {current}   (same run, cycles interleaved; medians)",
        f"{'measure':<{width}}{'before':>12}{'after':>12}{'after/before':>14}",
    ]
    for label, b, a in rows:
        change = (
            a / b
            if b and not math.isnan(a) and not math.isnan(b) and math.isfinite(b)
            else math.nan
        )
        lines.append(
            f"{label:<{width}}{_fmt(b, 2 if abs(b) < 100 else 0):>12}"
            f"{_fmt(a, 2 if abs(a) < 100 else 0):>12}{_fmt(change, 2):>14}"
        )
    return "\n".join(lines)
