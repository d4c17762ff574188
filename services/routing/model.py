"""The routing classifier: TF-IDF word and character n-grams, a linear SVM, calibrated.

Word n-grams carry the subject ("lampu jalan", "blanko ktp"); character n-grams carry what
words miss: typos, affixes, slang spellings. Sigmoid calibration over cross-validation folds
turns the SVM's margins into probabilities, so "confidence" means how often it is right.

scikit-learn trains the model and writes it (joblib); next to that file lie the same model's
arrays (`<file>.arrays.npz`, see `services.routing.predictor`), which is what classifies.
The routing service loads only the arrays, so scikit-learn never enters its memory; when
they are missing (a first start, a new model file) a child process writes them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np

from services.routing.predictor import ArrayPredictor
from services.routing.textnorm import normalise

__all__ = [
    "Example",
    "Prediction",
    "RoutingModel",
    "arrays_path",
    "corpus_digest",
    "held_out_split",
    "load_corpus",
    "load_service_model",
    "prepare",
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
    sklearn_version = metadata.version("scikit-learn")  # without importing it
    h = hashlib.sha256(f"format={MODEL_FORMAT};sklearn={sklearn_version}".encode())
    for e in examples:
        h.update(f"{e.opd}\t{e.text}\n".encode())
    return h.hexdigest()[:16]


def _pipeline(seed: int) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

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


def arrays_path(model_file: Path) -> Path:
    """Where the arrays of the model saved at `model_file` lie."""
    return model_file.with_name(model_file.name + ".arrays.npz")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class RoutingModel:
    """A trained classifier over agency codes."""

    def __init__(
        self,
        predictor: ArrayPredictor,
        *,
        digest: str,
        pipeline: Any = None,
        source: Path | None = None,
    ) -> None:
        self._predictor = predictor
        self._pipeline = pipeline  # scikit-learn's, only when trained or read from joblib
        self._source = source
        self.digest = digest
        self.classes: list[str] = list(predictor.classes)

    @property
    def pipeline(self) -> Any:
        """The scikit-learn pipeline when trained or read from joblib here (else None)."""
        return self._pipeline

    @classmethod
    def train(cls, examples: Sequence[Example], *, seed: int = 0) -> RoutingModel:
        """Fit on labelled examples (deterministic for a given training set and seed)."""
        if len({e.opd for e in examples}) < 2:
            raise ValueError("training needs examples of at least two agencies")
        pipeline = _pipeline(seed)
        pipeline.fit([normalise(e.text) for e in examples], [e.opd for e in examples])
        return cls(
            ArrayPredictor.from_pipeline(pipeline),
            digest=corpus_digest(examples),
            pipeline=pipeline,
        )

    def classify(self, text: str) -> Prediction:
        """The most probable agency and its calibrated probability."""
        return self.classify_many([text])[0]

    def probabilities(self, texts: Sequence[str]) -> Any:
        """Each text's calibrated probability of each class (`classes` order), an array."""
        return self._predictor.predict_proba([normalise(t) for t in texts])

    def classify_many(self, texts: Sequence[str]) -> list[Prediction]:
        """Predictions for many texts at once."""
        probabilities = self.probabilities(texts)
        best = np.argmax(probabilities, axis=1)
        return [
            Prediction(opd=self.classes[int(i)], confidence=round(float(row[i]), 4))
            for row, i in zip(probabilities, best, strict=True)
        ]

    def save(self, path: Path) -> None:
        """Write the model (joblib) and its arrays; only load files you wrote yourself."""
        import joblib

        pipeline = self._pipeline
        if pipeline is None and self._source is not None:
            pipeline = _read_joblib(self._source)["pipeline"]
        if pipeline is None:
            raise ValueError("this model has no pipeline to save")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        joblib.dump({"format": MODEL_FORMAT, "digest": self.digest, "pipeline": pipeline}, tmp)
        tmp.replace(path)
        self._save_arrays(path)

    def _save_arrays(self, path: Path) -> None:
        meta = {"digest": self.digest, "source_sha256": _sha256(path)}
        self._predictor.save(arrays_path(path), meta=meta)

    @classmethod
    def load(cls, path: Path) -> RoutingModel:
        """Read a model written by `save`: its arrays when they match the file, else the file."""
        try:
            predictor, header = ArrayPredictor.load(arrays_path(path))
            if header.get("source_sha256") == _sha256(path):
                return cls(predictor, digest=str(header["digest"]), source=path)
        except (OSError, ValueError, KeyError) as exc:
            log.debug("no usable arrays for %s: %s", path, type(exc).__name__)
        data = _read_joblib(path)
        pipeline = data["pipeline"]
        model = cls(
            ArrayPredictor.from_pipeline(pipeline),
            digest=str(data["digest"]),
            pipeline=pipeline,
            source=path,
        )
        try:
            model._save_arrays(path)
        except OSError as exc:
            log.warning("could not write the routing model's arrays: %s", exc)
        return model


def _read_joblib(path: Path) -> dict[str, Any]:
    import joblib

    data = joblib.load(path)
    if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path} is not a routing model of format {MODEL_FORMAT}")
    return data


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
    Training and reading the joblib file happen in a child process when the arrays are
    missing, so that this process only ever reads arrays (and never imports scikit-learn).
    """
    source = model_file
    if not model_file.exists():
        source = cache_dir / f"routing-{corpus_digest(load_corpus())}.joblib"
    if not _arrays_current(source):
        _prepare_in_child(source)
    return prepare(source)


def _arrays_current(source: Path) -> bool:
    try:
        _, header = ArrayPredictor.load(arrays_path(source))
        return bool(source.exists() and header.get("source_sha256") == _sha256(source))
    except (OSError, ValueError, KeyError):
        return False


def _prepare_in_child(source: Path) -> None:
    command = [sys.executable, "-m", "services.routing.model", str(source)]
    try:
        # Our own interpreter and module, on a path from our settings: no untrusted input.
        done = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, timeout=900, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("preparing the routing model in a child failed: %s", type(exc).__name__)
        return
    if done.returncode != 0:
        log.warning("preparing the routing model in a child failed: %s", done.stderr[-500:])


def prepare(source: Path) -> RoutingModel:
    """Load the model at `source`, or train it on the shipped corpus and save it there."""
    if source.exists():
        try:
            return RoutingModel.load(source)
        except (OSError, ValueError, EOFError) as exc:
            log.warning("ignoring unreadable model %s: %s", source, type(exc).__name__)
    model = RoutingModel.train(load_corpus())
    try:
        model.save(source)
    except OSError as exc:
        log.warning("could not cache the routing model: %s", exc)
    return model


if __name__ == "__main__":  # python -m services.routing.model FILE: write FILE and its arrays
    prepare(Path(sys.argv[1]))
