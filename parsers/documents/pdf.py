"""PDF with a text layer (pdfplumber): lines with page numbers, pictures at their place on the page.

Pages without a text layer are scans: they alone are OCR'd (parsers/documents/scan.py) and listed in
`ocr_pages`.
"""
from __future__ import annotations

from typing import Any

import io

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError

from parsers.documents import register
from parsers.documents.scan import OcrUnavailable, ocr_pdf_pages
from parsers.text import IMAGE_MARK, DocumentText, Line, clean

MIN_IMAGE_POINTS = 20  # smaller pictures are bullets and rules, not signatures


COLUMN_GAP = 18.0  # points of empty space inside one line that mark two columns (a word space is ~3)
COLUMN_MIN_X = 60.0  # the answer column starts at least this far right of the label column


def _inside(top: float, bottom: float, box: tuple[float, float, float, float]) -> bool:
    middle = (top + bottom) / 2
    return box[1] <= middle <= box[3]


def _cell_of(x: float, y: float, table: Any) -> tuple[int, int] | None:
    for r, row in enumerate(table.rows, start=1):
        for c, box in enumerate(row.cells, start=1):
            if box and box[0] <= x <= box[2] and box[1] <= y <= box[3]:
                return r, c
    return None


def _table_lines(page: Any, number: int) -> tuple[list[tuple[float, Line]], list[Any]]:
    """Ruled tables cell by cell (label cell before answer cell), so a label and its answer side by
    side are not run together into one line; the lines of a multi-line cell stay lines."""
    located: list[tuple[float, Line]] = []
    tables = page.find_tables() if page.rects or page.lines else []  # no ruling, no ruled table
    for t_index, table in enumerate(tables, start=1):
        key = number * 100 + t_index
        for r_index, (row, texts) in enumerate(zip(table.rows, table.extract()), start=1):
            for c_index, text in enumerate(texts, start=1):
                for k, part in enumerate(p for p in (clean(t) for t in (text or "").split("\n")) if p):
                    located.append((row.bbox[1] + c_index * 0.001 + k * 0.00001,
                                    Line(part, f"side {number}, tabel {t_index}, række {r_index}, celle {c_index}", cell=(key, r_index, c_index), page=number)))
    return located, tables


def _segments(row: dict[str, Any]) -> list[tuple[float, str]]:
    """A text line cut where a wide gap separates two columns: [(x0, text), …]."""
    out: list[tuple[float, list[str]]] = []
    last_x1: float | None = None
    for ch in row["chars"]:
        if last_x1 is None or ch["x0"] - last_x1 > COLUMN_GAP:
            out.append((ch["x0"], []))
        elif ch["x0"] - last_x1 > 1.0 and ch["text"] != " ":
            out[-1][1].append(" ")
        out[-1][1].append(ch["text"])
        last_x1 = ch["x1"]
    return [(x, clean("".join(t))) for x, t in out if clean("".join(t))]


def _column_lines(rows: list[dict[str, Any]], number: int) -> list[tuple[float, Line]]:
    """Text lines, with label and answer side by side in two columns (a borderless table, or tabs, as
    Word exports them) given as cells of a table of their own: a line whose second part starts well
    right of the first is a row; a following line with only the right part continues that answer."""
    split = [_segments(row) for row in rows]
    twos = {i for i, segs in enumerate(split) if len(segs) == 2 and segs[1][0] - segs[0][0] >= COLUMN_MIN_X}
    located: list[tuple[float, Line]] = []
    run, r, column_x = 0, 0, None
    for i, row in enumerate(rows):
        segs = split[i]
        if len(twos) >= 2 and i in twos:
            if column_x is None or abs(segs[1][0] - column_x) > 6:
                run, r = run + 1, 0
            column_x, r = segs[1][0], r + 1
            for c, (_, text) in enumerate(segs, start=1):
                located.append((row["top"] + c * 0.001, Line(text, f"side {number}", cell=(number * 100 + 50 + run, r, c), page=number)))
        elif column_x is not None and len(segs) == 1 and abs(segs[0][0] - column_x) <= 6:
            located.append((row["top"] + 0.002, Line(segs[0][1], f"side {number}", cell=(number * 100 + 50 + run, r, 2), page=number)))
        else:
            column_x = None
            text = clean(row["text"])
            if text:
                located.append((row["top"], Line(text, f"side {number}", page=number)))
    return located


