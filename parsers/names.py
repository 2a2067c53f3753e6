"""People's names as they are written: with or without a middle name or initial."""
from __future__ import annotations

import unicodedata

from rapidfuzz import fuzz

OCR_SIMILARITY = 80  # "Thamsen" for "Thomsen": one misread letter in a name read off a scan


def _norm(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().replace(".", " ").replace("-", " ").split())


def same_person(a: str, b: str, ocr: bool = False) -> bool:
    """Equal names, or one with a middle name the other leaves out ("Mette K. Hansen" ~ "Mette Hansen").
    Read off a scan (`ocr`), a first and last name one letter off are the same name: OCR misreads
    letters, people do not misspell their director."""
    x, y = _norm(a).split(), _norm(b).split()
    if not x or not y:
        return False
    if x == y or (x[0] == y[0] and x[-1] == y[-1]):
        return True
    return ocr and fuzz.ratio(x[0], y[0]) >= OCR_SIMILARITY and fuzz.ratio(x[-1], y[-1]) >= OCR_SIMILARITY
