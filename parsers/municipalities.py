"""The 98 Danish municipalities (name, kommunekode, CVR, mail domains) and the CVR modulus-11 check."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    region: str
    cvr: str
    domains: tuple[str, ...]

    @property
    def short_name(self) -> str:
        return re.sub(r"\s+(Kommune|Regionskommune)$", "", self.name)


def cvr_is_valid(cvr: str) -> bool:
    """The CVR register's modulus-11 check (weights 2,7,6,5,4,3,2,1)."""
    digits = re.sub(r"\D", "", cvr)
    if len(digits) != 8 or digits[0] == "0":
        return False
    return sum(int(d) * w for d, w in zip(digits, CVR_WEIGHTS)) % 11 == 0


@lru_cache(maxsize=1)
def all_municipalities() -> tuple[Municipality, ...]:
    text = resources.files("parsers").joinpath("data/municipalities.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return tuple(
        Municipality(r["kommunekode"], r["name"], r["region"], r["cvr"], tuple(d for d in r["domains"].split(";") if d))
        for r in rows
    )


def by_cvr(cvr: str) -> Municipality | None:
    digits = re.sub(r"\D", "", cvr)
    return next((m for m in all_municipalities() if m.cvr == digits), None)


def by_domain(address_or_domain: str) -> Municipality | None:
    domain = address_or_domain.rsplit("@", 1)[-1].lower().strip(" >")
    for m in all_municipalities():
        if any(domain == d or domain.endswith("." + d) for d in m.domains):
            return m
    return None


def find_in_text(text: str) -> tuple[Municipality, str] | None:
    """The first municipality named in a text ("Slagelse Kommune", "Københavns Kommune", "Bornholms
    Regionskommune"), with the words matched.  Longest names first, so "Lyngby-Taarbæk" beats "Lyngby"."""
    best: tuple[int, Municipality, str] | None = None
    for m, pattern in _name_patterns():
        match = pattern.search(text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), m, match.group(0))
    return (best[1], best[2]) if best else None


@lru_cache(maxsize=1)
def _name_patterns() -> tuple[tuple[Municipality, re.Pattern[str]], ...]:
    """Every municipality's name pattern, longest names first, compiled once (every document is
    searched for all 98)."""
    out = []
    for m in sorted(all_municipalities(), key=lambda m: -len(m.short_name)):
        stem = re.escape(m.short_name).replace(r"\ ", r"\s+")
        pattern = rf"\b{stem}s?\s+(?:Kommune|Regionskommune)\b|\b(?:Kommune(?:navn)?\s*:?\s*){stem}\b"
        out.append((m, re.compile(pattern, re.IGNORECASE)))
    return tuple(out)


def sender_mismatch(form_cvr: str, sender: str) -> Municipality | None:
    """The municipality of the sender's mail domain when it is not the one the form names (by CVR);
    None when they agree or either is unknown.  The form wins; the mismatch is shown for review."""
    record = by_domain(sender) if sender else None
    if record is None or not form_cvr or record.cvr == form_cvr:
        return None
    return record
