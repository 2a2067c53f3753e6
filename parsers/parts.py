"""One document, several documents: a "samlet ansøgning med bilag" holds the application form, the
committee's minutes and perhaps an organisation chart, one after the other in a single PDF.

The document is cut where a page *begins* another document, judged by what its head says rather than by
one pattern per layout: the start of minutes is a head with a minutes title ("Referat",
"Beslutningsprotokol", "Børne- og Ungeudvalget - Referat - …") and the meeting's particulars (a body,
"Mødedato", "Mødested", attendance, a date, an agenda); the start of the form is its title with the
form's own landmarks (the agency, the deadline, "Generelle oplysninger"); the start of another annex is a
"Bilag 2: …" or "Organisationsdiagram" heading on a page that carries no agenda item.  Pages without
such a head continue the part before them.  Only lines are regrouped (by their page), nothing is
extracted again, and every line keeps its original location, so evidence still cites "side 5".

Documents without pages (Word, ODT, plain text) are one part.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from parsers.form import form_score
from parsers.minutes import ATTENDANCE, BODY, DATE_LIKE, STOP_LABEL, decision_label, is_minutes_title
from parsers.text import DocumentText, Line

PartRole = Literal["application_form", "minutes", "other"]
HEAD_LINES = 15  # a document's first page says what it is within its first lines
RUNNING_LINES = 3  # a running header is among a page's first lines
FORM_MIN_SCORE = 4  # parsers.form's own threshold for "this is the form"

_PAGE = re.compile(r"^side (\d+)\b", re.I)
_MEETING = re.compile(
    r"^(møde(?:dato|tidspunkt|tid|sted|lokale|rum)?\b|dato\s*:|tid(?:spunkt)?\s*:|sted\s*:|start-?tidspunkt|slut-?tidspunkt"
    r"|lokale\s*:|udvalg\s*:?$|møde\s*:?$|medlemmer\b)", re.I)
_AGENDA = re.compile(r"^(punkter|dagsordenspunkter|indholdsfortegnelse|åbne sager|åben sag|åbent møde|lukket møde)\b", re.I)
_TITLE_WORD = re.compile(r"referat|protokol|dagsorden", re.I)  # cheap test before the title's pattern
_FORM_WORD = re.compile(r"skema|ansøgning", re.I)
_FORM_TITLE = re.compile(r"skema til ansøgning|ansøgningsskema|^ansøgning (?:om|til)\b.{0,50}task\s?-?force", re.I)
_FORM_CUES = (
    re.compile(r"^(?:til:\s*)?(?:social-?\s+og\s+boligstyrelsen|socialstyrelsen)\b.{0,60}$", re.I),
    re.compile(r"frist for indsendelse|ansøgningsfrist", re.I),
    re.compile(r"generelle oplysninger", re.I),
    re.compile(r"^(?:kommunenavn|kommune\s*:|cvr)", re.I),
)
_ANNEX = re.compile(r"^(?:bilag\s*(?:\d+|[a-z])\b\s*[:.\-–]?\s*\S.*|organisationsdiagram\w*.*|organisationsplan.*|organigram\w*.*)$", re.I)


@dataclass(frozen=True)
class Part:
    """A run of pages that is one document of its own, with the lines of those pages only."""

    role: PartRole
    first_page: int
    last_page: int
    text: DocumentText

    @property
    def pages(self) -> str:
        """The page range as check --json shows it: "4-6", or "4" for a single page."""
        return str(self.first_page) if self.first_page == self.last_page else f"{self.first_page}-{self.last_page}"


def page_of(line: Line) -> int | None:
    """The 1-based page of a line: its own field where the extractor sets one, else "side N" in its
    location (PDF text and OCR lines)."""
    if line.page:
        return line.page
    match = _PAGE.match(line.location)
    return int(match.group(1)) if match else None


def _pages(doc: DocumentText) -> list[tuple[int, list[int]]]:
    """The line indices of each page, in order; a line without a page stays with the page before it."""
    pages: list[tuple[int, list[int]]] = []
    for index, line in enumerate(doc.lines):
        number = page_of(line)
        if pages and (number is None or number == pages[-1][0]):
            pages[-1][1].append(index)
        elif number is not None:
            pages.append((number, [index]))
        elif not pages:
            pages.append((1, [index]))
    return pages


_DIGITS = str.maketrans("0123456789", "##########")


def _normal(text: str) -> str:
    """A line as a running header repeats it: case, spacing and page numbers aside."""
    return " ".join(text.lower().translate(_DIGITS).split())


def _head(doc: DocumentText, indices: list[int], running: set[str]) -> list[str]:
    """The first lines of a page, without a running header that the page before it carried too."""
    head: list[str] = []
    for position, i in enumerate(indices[: HEAD_LINES + RUNNING_LINES]):
        line = doc.lines[i]
        if line.image or (position < RUNNING_LINES and running and _normal(line.text) in running):
            continue
        head.append(line.text)
        if len(head) >= HEAD_LINES:
            break
    return head


def _minutes_start(head: list[str]) -> float:
    """How surely a page head opens minutes (0 when it does not)."""
    title = any(_TITLE_WORD.search(text) and is_minutes_title(text) for text in head)
    meeting = min(2, sum(1 for text in head if _MEETING.match(text)))
    if not title and not meeting:
        return 0  # most pages: an agenda item's continuation
    score = (3 if title else 0) + meeting
    score += any(ATTENDANCE.match(text) for text in head)
    score += any(len(text) < 80 and BODY.search(text) for text in head)
    score += any(_AGENDA.match(text) for text in head)
    score += any(len(text) < 80 and DATE_LIKE.search(text) for text in head)
    if title and score >= 4:
        return score
    if not title and score >= 5 and meeting and any(BODY.search(text) for text in head):
        return score  # "Kommunalbestyrelsen / 24-09-2019 / Medlemmer / … / Fraværende" without the word
    return 0


def _form_start(head: list[str]) -> float:
    """How surely a page head opens the application form (0 when it does not): its title and at least
    two of its landmarks, on a page that records no decision (minutes quote the form's title too)."""
    if not any(len(text) < 120 and not text[:1].isdigit() and _FORM_WORD.search(text) and _FORM_TITLE.search(text) for text in head):
        return 0
    if any(decision_label(text) is not None for text in head):
        return 0
    score = 2 + sum(1 for cue in _FORM_CUES if any(cue.search(text) for text in head))
    return score if score >= 4 else 0


def _annex_start(doc: DocumentText, indices: list[int], head: list[str]) -> bool:
    """A "Bilag 2: Organisationsdiagram" page, unless the page is an agenda item's continuation."""
    if not any(_ANNEX.match(text) for text in head[:3]):
        return False
    return not any(decision_label(doc.lines[i].text) is not None or STOP_LABEL.match(doc.lines[i].text)
                   for i in indices if not _ANNEX.match(doc.lines[i].text))


def _start_of(doc: DocumentText, indices: list[int], running: set[str]) -> PartRole | None:
    head = _head(doc, indices, running)
    minutes, form = _minutes_start(head), _form_start(head)
    if minutes and minutes >= form:
        return "minutes"
    if form:
        return "application_form"
    if _annex_start(doc, indices, head):
        return "other"
    return None


def _restricted(doc: DocumentText, indices: list[int], first: int, last: int) -> DocumentText:
    lines = tuple(doc.lines[i] for i in indices)
    ocr = tuple(p for p in doc.ocr_pages if first <= p <= last)
    return replace(doc, lines=lines, ocr_pages=ocr)


def _role(start: PartRole | None, text: DocumentText) -> PartRole:
    """A part opened by minutes is minutes; a form start, or a run of pages with no recognised head,
    is the form only when it holds the form's landmarks."""
    if start == "minutes" or start == "other":
        return start
    return "application_form" if form_score(text.text) >= FORM_MIN_SCORE else "other"


def _merge(parts: list[Part], doc: DocumentText, pages: dict[int, list[int]]) -> tuple[Part, ...]:
    """Neighbouring form or annex parts are one part; two minutes in a row stay two (each its own
    meeting and decision)."""
    out: list[Part] = []
    for part in parts:
        if out and out[-1].role == part.role and part.role != "minutes":
            first, last = out[-1].first_page, part.last_page
            indices = [i for n in sorted(pages) if first <= n <= last for i in pages[n]]
            out[-1] = Part(part.role, first, last, _restricted(doc, indices, first, last))
        else:
            out.append(part)
    return tuple(out)


def split_parts(doc: DocumentText) -> tuple[Part, ...]:
    """The documents inside one document, in page order; a single part when nothing starts anew."""
    pages = _pages(doc)
    if not pages:
        return ()
    runs: list[tuple[PartRole | None, list[int]]] = []
    running: set[str] = set()
    for number, indices in pages:
        start = _start_of(doc, indices, running)
        if not runs or start is not None:
            runs.append((start, [number]))
        else:
            runs[-1][1].append(number)
        running = {_normal(doc.lines[i].text) for i in indices[:RUNNING_LINES]}
    by_number = {number: indices for number, indices in pages}
    parts = []
    for start, numbers in runs:
        indices = [i for n in numbers for i in by_number[n]]
        text = _restricted(doc, indices, numbers[0], numbers[-1])
        parts.append(Part(_role(start, text), numbers[0], numbers[-1], text))
    return _merge(parts, doc, by_number)
