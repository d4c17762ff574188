"""`python -m services.routing.evaluate FILE.jsonl`: how well routing does on labelled data.

Prints accuracy, macro-F1, per-agency precision/recall/F1, precision and coverage at the
service's confidence threshold, precision among the most confident answers, and a
reliability table (is a confidence of 0.8 right 80% of the time?). Uses exactly the model
the routing service uses.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from services.routing.model import Example, Prediction, load_service_model, read_examples
from services.routing.settings import RoutingSettings

__all__ = ["Report", "evaluate", "main"]


@dataclass(frozen=True)
class Report:
    """The figures of one evaluation."""

    n: int
    accuracy: float
    macro_f1: float
    per_agency: dict[str, tuple[float, float, float, int]]  # precision, recall, f1, support
    threshold: float
    coverage: float
    precision_at_threshold: float
    top70_precision: float
    reliability: list[tuple[float, float, int, float]]  # low, high, count, accuracy


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def evaluate(
    examples: Sequence[Example], predictions: Sequence[Prediction], *, threshold: float
) -> Report:
    """Compare predictions with labels."""
    n = len(examples)
    right = [p.opd == e.opd for e, p in zip(examples, predictions, strict=True)]
    labels = sorted({e.opd for e in examples} | {p.opd for p in predictions})
    per_agency = {}
    for code in labels:
        tp = sum(
            1 for e, p in zip(examples, predictions, strict=True) if p.opd == code and e.opd == code
        )
        predicted = sum(1 for p in predictions if p.opd == code)
        actual = sum(1 for e in examples if e.opd == code)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        per_agency[code] = (precision, recall, _f1(precision, recall), actual)
    supported = [v[2] for v in per_agency.values() if v[3] > 0]
    confident = [ok for ok, p in zip(right, predictions, strict=True) if p.confidence >= threshold]
    ranked = sorted(zip(predictions, right, strict=True), key=lambda pr: -pr[0].confidence)
    top = ranked[: max(1, round(0.7 * n))]
    bins = [(0.0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01)]
    reliability = []
    for low, high in bins:
        inside = [
            (p, ok) for p, ok in zip(predictions, right, strict=True) if low <= p.confidence < high
        ]
        if inside:
            reliability.append(
                (low, min(high, 1.0), len(inside), sum(ok for _, ok in inside) / len(inside))
            )
    return Report(
        n=n,
        accuracy=sum(right) / n,
        macro_f1=sum(supported) / len(supported),
        per_agency=per_agency,
        threshold=threshold,
        coverage=len(confident) / n,
        precision_at_threshold=sum(confident) / len(confident) if confident else 0.0,
        top70_precision=sum(ok for _, ok in top) / len(top),
        reliability=reliability,
    )


def render(report: Report) -> str:
    """The report as text."""
    lines = [
        f"examples            {report.n}",
        f"accuracy            {report.accuracy:.3f}",
        f"macro-F1            {report.macro_f1:.3f}",
        f"threshold           {report.threshold:.2f}",
        f"coverage            {report.coverage:.3f}  (share routed without a human)",
        f"precision@threshold {report.precision_at_threshold:.3f}",
        f"precision top 70%   {report.top70_precision:.3f}  (the 70% most confident answers)",
        "",
        f"{'agency':<13}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}",
    ]
    for code, (p, r, f, n) in sorted(report.per_agency.items()):
        lines.append(f"{code:<13}{p:>10.3f}{r:>8.3f}{f:>7.3f}{n:>9}")
    lines += ["", f"{'confidence':<14}{'count':>7}{'accuracy':>10}"]
    for low, high, count, acc in report.reliability:
        lines.append(f"{low:.1f}-{high:.1f}{'':<7}{count:>7}{acc:>10.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m services.routing.evaluate",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("file", type=Path, help="JSON Lines with text and opd")
    args = parser.parse_args(argv)
    settings = RoutingSettings()
    try:
        examples = read_examples(args.file.read_text("utf-8").splitlines(), source=str(args.file))
    except (OSError, ValueError) as exc:
        parser.error(str(exc))
    if not examples:
        parser.error(f"{args.file} has no examples")
    model = load_service_model(model_file=settings.routing_model_file, cache_dir=settings.cache_dir)
    predictions = model.classify_many([e.text for e in examples])
    report = evaluate(examples, predictions, threshold=settings.routing_confidence_threshold)
    print(render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
