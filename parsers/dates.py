"""Danish dates as people write them in forms and minutes.

The regular expression only *finds* candidates ("4. oktober 2019", "d. 30 september 2019",
"30.09.2019", "30-09-2019", "30/9 2019", "2019-09-30"); dateparser interprets them, with the day, month
and year all required so that nothing is filled in from a clock.
"""
from __future__ import annotations

import datetime as dt
import re

import dateparser

_MONTHS = (
    r"jan(?:uar)?|feb(?:ruar)?|mar(?:ts)?|apr(?:il)?|maj|jun(?:i)?|jul(?:i)?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|okt(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_CANDIDATE = re.compile(
    rf"\b(?:\d{{1,2}}\.?\s*(?:{_MONTHS})\.?\s+\d{{4}}"
    r"|\d{1,2}[./-]\d{1,2}[./ -]\s?\d{4}"
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


def parse_date(text: str) -> dt.date | None:
    """One date written in Danish, or None."""
    candidate = re.sub(r"[/\-](\d{4})$", r" \1", text.strip()) if re.fullmatch(r"\d{1,2}/\d{1,2}-\d{4}", text.strip()) else text
    parsed = dateparser.parse(candidate, languages=["da"], settings=_SETTINGS)
    return parsed.date() if parsed else None


def find_dates(text: str) -> list[tuple[dt.date, str]]:
    """Every date in a text, in order, with the words it was read from."""
    found: list[tuple[dt.date, str]] = []
    for match in _CANDIDATE.finditer(text):
        value = parse_date(match.group(0))
        if value is not None and 1990 <= value.year <= 2100:
            found.append((value, match.group(0)))
    return found


def first_date(text: str) -> dt.date | None:
    dates = find_dates(text)
    return dates[0][0] if dates else None
