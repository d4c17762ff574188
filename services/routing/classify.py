"""`python -m services.routing.classify`: JSON Lines `{"text"}` in, `{"opd", "confidence"}` out.

Uses exactly the classifier and directory the routing service uses.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from services.routing.classifier import KeywordClassifier
from services.routing.settings import RoutingSettings
from shared.directory import load_directory

__all__ = ["main", "run"]


def run(lines: TextIO, out: TextIO, err: TextIO) -> int:
    """Classify each input line; a bad line gets an error on stderr and a null answer."""
    settings = RoutingSettings()
    classifier = KeywordClassifier(load_directory(settings.directory_file))
    status = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            text = record["text"]
            if not isinstance(text, str):
                raise TypeError("text must be a string")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            err.write(f"line {number}: {exc}\n")
            out.write(json.dumps({"opd": None, "confidence": 0.0, "error": str(exc)}) + "\n")
            status = 1
            continue
        prediction = classifier.classify(text)
        out.write(json.dumps({"opd": prediction.opd, "confidence": prediction.confidence}) + "\n")
    return status


def main() -> None:
    """Entry point."""
    sys.exit(run(sys.stdin, sys.stdout, sys.stderr))


if __name__ == "__main__":
    main()
