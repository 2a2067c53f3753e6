"""The common shape every document extractor returns: ordered lines of text with their location.

Form and minutes parsers work on this shape only, so a fact read from a Word table, a PDF page or an
OCR'd scan carries the same kind of evidence (file, place, snippet).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

IMAGE_MARK = "[billede]"


@dataclass(frozen=True)
class Evidence:
    """Where a fact was found: the file, the place inside it, and the words."""

    file: str
    location: str
    snippet: str

    def describe(self) -> str:
        quoted = self.snippet if len(self.snippet) <= 120 else self.snippet[:117] + "…"
        return f"{self.file}, {self.location}: »{quoted}«"


@dataclass(frozen=True)
class Line:
    """One line of a document in reading order.  `image` marks an embedded picture at this place.

    The structure a reader needs to pair a question with its answer travels with the line: `cell` is
    (table, row, column) when the line stands in a table cell (a ruled one, or label and answer side by
    side in two columns of a PDF), `block` numbers the paragraph a line belongs to (the lines of one
    Word paragraph split at soft line breaks share it), `page` is the 1-based page where known."""

    text: str
    location: str
    image: bool = False
    cell: tuple[int, int, int] | None = None
    block: int | None = None
    page: int | None = None


@dataclass(frozen=True)
class DigitalSignature:
    """A PDF signature field as pyhanko reports it."""

    field: str
    signer: str | None
    intact: bool
    trusted: bool
    covers_whole_document: bool
    summary: str


@dataclass(frozen=True)
class DocumentText:
    """The readable content of one attachment.  `unreadable` holds the reason when nothing could be read."""

    filename: str
    format: str
    lines: tuple[Line, ...] = ()
    signatures: tuple[DigitalSignature, ...] = ()
    unreadable: str | None = None
    ocr_pages: tuple[int, ...] = field(default=())

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def evidence(self, index: int, snippet: str | None = None) -> Evidence:
        line = self.lines[index]
        return Evidence(self.filename, line.location, (snippet or line.text).strip())


_SPACE = re.compile(r"[ \t\u00a0\u2002\u2003\u2009]+")


def clean(text: str) -> str:
    """Fold runs of white space (incl. non-breaking) into one space and strip."""
    return _SPACE.sub(" ", text).strip()
