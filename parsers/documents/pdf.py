"""PDF with a text layer (pdfplumber): lines with page numbers, pictures at their place on the page.

Pages without a text layer are scans: they alone are OCR'd (parsers/documents/scan.py) and listed in
`ocr_pages`.
"""
from __future__ import annotations

import io

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError

from parsers.documents import register
from parsers.documents.scan import OcrUnavailable, ocr_pdf_pages
from parsers.text import IMAGE_MARK, DocumentText, Line, clean

MIN_IMAGE_POINTS = 20  # smaller pictures are bullets and rules, not signatures


def _inside(top: float, bottom: float, box: tuple[float, float, float, float]) -> bool:
    middle = (top + bottom) / 2
    return box[1] <= middle <= box[3]


def _table_lines(page, number: int) -> tuple[list[tuple[float, Line]], list[tuple]]:
    """Ruled tables cell by cell (label cell before answer cell), so a label and its answer side by
    side are not run together into one line."""
    located: list[tuple[float, Line]] = []
    boxes = []
    for t_index, table in enumerate(page.find_tables(), start=1):
        boxes.append(table.bbox)
        for r_index, (row, texts) in enumerate(zip(table.rows, table.extract()), start=1):
            for c_index, text in enumerate(texts):
                cell = clean((text or "").replace("\n", " "))
                if cell:
                    located.append((row.bbox[1] + c_index * 0.001, Line(cell, f"side {number}, tabel {t_index}, række {r_index}")))
    return located, boxes


def _page_lines(page, number: int) -> list[Line]:
    located, boxes = _table_lines(page, number)
    for row in page.extract_text_lines(layout=False, strip=True, return_chars=False):
        text = clean(row["text"])
        if text and not any(_inside(row["top"], row["bottom"], box) for box in boxes):
            located.append((row["top"], Line(text, f"side {number}")))
    for image in page.images:
        if image["width"] >= MIN_IMAGE_POINTS and image["height"] >= MIN_IMAGE_POINTS:
            # Marked at its lower edge: a signature picture belongs after the label above it.
            located.append((image["bottom"] - 0.1, Line(IMAGE_MARK, f"side {number}", image=True)))
    located.sort(key=lambda pair: pair[0])
    return [line for _, line in located]


class PdfExtractor:
    mime_types = ("application/pdf", "application/x-pdf")
    extensions = (".pdf",)

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
