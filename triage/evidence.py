"""What the application page shows beside each citation, and the document viewer's pages: the pictures
the service made (bot/pictures.py) and the stored readings' text, read from the database only (a page
never renders or reads a document)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from sqlmodel import Session, col, select

from parsers.pictures import PICTURED_FORMATS, citation_key, page_of
from parsers.reading import READER_VERSION
from parsers.text import Line
from storage.models import Attachment, Picture
from storage.readings import newest_reading

PURPOSE_NAMES = {"signature": "Underskriftsfeltet", "decision": "Beslutningen", "evidence": "Det citerede sted"}


@dataclass(frozen=True)
class Shown:
    """One citation's place: its picture (None: not made yet, or the document has none), the text of
    its cell or paragraph when the document is Word/odt, and the viewer's address."""

    alt: str
    picture: Picture | None = None
    pending: bool = False
    lines: tuple[str, ...] = ()
    viewer: str = ""
    problem: str = ""  # why the document has no pictures (rendering took too long, PDFium refused it …)


@dataclass
class Evidence:
    """The pictures and previews of one application's citations, by citation."""

    shown: dict[str, Shown] = field(default_factory=dict)

    def of(self, citation: dict[str, str]) -> Shown | None:
        return self.shown.get(citation_key(citation.get("file", ""), citation.get("location", ""), citation.get("snippet", "")))


def _alt(picture: Picture | None, citation: dict[str, str]) -> str:
    what = PURPOSE_NAMES.get(picture.purpose if picture else "evidence", "Det citerede sted")
    return f"{what} i {citation['file']}, {citation['location']}: »{citation['snippet'][:80]}«"


def evidence(session: Session, checks: dict[str, dict[str, Any]], attachments: list[Attachment], kept: Callable[[str], bool]) -> Evidence:
    """Each citation of the checks matched to its document (by the file name the reading cites) and to
    the picture of that place.  A document whose file is gone (`kept` says no: `retention apply`, a
    subject erasure) shows no picture of it either."""
    by_name: dict[str, list[Attachment]] = {}
    for a in attachments:
        if kept(a.sha256):
            by_name.setdefault(a.filename, []).append(a)
    citations = [c for check in checks.values() for c in check.get("citations", []) if c.get("file") in by_name]
    shas = {a.sha256 for c in citations for a in by_name[c["file"]]}
    rows = session.exec(select(Picture).where(col(Picture.document_sha256).in_(shas))).all() if shas else []
    pictures = {(p.document_sha256, p.key): p for p in rows if p.purpose not in ("page", "done")}
    done = {p.document_sha256: p.problem for p in rows if p.purpose == "done" and p.key == READER_VERSION}
    out = Evidence()
    for c in citations:
        key = citation_key(c["file"], c["location"], c["snippet"])
        # two files of one name (a corrected form sent again): the one whose picture shows this very
        # citation, else the first sent (a reading cites the name it was first read under)
        same_name = by_name[c["file"]]
        attachment = next((a for a in same_name if (a.sha256, key) in pictures), same_name[0])
        picture = pictures.get((attachment.sha256, key))
        page = page_of(c["location"])
        viewer = f"/attachments/{attachment.id}/view" + (f"?page={page}" if page else "")
        if picture is None and page is None:  # Word/odt: the text of the cited cell or paragraph
            reading = newest_reading(session, attachment.sha256)
            lines = tuple(line.text for line in (reading.text.lines if reading else ()) if line.location == c["location"])
            out.shown[key] = Shown(_alt(None, c), lines=lines or (c["snippet"],), viewer=viewer)
            continue
        out.shown[key] = Shown(_alt(picture, c), picture, pending=picture is None and attachment.sha256 not in done, viewer=viewer,
                               problem=done.get(attachment.sha256, "") if picture is None else "")
    return out


@dataclass
class Block:
    """A run of the document in the viewer: a paragraph (lines), or a table (rows of cells)."""

    lines: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def blocks(lines: tuple[Line, ...]) -> list[Block]:
    """A Word/odt reading's lines as the viewer shows them: paragraphs, and each table (`Line.cell`)
    as rows and columns again, a cell's lines joined by line breaks."""
    out: list[Block] = []
    table: int | None = None
    cells: dict[tuple[int, int], list[str]] = {}

    def close() -> None:
        if cells:
            rows = sorted({r for r, _ in cells})
            columns = sorted({c for _, c in cells})
            out.append(Block(rows=[["\n".join(cells.get((r, c), [])) for c in columns] for r in rows]))
            cells.clear()

    paragraph: int | None = None
    for line in lines:
        if line.cell is None:
            close()
            if table is None and out and out[-1].lines and line.block is not None and line.block == paragraph:
                out[-1].lines.append(line.text)  # a Word paragraph split at soft line breaks
            else:
                out.append(Block(lines=[line.text]))
            table, paragraph = None, line.block
            continue
        if line.cell[0] != table:
            close()
            table = line.cell[0]
        cells.setdefault((line.cell[1], line.cell[2]), []).append(line.text)
    close()
    return out


@dataclass
class Viewer:
    attachment: Attachment
    page: int
    pages: list[Picture]
    picture: Picture | None
    pending: bool
    blocks: list[Block]
    problem: str = ""


def viewer(session: Session, attachment: Attachment, page: int) -> Viewer:
    """Page `page` of a PDF or scan (its picture), or a Word/odt document's text with its tables."""
    rows = session.exec(select(Picture).where(Picture.document_sha256 == attachment.sha256)).all()
    pages = sorted((p for p in rows if p.purpose == "page"), key=lambda p: p.page)
    done = any(p.purpose == "done" and p.key == READER_VERSION for p in rows)
    reading = newest_reading(session, attachment.sha256)
    if pages:
        page = min(max(page, 1), len(pages))
        return Viewer(attachment, page, pages, pages[page - 1], False, [])
    fmt = reading.text.format if reading else ""
    if fmt in PICTURED_FORMATS:
        return Viewer(attachment, 1, [], None, not done, [], "" if not done else "Siderne kunne ikke vises.")
    if reading is None or not reading.text.lines:
        return Viewer(attachment, 1, [], None, False, [], attachment.problem or "Dokumentet er ikke læst.")
    return Viewer(attachment, 1, [], None, False, blocks(reading.text.lines))
