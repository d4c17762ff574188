"""`python -m services.routing.train`: retrain from the shipped corpus plus operator labels.

First reports on a held-out fifth of the corpus (a model trained on the rest), then trains
on everything (the corpus and every disposition an operator made, from the store) and
writes the model where the routing service loads it (`LAPOR_ROUTING_MODEL_FILE`). Restart
the routing service to use it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from pymongo.errors import PyMongoError

from services.routing.evaluate import evaluate, render
from services.routing.model import Example, RoutingModel, held_out_split, load_corpus
from services.routing.settings import RoutingSettings
from shared.mongo import ROUTING_LABELS, create_client, get_database

__all__ = ["main", "operator_labels"]


async def operator_labels(settings: RoutingSettings) -> list[Example]:
    """Every agency an operator chose for a complaint, as labelled examples."""
    client = create_client(settings.mongodb_url, app_name="lapor-routing-train")
    try:
        cursor = get_database(client)[ROUTING_LABELS].find({}, {"text": 1, "opd": 1})
        return [Example(text=d["text"], opd=d["opd"]) async for d in cursor]
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    settings = RoutingSettings()
    parser = argparse.ArgumentParser(
        prog="python -m services.routing.train",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=settings.routing_model_file,
        help=f"where to write the model (default {settings.routing_model_file})",
    )
    parser.add_argument(
        "--no-labels",
        action="store_true",
        help="train on the shipped corpus only, without the store's labels",
    )
    args = parser.parse_args(argv)

    corpus = load_corpus()
    train_part, held_out = held_out_split(corpus)
    print(f"held-out evaluation: trained on {len(train_part)}, tested on {len(held_out)}")
    check = RoutingModel.train(train_part)
    report = evaluate(
        held_out,
        check.classify_many([e.text for e in held_out]),
        threshold=settings.routing_confidence_threshold,
    )
    print(render(report))

    labels: list[Example] = []
    if not args.no_labels:
        try:
            labels = asyncio.run(operator_labels(settings))
        except PyMongoError as exc:
            print(f"store unreachable, training without operator labels: {exc}", file=sys.stderr)
    model = RoutingModel.train([*corpus, *labels])
    model.save(args.output)
    print(
        f"\ntrained on {len(corpus)} corpus examples + {len(labels)} operator labels; "
        f"wrote {args.output}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
