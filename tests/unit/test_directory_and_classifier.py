"""The agency directory and the routing classifier (the shipped corpus and model)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from services.routing.evaluate import evaluate
from services.routing.model import (
    RoutingModel,
    held_out_split,
    load_corpus,
    load_service_model,
)
from services.routing.settings import RoutingSettings
from services.routing.textnorm import normalise
from shared.directory import DirectoryError, load_directory

REPO = Path(__file__).resolve().parents[2]
THRESHOLD = RoutingSettings().routing_confidence_threshold


@pytest.fixture(scope="module")
def model() -> RoutingModel:
    return load_service_model(model_file=Path("/nonexistent"), cache_dir=REPO / "var/cache")


def test_default_directory_is_the_lingga_catalogue() -> None:
    directory = load_directory()
    assert "DINKES" in directory and "DPUPR" in directory
    pln = directory.get("pln")
    assert pln is not None and pln.external
    assert len(directory.codes) == len(set(directory.codes)) >= 20


def test_a_broken_directory_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "dir.yaml"
    bad.write_text("agencies:\n  - code: x\n")
    with pytest.raises(DirectoryError, match="invalid directory"):
        load_directory(bad)


def test_the_corpus_covers_every_agency_with_many_examples() -> None:
    corpus = load_corpus()
    codes = {e.opd for e in corpus}
    assert codes == set(load_directory().codes)
    assert min(sum(e.opd == c for e in corpus) for c in codes) >= 50


def test_sms_spelling_is_normalised() -> None:
    assert normalise("LAPOR jln rusaaak parah, yg bgt tdk diperbaiki") == (
        "jalan rusak parah yang banget tidak diperbaiki"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Stok obat di puskesmas Daik habis, imunisasi anak juga tertunda", "DINKES"),
        ("blanko ktp di kantor capil habis sdh 3 bln, kk jg blm jadi", "DISDUKCAPIL"),
        ("Lampu jalan di depan rumah kami mati sejak sebulan, gelap sekali", "DISPERKIM"),
        ("sampah numpuk di tps pasar dabo, truk sampah gk dtg2", "DLH"),
        ("Listrik padam tiap malam di Senayang, token juga sering error", "PLN"),
        ("pompong ke pulau penuba tdk jalan, jadwal kapal gk jelas", "DISHUB"),
        ("Guru honor di SD kami belum digaji tiga bulan", "DISDIK"),
    ],
)
def test_clear_complaints_go_to_the_obvious_agency(
    model: RoutingModel, text: str, expected: str
) -> None:
    prediction = model.classify(text)
    assert prediction.opd == expected
    assert prediction.confidence >= THRESHOLD


def test_text_without_a_subject_is_left_to_a_human(model: RoutingModel) -> None:
    assert model.classify("halo selamat pagi, mohon dibantu ya pak").confidence < THRESHOLD


def test_the_model_generalises_to_held_out_corpus_examples() -> None:
    train, held_out = held_out_split(load_corpus())
    check = RoutingModel.train(train)
    report = evaluate(
        held_out, check.classify_many([e.text for e in held_out]), threshold=THRESHOLD
    )
    assert report.accuracy >= 0.8
    assert report.precision_at_threshold >= 0.9


def test_a_saved_model_predicts_the_same(model: RoutingModel, tmp_path: Path) -> None:
    model.save(tmp_path / "m.joblib")
    loaded = RoutingModel.load(tmp_path / "m.joblib")
    texts = ["jalan berlubang di resang", "gaji belum dibayar", "anak saya dipukul ayah tirinya"]
    assert loaded.classify_many(texts) == model.classify_many(texts)


def test_the_classify_command_answers_every_line_in_order() -> None:
    lines = [
        json.dumps({"text": "Lampu jalan mati di Daik", "id": 1}),
        "not json",
        json.dumps({"text": "Air PDAM keruh dan tidak mengalir"}),
    ]
    run = subprocess.run(
        [sys.executable, "-m", "services.routing.classify"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1  # one bad line
    out = [json.loads(line) for line in run.stdout.splitlines()]
    assert [o["opd"] for o in out] == ["DISPERKIM", None, "PDAM"]
    assert all(0.0 <= o["confidence"] <= 1.0 for o in out)
    assert "line 2" in run.stderr


def test_the_evaluate_command_prints_the_figures(tmp_path: Path) -> None:
    data = tmp_path / "check.jsonl"
    data.write_text(
        json.dumps({"text": "Sertifikat tanah saya belum terbit padahal ikut PTSL", "opd": "BPN"})
        + "\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "services.routing.evaluate", str(data)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    assert "accuracy" in run.stdout and "macro-F1" in run.stdout and "BPN" in run.stdout
