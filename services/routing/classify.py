"""`python -m services.routing.classify`: JSON Lines `{"text"}` in, `{"opd", "confidence"}` out.

One output line per input line, in order. Uses exactly the model the routing service uses.
A line that is not JSON with a string `text` gets `{"opd": null, "confidence": 0.0,
"error": ...}` and the exit status is 1.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from services.routing.model import load_service_model
from services.routing.settings import RoutingSettings

__all__ = ["main", "run"]


def _text_of(line: str) -> str:
    record = json.loads(line)
    text = record["text"] if isinstance(record, dict) else None
    if not isinstance(text, str):
        raise TypeError("text must be a string")
    return text


def run(lines: TextIO, out: TextIO, err: TextIO) -> int:
    """Classify each input line."""
    settings = RoutingSettings()
    model = load_service_model(model_file=settings.routing_model_file, cache_dir=settings.cache_dir)
    status = 0
    texts: list[str | Exception] = []
    for number, line in enumerate(lines, start=1):
        try:
            texts.append(_text_of(line))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            err.write(f"line {number}: {exc}\n")
            texts.append(exc)
            status = 1
    good = [t for t in texts if isinstance(t, str)]
    predictions = iter(model.classify_many(good) if good else [])
    for item in texts:
        if isinstance(item, Exception):
            out.write(json.dumps({"opd": None, "confidence": 0.0, "error": str(item)}) + "\n")
        else:
            p = next(predictions)
            out.write(json.dumps({"opd": p.opd, "confidence": p.confidence}) + "\n")
    return status


def main() -> None:
    """Entry point."""
    sys.exit(run(sys.stdin, sys.stdout, sys.stderr))


if __name__ == "__main__":
    main()
