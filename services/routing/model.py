"""The routing classifier: TF-IDF word and character n-grams, a linear SVM, calibrated.

Word n-grams carry the subject ("lampu jalan", "blanko ktp"); character n-grams carry what
words miss: typos, affixes, slang spellings. Sigmoid calibration over cross-validation folds
turns the SVM's margins into probabilities, so "confidence" means how often it is right.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from services.routing.textnorm import normalise

__all__ = [
    "Example",
    "Prediction",
    "RoutingModel",
    "corpus_digest",
    "held_out_split",
    "load_corpus",
    "load_service_model",
    "read_examples",
]

log = logging.getLogger(__name__)
MODEL_FORMAT = 1


@dataclass(frozen=True)
class Prediction:
    """The chosen agency code and how sure the classifier is (0..1)."""

    opd: str
    confidence: float


@dataclass(frozen=True)
class Example:
    """A labelled complaint."""

    text: str
    opd: str


def read_examples(lines: Iterable[str], *, source: str) -> list[Example]:
    """Parse JSON Lines `{"text", "opd"}`; a malformed line is an error naming its place."""
    examples = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            examples.append(Example(text=str(record["text"]), opd=str(record["opd"]).upper()))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{source}:{number}: {exc}") from exc
    return examples


def load_corpus() -> list[Example]:
    """The training corpus shipped with the service (`data/corpus/*.jsonl`)."""
    folder = resources.files("services.routing").joinpath("data/corpus")
    examples: list[Example] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".jsonl"):
            text = entry.read_text("utf-8")
            examples.extend(read_examples(text.splitlines(), source=entry.name))
    return examples


def corpus_digest(examples: Sequence[Example]) -> str:
    """A stable fingerprint of a training set (for caching a trained model)."""
    h = hashlib.sha256(f"format={MODEL_FORMAT};sklearn={sklearn.__version__}".encode())
    for e in examples:
        h.update(f"{e.opd}\t{e.text}\n".encode())
    return h.hexdigest()[:16]


def _pipeline(seed: int) -> Pipeline:
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    min_df=2,
                    sublinear_tf=True,
                    max_features=120_000,
                ),
            ),
        ]
    )
    svm = LinearSVC(C=0.5, class_weight="balanced", random_state=seed)
    calibrated = CalibratedClassifierCV(svm, method="sigmoid", cv=5)
    return Pipeline([("features", features), ("classifier", calibrated)])


class RoutingModel:
    """A trained classifier over agency codes."""

    def __init__(self, pipeline: Pipeline, *, digest: str) -> None:
        self._pipeline = pipeline
        self.digest = digest
        self.classes: list[str] = [str(c) for c in pipeline.classes_]

    @classmethod
    def train(cls, examples: Sequence[Example], *, seed: int = 0) -> RoutingModel:
        """Fit on labelled examples (deterministic for a given training set and seed)."""
        if len({e.opd for e in examples}) < 2:
            raise ValueError("training needs examples of at least two agencies")
        pipeline = _pipeline(seed)
        pipeline.fit([normalise(e.text) for e in examples], [e.opd for e in examples])
        return cls(pipeline, digest=corpus_digest(examples))

    def classify(self, text: str) -> Prediction:
        """The most probable agency and its calibrated probability."""
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[Prediction]:
        """Predictions for many texts at once (faster than one by one)."""
        probabilities: Any = self._pipeline.predict_proba([normalise(t) for t in texts])
        best = np.argmax(probabilities, axis=1)
        return [
            Prediction(opd=self.classes[int(i)], confidence=round(float(row[i]), 4))
            for row, i in zip(probabilities, best, strict=True)
        ]

    def save(self, path: Path) -> None:
        """Write the model (joblib) for `load`; only load files you wrote yourself."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        joblib.dump(
            {"format": MODEL_FORMAT, "digest": self.digest, "pipeline": self._pipeline}, tmp
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> RoutingModel:
        """Read a model written by `save`."""
        data = joblib.load(path)
        if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
            raise ValueError(f"{path} is not a routing model of format {MODEL_FORMAT}")
        return cls(data["pipeline"], digest=str(data["digest"]))


def held_out_split(
    examples: Sequence[Example], *, test_share: float = 0.2
) -> tuple[list[Example], list[Example]]:
    """A deterministic split by a hash of each text: (train, held out)."""
    train: list[Example] = []
    test: list[Example] = []
    for e in examples:
        bucket = int(hashlib.sha256(e.text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        (test if bucket < test_share else train).append(e)
    return train, test


def load_service_model(*, model_file: Path, cache_dir: Path) -> RoutingModel:
    """The model the service and the command-line tools use.

    A model file written by `python -m services.routing.train` wins when it exists.
    Otherwise the model is trained from the shipped corpus and cached under `cache_dir` by
    the corpus's digest, so every process that starts on the same corpus uses one model.
    """
    if model_file.exists():
        return RoutingModel.load(model_file)
    corpus = load_corpus()
    cached = cache_dir / f"routing-{corpus_digest(corpus)}.joblib"
    if cached.exists():
        try:
            return RoutingModel.load(cached)
        except (OSError, ValueError, EOFError) as exc:
            log.warning("ignoring unreadable cached model: %s", type(exc).__name__)
    model = RoutingModel.train(corpus)
    try:
        model.save(cached)
    except OSError as exc:
        log.warning("could not cache the routing model: %s", exc)
    return model