def _page_lines(page: Any, number: int) -> list[Line]:
    located, tables = _table_lines(page, number)
    boxes = [t.bbox for t in tables]
    rows = [row for row in page.extract_text_lines(layout=False, strip=True, return_chars=True)
            if not any(_inside(row["top"], row["bottom"], box) for box in boxes)]
    located += _column_lines(rows, number)
    for image in page.images:
        if image["width"] >= MIN_IMAGE_POINTS and image["height"] >= MIN_IMAGE_POINTS:
            located.append(_picture(image, tables, number))
    located.sort(key=lambda pair: pair[0])
    return [line for _, line in located]


def _picture(image: dict[str, Any], tables: list[Any], number: int) -> tuple[float, Line]:
    """A picture line: inside a table cell it follows that cell's text; elsewhere it is marked at its
    lower edge, so a signature picture belongs after the label above it."""
    x, y = (image["x0"] + image["x1"]) / 2, (image["top"] + image["bottom"]) / 2
    for t_index, table in enumerate(tables, start=1):
        found = _cell_of(x, y, table)
        if found:
            r, c = found
            top = table.rows[r - 1].bbox[1] + c * 0.001 + 0.0009
            return top, Line(IMAGE_MARK, f"side {number}, tabel {t_index}, række {r}, celle {c}", image=True,
                             cell=(number * 100 + t_index, r, c), page=number)
    return image["bottom"] - 0.1, Line(IMAGE_MARK, f"side {number}", image=True, page=number)


class PdfExtractor:
    mime_types: tuple[str, ...] = ("application/pdf", "application/x-pdf")
    extensions: tuple[str, ...] = (".pdf",)

    def extract(self, filename: str, data: bytes) -> DocumentText:
        try:
            pdf = pdfplumber.open(io.BytesIO(data))
        except PDFPasswordIncorrect:
            return DocumentText(filename, "pdf", unreadable="PDF-filen er beskyttet med adgangskode")
        except (PDFSyntaxError, Exception) as exc:  # pdfminer raises many kinds for a broken file
            # pdfplumber wraps pdfminer's errors: a password is still a password
            if any(isinstance(arg, PDFPasswordIncorrect) for arg in (*exc.args, exc.__cause__)) or b"/Encrypt" in data[-4096:]:
                return DocumentText(filename, "pdf", unreadable="PDF-filen er beskyttet med adgangskode")
            return DocumentText(filename, "pdf", unreadable=f"PDF-filen er beskadiget ({type(exc).__name__})")
        lines: list[Line] = []
        empty: list[int] = []
        pages: list[list[Line]] = []
        with pdf:
            for number, page in enumerate(pdf.pages, start=1):
                page_lines = _page_lines(page, number)
                if not any(not line.image for line in page_lines):
                    empty.append(number)
                pages.append(page_lines)
        if empty:
            # pages without a text layer are scans: OCR only those, in their place
            try:
                read = ocr_pdf_pages(data, empty)
            except OcrUnavailable as exc:
                if len(empty) == len(pages):
                    return DocumentText(filename, "pdf", unreadable=f"PDF-filen er en scanning, der ikke kan læses: {exc}", ocr_pages=tuple(empty))
                read = {}
            for number, ocr_lines in read.items():
                pages[number - 1] = ocr_lines
            empty = sorted(read) or empty
        for page_lines in pages:
            lines.extend(page_lines)
        return DocumentText(filename, "pdf", tuple(lines), ocr_pages=tuple(empty))


register(PdfExtractor())
