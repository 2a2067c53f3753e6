"""LibreOffice / OpenDocument text (.odt), read with odfpy: paragraphs and headings, tables (nested
too) cell by cell, lists, sections, text boxes and pictures, in reading order."""
from __future__ import annotations

from typing import Any

import io

from odf.namespaces import DRAWNS, TABLENS, TEXTNS

from parsers.documents import ReadOptions, problems, register, sniff
from parsers.documents.archive import check_package
from parsers.documents.problems import Unreadable
from parsers.text import IMAGE_MARK, DocumentText, Line, clean

_PARAGRAPHS = {(TEXTNS, "p"), (TEXTNS, "h")}
_CONTAINERS = {(TEXTNS, "list"), (TEXTNS, "list-item"), (TEXTNS, "section"), (TEXTNS, "list-header"),
               (TABLENS, "table-header-rows"), (TABLENS, "table-rows")}


def _text(node: Any) -> str:
    """The text of a paragraph without the text of frames (text boxes) inside it."""
    parts: list[str] = []
    for child in node.childNodes:
        if child.nodeType == child.TEXT_NODE:
            parts.append(str(child.data))
        elif child.qname == (TEXTNS, "s"):
            parts.append(" " * int(child.getAttribute("c") or 1))
        elif child.qname == (TEXTNS, "tab"):
            parts.append(" ")
        elif child.qname == (TEXTNS, "line-break"):
            parts.append("\n")  # a soft line break starts a new line, as on the page
        elif child.qname != (DRAWNS, "frame"):
            parts.append(_text(child))
    return "".join(parts)


def _has_picture(node: Any) -> bool:
    return any(child.qname == (DRAWNS, "image") or (child.nodeType == child.ELEMENT_NODE and _has_picture(child))
               for child in node.childNodes if child.nodeType == child.ELEMENT_NODE)


class _Walker:
    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.paragraph = 0
        self.table = 0

    def block(self, node: Any, where: str | None = None, cell: tuple[int, int, int] | None = None) -> None:
        for child in node.childNodes:
            if child.nodeType != child.ELEMENT_NODE:
                continue
            if child.qname in _PARAGRAPHS:
                self.para(child, where, cell)
            elif child.qname == (TABLENS, "table"):
                self.tbl(child)
            elif child.qname in _CONTAINERS:
                self.block(child, where, cell)

    def para(self, p: Any, where: str | None, cell: tuple[int, int, int] | None = None) -> None:
        self.paragraph += 1
        location = where or f"afsnit {self.paragraph}"
        for text in _text(p).split("\n"):
            if clean(text):
                self.lines.append(Line(clean(text), location, cell=cell, block=self.paragraph))
        from odf import draw  # (see `extract`)

        for frame in p.getElementsByType(draw.Frame):
            for box in frame.getElementsByType(draw.TextBox):
                self.block(box, location, cell)
        if _has_picture(p):
            self.lines.append(Line(IMAGE_MARK, location, image=True, cell=cell, block=self.paragraph))

    def tbl(self, node: Any) -> None:
        self.table += 1
        number = self.table
        rows = [r for r in node.childNodes if r.nodeType == r.ELEMENT_NODE and r.qname == (TABLENS, "table-row")]
        for group in (c for c in node.childNodes if c.nodeType == c.ELEMENT_NODE and c.qname in _CONTAINERS):
            rows += [r for r in group.childNodes if r.nodeType == r.ELEMENT_NODE and r.qname == (TABLENS, "table-row")]
        for r, row in enumerate(rows, start=1):
            cells = [c for c in row.childNodes if c.nodeType == c.ELEMENT_NODE and c.qname == (TABLENS, "table-cell")]
            for c, cell in enumerate(cells, start=1):
                self.block(cell, f"tabel {number}, række {r}, celle {c}", (number, r, c))


class OdtExtractor:
    mime_types: tuple[str, ...] = ("application/vnd.oasis.opendocument.text",)
    extensions: tuple[str, ...] = (".odt",)

    def extract(self, filename: str, data: bytes, options: ReadOptions = ReadOptions()) -> DocumentText:
        if data[:8] == sniff.CFB or sniff.zip_encrypted(data):  # an encrypted manifest (or member)
            raise Unreadable(problems.password(filename), "encrypted OpenDocument package")
        check_package(filename, data, "odt", options.limits)  # counted before odfpy reads it all into a DOM
        # odfpy appends its own folder (which has a config.py) to sys.path when its modules are imported,
        # so they are imported when an .odt is read, not when the readers are (odf.namespaces does not)
        from odf.opendocument import load

        try:
            document = load(io.BytesIO(data))  # odfpy parses with defusedxml: entities are refused
        except MemoryError:  # out of memory is the caller's to say (bot/readers.py: "for stor")
            raise
        except Exception as exc:  # odfpy raises many kinds
            raise Unreadable(problems.damaged(filename, "odt"), problems.detail_of(exc)) from exc
        walker = _Walker()
        walker.block(document.text)
        return DocumentText(filename, "odt", tuple(walker.lines))


register(OdtExtractor())
