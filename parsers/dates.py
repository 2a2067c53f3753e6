"""Danish dates as people write them in forms and minutes.

The regular expression only *finds* candidates ("4. oktober 2019", "d. 30 september 2019",
"30.09.2019", "30-09-2019", "30/9 2019", "14/1-2025", "2019-09-30"); dateparser interprets them, with the
day, month and year all required so that nothing is filled in from a clock.

A form's answer may also say "3.12.24" (a two-digit year) or "d. 9. januar" (no year at all).  Those are
read only where the caller asks (`short_years`, `default_year`): in minutes, "27.12.04" is a KLE
journal number, not a date.
"""
from __future__ import annotations

import datetime as dt
import functools
import re

import dateparser

_MONTHS = (
    r"jan(?:uar)?|feb(?:ruar)?|mar(?:ts)?|apr(?:il)?|maj|jun(?:i)?|jul(?:i)?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|okt(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_CANDIDATE = re.compile(
    rf"\b(?:\d{{1,2}}\.?\s*(?:{_MONTHS})\.?\s+\d{{4}}"
    r"|\d{1,2}[./-]\s?\d{1,2}[./ -]\s?\d{4}"
    r"|\d{1,2}/\d{1,2}-\d{4}"
    r"|\d{4}-\d{2}-\d{2})\b",
    re.IGNORECASE,
)
_SETTINGS = {
    "DATE_ORDER": "DMY",
    "REQUIRE_PARTS": ["day", "month", "year"],
    "RELATIVE_BASE": dt.datetime(2000, 1, 1),
    "PREFER_DAY_OF_MONTH": "first",
}


_SHORT_YEAR = re.compile(r"(?<![\d.,/-])(\d{1,2})[./-](\d{1,2})[./-](\d{2})(?![\d.,/-]?\d)")
_NO_YEAR = re.compile(rf"\b(\d{{1,2}})\.?\s*((?:{_MONTHS}))\b\.?(?!\.?\s*\d)", re.IGNORECASE)


# the shapes dateparser reads as day, month, year whatever the numbers ("1.2/2019" it reads now and then)
_NUMERIC = re.compile(r"(\d{1,2})(?:[/-] ?(\d{1,2})[./ -]|\. ?(\d{1,2})\.) ?(\d{4})", re.ASCII)
_NAMED = re.compile(rf"(\d{{1,2}})\.? *({_MONTHS})\.? +(\d{{4}})", re.IGNORECASE | re.ASCII)
_MONTH_NUMBER = {name: n for n, name in enumerate(("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"), 1)}


def parse_date(text: str) -> dt.date | None:
    """One date written in Danish, or None.  The shapes the candidates take ("30.09.2019", "30/9
    2019", "14/1-2025", "9. jan. 2025") are read here as day, month and year, which is what dateparser
    makes of them (the same answer on 64,000 strings of these shapes, days 0-33, months 0-14, every
    separator and spacing), at a hundredth of its cost; anything else ("sept", "1.2/2019", a day or
    month out of range) is dateparser's."""
    stripped = text.strip()
    numeric = _NUMERIC.fullmatch(stripped)
    named = None if numeric else _NAMED.fullmatch(stripped)
    if numeric:
        day, month, year = int(numeric.group(1)), int(numeric.group(2) or numeric.group(3)), int(numeric.group(4))
    elif named and named.group(2).lower() != "sept":  # dateparser does not know "sept"
        day, month, year = int(named.group(1)), _MONTH_NUMBER[named.group(2)[:3].lower()], int(named.group(3))
    else:
        return _dateparser(text)
    if 1900 <= year <= 2199:
        value = _date(year, month, day)
        if value is not None:
            return value
    return _dateparser(text)


@functools.lru_cache(maxsize=1024)
def _dateparser(text: str) -> dt.date | None:
    """dateparser's reading (Danish, day before month, no part filled in); kept, as it is a pure
    function of the text and costs milliseconds."""
    candidate = re.sub(r"[/\-](\d{4})$", r" \1", text.strip()) if re.fullmatch(r"\d{1,2}/\d{1,2}-\d{4}", text.strip()) else text
    parsed = dateparser.parse(candidate, languages=["da"], settings=_SETTINGS)
    return parsed.date() if parsed else None


def find_dates(text: str, short_years: bool = False, default_year: int | None = None) -> list[tuple[dt.date, str]]:
    """Every date in a text, in order, with the words it was read from.  `short_years` also reads
    "3.12.24" as 3 December 2024; `default_year` gives "d. 9. januar" that year."""
    found: list[tuple[int, dt.date, str]] = []
    taken: list[tuple[int, int]] = []
    for match in _CANDIDATE.finditer(text):
        value = parse_date(match.group(0))
        if value is not None and 1990 <= value.year <= 2100:
            found.append((match.start(), value, match.group(0)))
            taken.append(match.span())

    def free(m: re.Match[str]) -> bool:
        return not any(a < m.end() and m.start() < b for a, b in taken)

    if short_years:
        for match in _SHORT_YEAR.finditer(text):
            day, month, year = (int(g) for g in match.groups())
            value = _date(2000 + year, month, day)
            if value and free(match):
                found.append((match.start(), value, match.group(0)))
    if default_year is not None:
        for match in _NO_YEAR.finditer(text):
            value = parse_date(f"{match.group(1)}. {match.group(2)} {default_year}")
            if value and free(match):
                found.append((match.start(), value, match.group(0)))
    return [(value, words) for _, value, words in sorted(found, key=lambda f: f[0])]


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def first_date(text: str) -> dt.date | None:
    dates = find_dates(text)
    return dates[0][0] if dates else None
