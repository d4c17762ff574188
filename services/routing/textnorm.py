"""Indonesian complaint text, normalised for classification.

Lower case, accents folded, the SMS keyword `LAPOR` dropped, letters repeated for emphasis
collapsed (`rusaaak` -> `rusak`), and the short forms people write in SMS and chat expanded.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalise"]

_WORD = re.compile(r"[a-z0-9]+")
_REPEATS = re.compile(r"([a-z])\1{2,}")
# Short forms and slang, expanded to the standard word. Only unambiguous forms.
_SHORT_FORMS = {
    "yg": "yang",
    "tdk": "tidak",
    "tak": "tidak",
    "gk": "tidak",
    "ga": "tidak",
    "gak": "tidak",
    "nggak": "tidak",
    "ngga": "tidak",
    "enggak": "tidak",
    "kagak": "tidak",
    "g": "tidak",
    "blm": "belum",
    "blum": "belum",
    "sdh": "sudah",
    "udh": "sudah",
    "udah": "sudah",
    "dah": "sudah",
    "jln": "jalan",
    "jl": "jalan",
    "dgn": "dengan",
    "dg": "dengan",
    "krn": "karena",
    "karna": "karena",
    "utk": "untuk",
    "untk": "untuk",
    "bgt": "banget",
    "tlg": "tolong",
    "tolonk": "tolong",
    "mhn": "mohon",
    "org": "orang",
    "bln": "bulan",
    "hr": "hari",
    "skrg": "sekarang",
    "skr": "sekarang",
    "kmrn": "kemarin",
    "dr": "dari",
    "sm": "sama",
    "aja": "saja",
    "gmn": "bagaimana",
    "gimana": "bagaimana",
    "knp": "kenapa",
    "kpd": "kepada",
    "spt": "seperti",
    "jg": "juga",
    "lg": "lagi",
    "sy": "saya",
    "sya": "saya",
    "kami2": "kami",
    "bs": "bisa",
    "bsa": "bisa",
    "tp": "tapi",
    "tpi": "tapi",
    "dlm": "dalam",
    "pd": "pada",
    "sklh": "sekolah",
    "sekolahan": "sekolah",
    "rmh": "rumah",
    "kec": "kecamatan",
    "kab": "kabupaten",
    "pkm": "puskesmas",
    "rs": "rumahsakit",
    "ektp": "ktp",
    "lpg": "elpiji",
    "bnyk": "banyak",
    "sampe": "sampai",
    "smpe": "sampai",
    "pnsnya": "pns",
    "trs": "terus",
    "trus": "terus",
    "jd": "jadi",
    "jdi": "jadi",
    "msh": "masih",
    "masi": "masih",
    "bpk": "bapak",
    "ibu2": "ibu",
    "anak2": "anak",
    "warga2": "warga",
    "bu": "ibu",
    "pak": "bapak",
}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def normalise(text: str) -> str:
    """The text as the classifier sees it."""
    words = _WORD.findall(_REPEATS.sub(r"\1", _fold(text)))
    if words and words[0] == "lapor":
        words = words[1:]
    return " ".join(_SHORT_FORMS.get(w, w) for w in words)
