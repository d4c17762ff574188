"""A first, honest rule-based classifier over the agency catalogue's scope texts.

Each agency's scope is split into terms; a term's weight is its inverse agency frequency
(a word in many scopes says little). A complaint scores the weights of the terms it
contains; confidence is the winner's share of the evidence, shrunk when evidence is thin.
No evidence at all means confidence 0 and a human decides.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from shared.directory import Agency, Directory

__all__ = ["KeywordClassifier", "Prediction"]

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    [
        "dan",
        "atau",
        "di",
        "ke",
        "dari",
        "yang",
        "untuk",
        "dengan",
        "pada",
        "oleh",
        "dalam",
        "tidak",
        "antar",
        "akibat",
        "dulu",
        "baru",
        "lain",
        "layanan",
        "pelayanan",
        "umum",
        "daerah",
        "kabupaten",
        "desa",
        "setempat",
        "terhadap",
    ]
)
# Short forms citizens write, especially by SMS, expanded before matching.
_ABBREVIATIONS = {
    "jln": "jalan",
    "jl": "jalan",
    "yg": "yang",
    "tdk": "tidak",
    "gk": "tidak",
    "ga": "tidak",
    "sdh": "sudah",
    "blm": "belum",
    "sklh": "sekolah",
    "rs": "rumah sakit",
    "pkm": "puskesmas",
}
_EVIDENCE_SCALE = 2.5


@dataclass(frozen=True)
class Prediction:
    """The chosen agency code and how sure the classifier is (0..1)."""

    opd: str
    confidence: float


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens with common abbreviations expanded."""
    words: list[str] = []
    for word in _WORD.findall(_fold(text)):
        words.extend(_ABBREVIATIONS.get(word, word).split())
    return words


def _terms(words: Iterable[str]) -> set[str]:
    """Unigrams and bigrams of meaningful words."""
    kept = [w for w in words if w not in _STOPWORDS and len(w) >= 3]
    return set(kept) | {f"{a} {b}" for a, b in pairwise(kept)}


class KeywordClassifier:
    """Scores complaints against each agency's scope terms."""

    def __init__(self, directory: Directory) -> None:
        self._fallback = directory.codes[0]
        scopes = {a.code: _terms(tokens(self._scope_text(a))) for a in directory.agencies}
        frequency: dict[str, int] = {}
        for terms in scopes.values():
            for term in terms:
                frequency[term] = frequency.get(term, 0) + 1
        n = len(scopes)
        self._weights = {
            code: {t: math.log(1 + n / frequency[t]) * (1.5 if " " in t else 1.0) for t in terms}
            for code, terms in scopes.items()
        }

    @staticmethod
    def _scope_text(agency: Agency) -> str:
        return f"{agency.name} {agency.scope}"

    def classify(self, text: str) -> Prediction:
        """The most likely agency for a complaint text."""
        terms = _terms(tokens(text))
        scores = {
            code: sum(w for term, w in weights.items() if term in terms)
            for code, weights in self._weights.items()
        }
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        best_code, best = ranked[0]
        if best <= 0:
            return Prediction(opd=self._fallback, confidence=0.0)
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        share = best / (best + runner_up)
        evidence = 1 - math.exp(-best / _EVIDENCE_SCALE)
        return Prediction(opd=best_code, confidence=round(share * evidence, 4))
