"""The trained routing model as plain arrays: classifying without scikit-learn.

Training fits a scikit-learn pipeline (TF-IDF word and character n-grams, then a linear
SVM calibrated with a sigmoid on each of five cross-validation folds). To classify, only a
few fitted numbers matter: each vectorizer's vocabulary and IDF weights, and each fold's
SVM weights and sigmoid. `ArrayPredictor` keeps exactly those as NumPy arrays and computes
what the pipeline's `predict_proba` computes, the same probabilities up to floating-point
rounding, in about a tenth of the time and without scikit-learn (some 100 MB) in memory.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["ArrayPredictor", "TermBlock"]

FORMAT = 1
Floats = npt.NDArray[np.float64]
Indices = npt.NDArray[np.intp]
_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's char analyzers normalise spaces
_EMPTY = (np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float64))


def _word_ngrams(tokens: list[str], low: int, high: int) -> list[str]:
    """Word n-grams as `TfidfVectorizer(analyzer="word")` forms them."""
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return grams


def _char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """Character n-grams inside words, padded with a space (`analyzer="char_wb"`)."""
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            grams += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
            if len(padded) <= n:  # a short word counts once, at its shortest n
                break
    return grams


@dataclass(frozen=True)
class TermBlock:
    """One fitted TF-IDF vectorizer: text to L2-normalised, IDF-weighted term frequencies."""

    analyzer: str  # "word" or "char_wb"
    ngram_range: tuple[int, int]
    token_pattern: re.Pattern[str]
    vocabulary: dict[str, int]
    idf: Floats
    offset: int  # where this block's columns start among all features

    def terms(self, text: str) -> list[str]:
        """The n-grams of a text, lower-cased, in the vectorizer's analyzer."""
        low, high = self.ngram_range
        if self.analyzer == "word":
            return _word_ngrams(self.token_pattern.findall(text.lower()), low, high)
        return _char_wb_ngrams(text.lower(), low, high)

    def features(self, text: str) -> tuple[Indices, Floats]:
        """Column indices and values of the text's non-zero features in this block."""
        vocabulary = self.vocabulary
        counts = Counter(vocabulary[t] for t in self.terms(text) if t in vocabulary)
        if not counts:
            return _EMPTY
        index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        values = (np.log(tf) + 1.0) * self.idf[index]  # sublinear tf, then idf
        norm = math.sqrt(float(values @ values))
        return index + self.offset, values / norm if norm > 0 else values


