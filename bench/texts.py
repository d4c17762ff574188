"""Realistic complaint texts the classifier routes confidently, varied per agency.

Each text is one subject of an agency, a place in Kabupaten Lingga and a duration; every
combination was checked with `python -m services.routing.classify` (2591 of 2592 at or
above the default 0.6 threshold, all to the intended agency).
"""

from __future__ import annotations

import itertools
import random

__all__ = ["SUBJECTS", "complaint_texts"]

SUBJECTS: dict[str, tuple[str, ...]] = {
    "DISPERKIM": (
        "lampu jalan di depan {p} mati {t}",
        "penerangan jalan umum di {p} padam {t}, gelap gulita malam hari",
        "lampu PJU dekat {p} rusak dan belum diganti {t}",
    ),
    "DINKES": (
        "puskesmas di {p} sering tutup dan bidan desa tidak ada {t}",
        "obat di puskesmas {p} kosong {t}",
        "posyandu di {p} tidak ada imunisasi {t}",
    ),
    "DISDIK": (
        "sekolah SD negeri di {p} atapnya bocor dan ruang kelas rusak {t}",
        "guru honor SD di {p} belum terima gaji {t}",
        "ada pungutan uang seragam di SMP negeri {p} {t}",
    ),
    "DPUPR": (
        "jalan kabupaten di {p} berlubang besar dan rusak parah {t}",
        "jembatan kayu di {p} patah, warga tidak bisa lewat {t}",
        "parit dan drainase di {p} tersumbat, air meluap ke jalan {t}",
    ),
    "DISHUB": (
        "jadwal kapal pompong dari {p} sering batal {t}",
        "tarif kapal ferry penyeberangan dari pelabuhan {p} naik tanpa pemberitahuan {t}",
        "juru parkir liar di {p} memungut tarif parkir mahal {t}",
    ),
    "DLH": (
        "sampah menumpuk di TPS {p} tidak diangkut truk sampah {t}",
        "limbah usaha di {p} mencemari sungai dan berbau busuk {t}",
        "penebangan mangrove di {p} merusak pantai {t}",
    ),
    "DISDUKCAPIL": (
        "KTP elektronik saya belum jadi di disdukcapil padahal rekam di {p} {t}",
        "blanko KTP habis, kartu keluarga juga belum dicetak, urus dari {p} {t}",
        "akta kelahiran anak saya belum terbit, daftar di {p} {t}",
    ),
    "DINSOS": (
        "bantuan sosial BLT dan PKH tidak sampai ke warga miskin di {p} {t}",
        "lansia terlantar di {p} tidak dapat bantuan sembako {t}",
        "nama kami hilang dari DTKS dan bansos BPNT di {p} berhenti {t}",
    ),
    "PDAM": (
        "air PDAM di {p} tidak mengalir {t}",
        "tagihan air PDAM rumah saya di {p} melonjak padahal air mati {t}",
        "air leding PDAM di {p} keruh dan berbau {t}",
    ),
    "PLN": (
        "listrik PLN di {p} padam bergilir setiap hari {t}",
        "token listrik PLN rumah di {p} tidak masuk dan tiang listrik miring {t}",
        "pemadaman listrik di {p} terus terjadi, alat elektronik rusak {t}",
    ),
    "SATPOLPP": (
        "pedagang kaki lima berjualan di trotoar {p} mengganggu ketertiban {t}",
        "tempat karaoke di {p} bising sampai subuh {t}",
        "penjualan minuman keras di warung {p} meresahkan warga {t}",
    ),
    "BPBD": (
        "banjir merendam rumah warga di {p} {t}",
        "tanah longsor di bukit dekat {p} mengancam rumah {t}",
        "abrasi pantai di {p} makin parah, rumah hampir roboh {t}",
    ),
}
PLACES = (
    "Daik",
    "Dabo Singkep",
    "Senayang",
    "desa Penuba",
    "Sungai Buluh",
    "Kelurahan Dabo",
    "desa Resang",
    "Pancur",
    "Marok Tua",
    "desa Tanjung Irat",
    "Pulau Benan",
    "Kecamatan Lingga Utara",
)
TIMES = (
    "sejak sebulan",
    "sudah dua minggu",
    "sejak tiga bulan lalu",
    "sudah seminggu",
    "sejak awal tahun",
    "berhari-hari",
)


def complaint_texts(n: int, *, seed: int = 9) -> list[str]:
    """`n` texts, agencies interleaved, in a reproducible shuffled order."""
    combos = [
        subject.format(p=place, t=when)
        for subjects in SUBJECTS.values()
        for subject, place, when in itertools.product(subjects, PLACES, TIMES)
    ]
    random.Random(seed).shuffle(combos)
    return list(itertools.islice(itertools.cycle(combos), n))
