"""The routing model classifies from arrays, exactly as the scikit-learn pipeline would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from services.routing.model import RoutingModel, arrays_path, held_out_split, load_corpus
from services.routing.textnorm import normalise

REPO = Path(__file__).resolve().parents[2]
ODD = ["", "   ", "a", "LAPOR!!! jln   rusak\n\nparah", "ÄÖÜ ñ 日本語 🙂 x y", "kata " * 800]


@pytest.fixture(scope="module")
def trained() -> RoutingModel:
    train, _ = held_out_split(load_corpus(), test_share=0.5)
    return RoutingModel.train(train)


def test_the_arrays_give_the_pipelines_probabilities(trained: RoutingModel) -> None:
    texts = [e.text for e in load_corpus()] + ODD
    from_arrays = trained.probabilities(texts)
    from_pipeline = trained.pipeline.predict_proba([normalise(t) for t in texts])
    assert np.abs(from_arrays - from_pipeline).max() < 1e-12
    assert (from_arrays.argmax(axis=1) == from_pipeline.argmax(axis=1)).all()


def test_a_new_model_file_is_read_again_not_its_old_arrays(
    trained: RoutingModel, tmp_path: Path
) -> None:
    path = tmp_path / "m.joblib"
    trained.save(path)
    assert arrays_path(path).exists()
    other = RoutingModel.train(held_out_split(load_corpus(), test_share=0.8)[0], seed=1)
    other.save(tmp_path / "other.joblib")
    (tmp_path / "other.joblib").replace(path)  # a new model file; stale arrays beside it
    texts = ["jalan berlubang di resang", "gaji guru honor belum dibayar", "air pdam keruh"]
    assert RoutingModel.load(path).classify_many(texts) == other.classify_many(texts)


def test_the_service_classifies_without_scikit_learn_in_memory(
    trained: RoutingModel, tmp_path: Path
) -> None:
    trained.save(tmp_path / "m.joblib")
    probe = (
        "import sys; from pathlib import Path; from services.routing.model import "
        "load_service_model as load; m = load(model_file=Path(sys.argv[1]), "
        "cache_dir=Path(sys.argv[1]).parent); m.classify('lampu jalan mati'); "
        "print(any(name.split('.')[0] == 'sklearn' for name in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "m.joblib")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert run.stdout.strip() == "False"
