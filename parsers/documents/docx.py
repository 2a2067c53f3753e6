"""Word .docx: body paragraphs and tables (nested too), content controls, text boxes, headers, footers
and inline pictures, in reading order."""
from __future__ import annotations

from typing import Any

import io
import zipfile

from docx import Document
from docx.oxml.ns import qn

from parsers.documents import ReadOptions, problems, register, sniff
from parsers.documents.archive import check_package
from parsers.documents.problems import Unreadable
from parsers.text import IMAGE_MARK, DocumentText, Line, clean

_P, _TBL, _TR, _TC, _SDT, _SDT_CONTENT = (qn(t) for t in ("w:p", "w:tbl", "w:tr", "w:tc", "w:sdt", "w:sdtContent"))
_T, _TXBX, _TAB = qn("w:t"), qn("w:txbxContent"), qn("w:tab")
_BREAKS, _BR_TYPE = (qn("w:br"), qn("w:cr")), qn("w:type")
_PICTURE_TAGS = ("{http://schemas.openxmlformats.org/drawingml/2006/main}blip", "{urn:schemas-microsoft-com:vml}imagedata")


def _paragraph_lines(p: Any) -> list[str]:
    """The lines of one paragraph: a soft line break (Shift+Enter) starts a new line, as it does on
    the page, so "Slagelse, den 17. marts 2025 / Mette Hansen / Direktør" stay three lines."""
    lines: list[list[str]] = [[]]
    for node in p.iter():
        if node.tag == _T and node.text:
            lines[-1].append(node.text)
        elif node.tag == _TAB:
            lines[-1].append(" ")
        elif node.tag in _BREAKS and node.get(_BR_TYPE) not in ("page", "column"):
            lines.append([])
    return [text for text in (clean("".join(parts)) for parts in lines) if text]


def _paragraph_text(p: Any) -> str:
    return " ".join(_paragraph_lines(p))


def _has_picture(p: Any) -> bool:
    return any(node.tag in _PICTURE_TAGS for node in p.iter())


class _Walker:
    """Walks the XML in document order and numbers paragraphs and tables for the evidence; every line
    of a table cell carries the cell's (table, row, column)."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.paragraph = 0
        self.table = 0

    def block(self, element: Any, where: str | None = None, cell: tuple[int, int, int] | None = None) -> None:
        for child in element:
            if child.tag == _P:
                self.para(child, where, cell)
            elif child.tag == _TBL:
                self.tbl(child)
            elif child.tag == _SDT:
                content = child.find(_SDT_CONTENT)
                if content is not None:
                    self.block(content, where, cell)

    def para(self, p: Any, where: str | None, cell: tuple[int, int, int] | None) -> None:
        self.paragraph += 1
        location = where or f"afsnit {self.paragraph}"
        for text in _paragraph_lines(p):
            self.lines.append(Line(text, location, cell=cell, block=self.paragraph))
        if _has_picture(p):
            self.lines.append(Line(IMAGE_MARK, location, image=True, cell=cell, block=self.paragraph))

    def tbl(self, tbl: Any) -> None:
        self.table += 1
        number = self.table
        for r, row in enumerate(tbl.iter(_TR), start=1):
            if row.getparent() is not None and row.getparent() is not tbl:
                continue  # a nested table's rows are walked with that table
            for c, cell in enumerate(row.findall(_TC), start=1):
                self.block(cell, f"tabel {number}, række {r}, celle {c}", (number, r, c))


def _parts_text(parts: list[Any], label: str) -> list[Line]:
    lines: list[Line] = []
    for part in parts:
        for p in part._element.iter(_P):
            text = _paragraph_text(p)
            if text:
                lines.append(Line(text, label))
    return lines


class DocxExtractor:
    mime_types: tuple[str, ...] = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",)
    extensions: tuple[str, ...] = (".docx", ".docm")

    def extract(self, filename: str, data: bytes, options: ReadOptions = ReadOptions()) -> DocumentText:
        if data[:8] == sniff.CFB:
            # a .docx saved with a password is an OLE compound file (MS-OFFCRYPTO); any other is an old
            # Word file with the new name, read as one
            if sniff.cfb_encrypted(data):
                raise Unreadable(problems.password(filename), "encrypted OOXML (EncryptionInfo + EncryptedPackage)")
            from parsers.documents.legacy import LegacyWordExtractor

            return LegacyWordExtractor().extract(filename, data, options)
        # counted before python-docx opens it: parts, declared sizes, no DTD (python-docx's lxml parser
        # does not resolve entities, and libxml2 refuses amplification, but a part with one is refused here)
        check_package(filename, data, "docx", options.limits)
        try:
            document = Document(io.BytesIO(data))
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise Unreadable(problems.damaged(filename, "docx"), problems.detail_of(exc)) from exc
        walker = _Walker()
        walker.block(document.element.body)
        headers = [s.header for s in document.sections] + [s.footer for s in document.sections]
        lines = walker.lines + _parts_text(headers, "sidehoved/sidefod")
        return DocumentText(filename, "docx", tuple(lines))


register(DocxExtractor())
