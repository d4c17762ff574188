from pathlib import Path

import pytest

from services.routing.classifier import KeywordClassifier
from shared.directory import DirectoryError, load_directory


def test_default_directory_is_the_lingga_catalogue() -> None:
    directory = load_directory()
    assert "DINKES" in directory and "DPUPR" in directory
    assert directory.get("pln") is not None and directory.get("PLN").external  # type: ignore[union-attr]
    assert len(directory.codes) == len(set(directory.codes)) >= 20


def test_a_broken_directory_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "dir.yaml"
    bad.write_text("agencies:\n  - code: x\n")
    with pytest.raises(DirectoryError, match="invalid directory"):
        load_directory(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Stok obat di puskesmas Daik habis, imunisasi anak tertunda", "DINKES"),
        ("Blanko KTP-el habis sudah 3 bulan, kartu keluarga juga belum jadi", "DISDUKCAPIL"),
        ("Lampu jalan (PJU) di depan rumah mati sejak sebulan", "DISPERKIM"),
        ("Sampah menumpuk di TPS pasar, truk sampah tidak datang", "DLH"),
        ("Listrik padam setiap malam, token listrik juga bermasalah", "PLN"),
    ],
)
def test_clear_complaints_go_to_the_obvious_agency(text: str, expected: str) -> None:
    prediction = KeywordClassifier(load_directory()).classify(text)
    assert prediction.opd == expected
    assert prediction.confidence > 0.5


def test_text_without_evidence_has_zero_confidence() -> None:
    prediction = KeywordClassifier(load_directory()).classify("halo selamat pagi")
    assert prediction.confidence == 0.0