@dataclass(frozen=True)
class ArrayPredictor:
    """Calibrated one-vs-rest linear SVM folds over TF-IDF blocks, as arrays."""

    classes: tuple[str, ...]
    blocks: tuple[TermBlock, ...]
    weights: Floats  # (features, folds x classes): every fold's SVM weights, side by side
    intercepts: Floats  # (folds x classes,)
    slopes: Floats  # each (fold, class) sigmoid: p = 1 / (1 + exp(slope * score + offset))
    offsets: Floats
    folds: int

    def predict_proba(self, texts: Sequence[str]) -> Floats:
        """Class probabilities per text, as the pipeline's `predict_proba` gives them."""
        out = np.empty((len(texts), len(self.classes)))
        for row, text in enumerate(texts):
            out[row] = self._proba(text)
        return out

    def _proba(self, text: str) -> Floats:
        parts = [block.features(text) for block in self.blocks]
        index = np.concatenate([p[0] for p in parts])
        values = np.concatenate([p[1] for p in parts])
        scores = values @ self.weights[index] + self.intercepts
        proba = (1.0 / (1.0 + np.exp(self.slopes * scores + self.offsets))).reshape(self.folds, -1)
        total = proba.sum(axis=1, keepdims=True)
        uniform = np.full_like(proba, 1.0 / len(self.classes))
        proba = np.divide(proba, total, out=uniform, where=total != 0)
        proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
        mean: Floats = proba.mean(axis=0)
        return mean

    # --- from a fitted pipeline, to and from a file ---------------------------------------
    @classmethod
    def from_pipeline(cls, pipeline: Any) -> ArrayPredictor:
        """Read the arrays out of the fitted `Pipeline([("features", ...), ("classifier", ...)])`.

        Only the settings the routing model uses are supported; anything else is refused
        rather than silently classified differently.
        """
        union = pipeline.named_steps["features"]
        calibrated = pipeline.named_steps["classifier"]
        if union.transformer_weights is not None or calibrated.method != "sigmoid":
            raise ValueError("unsupported routing pipeline")
        blocks: list[TermBlock] = []
        offset = 0
        for _, vectorizer in union.transformer_list:
            blocks.append(_block_of(vectorizer, offset))
            offset += len(vectorizer.vocabulary_)
        classes = [str(c) for c in calibrated.classes_]
        weights, intercepts, slopes, offsets = [], [], [], []
        for fold in calibrated.calibrated_classifiers_:
            if [str(c) for c in fold.estimator.classes_] != classes:
                raise ValueError("a calibration fold lacks a class")
            weights.append(np.asarray(fold.estimator.coef_, dtype=np.float64))
            intercepts.append(np.asarray(fold.estimator.intercept_, dtype=np.float64))
            slopes.append([float(c.a_) for c in fold.calibrators])
            offsets.append([float(c.b_) for c in fold.calibrators])
        return cls(
            classes=tuple(classes),
            blocks=tuple(blocks),
            weights=np.ascontiguousarray(np.vstack(weights).T),
            intercepts=np.concatenate(intercepts),
            slopes=np.asarray(slopes, dtype=np.float64).ravel(),
            offsets=np.asarray(offsets, dtype=np.float64).ravel(),
            folds=len(weights),
        )

    def save(self, path: Path, *, meta: dict[str, Any]) -> None:
        """Write the arrays (NumPy `.npz`, no pickles) with `meta` kept alongside."""
        header = {
            **meta,
            "format": FORMAT,
            "classes": list(self.classes),
            "folds": self.folds,
            "blocks": [
                {
                    "analyzer": b.analyzer,
                    "ngram_range": list(b.ngram_range),
                    "token_pattern": b.token_pattern.pattern,
                    "offset": b.offset,
                }
                for b in self.blocks
            ],
        }
        arrays: dict[str, Any] = {
            "header": np.array(json.dumps(header)),
            "weights": self.weights,
            "intercepts": self.intercepts,
            "slopes": self.slopes,
            "offsets": self.offsets,
        }
        for i, b in enumerate(self.blocks):
            terms = sorted(b.vocabulary, key=b.vocabulary.__getitem__)
            arrays[f"terms{i}"] = np.array(terms, dtype=str)
            arrays[f"idf{i}"] = b.idf
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as out:
            np.savez(out, **arrays)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> tuple[ArrayPredictor, dict[str, Any]]:
        """Read a file written by `save`: the predictor and its header."""
        with np.load(path, allow_pickle=False) as data:
            header: dict[str, Any] = json.loads(str(data["header"]))
            if header.get("format") != FORMAT:
                raise ValueError(f"{path} is not a routing array file of format {FORMAT}")
            blocks = tuple(
                TermBlock(
                    analyzer=str(b["analyzer"]),
                    ngram_range=(int(b["ngram_range"][0]), int(b["ngram_range"][1])),
                    token_pattern=re.compile(str(b["token_pattern"])),
                    vocabulary={str(t): i for i, t in enumerate(data[f"terms{n}"].tolist())},
                    idf=data[f"idf{n}"],
                    offset=int(b["offset"]),
                )
                for n, b in enumerate(header["blocks"])
            )
            predictor = cls(
                classes=tuple(str(c) for c in header["classes"]),
                blocks=blocks,
                weights=data["weights"],
                intercepts=data["intercepts"],
                slopes=data["slopes"],
                offsets=data["offsets"],
                folds=int(header["folds"]),
            )
        return predictor, header


def _block_of(vectorizer: Any, offset: int) -> TermBlock:
    """A fitted `TfidfVectorizer` as a TermBlock (refusing settings it does not mirror)."""
    p = vectorizer.get_params()
    mirrored = (
        p["analyzer"] in ("word", "char_wb")
        and p["lowercase"]
        and p["sublinear_tf"]
        and p["use_idf"]
        and p["norm"] == "l2"
        and not p["binary"]
        and p["input"] == "content"
        and p["preprocessor"] is None
        and p["tokenizer"] is None
        and p["stop_words"] is None
        and p["strip_accents"] is None
        and (p["analyzer"] != "word" or re.compile(p["token_pattern"]).groups == 0)
    )
    if not mirrored:
        raise ValueError(f"unsupported TF-IDF settings: {p}")
    return TermBlock(
        analyzer=str(p["analyzer"]),
        ngram_range=(int(p["ngram_range"][0]), int(p["ngram_range"][1])),
        token_pattern=re.compile(p["token_pattern"]),
        vocabulary={str(t): int(i) for t, i in vectorizer.vocabulary_.items()},
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        offset=offset,
    )
