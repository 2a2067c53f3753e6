"""The PDF reader on PDFium (issue 10): what pdfplumber gave, read from PDFium's characters and paths
(a factory-independent check; tests/unit/test_form*.py and test_minutes*.py read the factories' PDFs):
ruled tables in a form XObject and tables ruled with thin filled rectangles (as Word exports them) read
cell by cell, label and answer in two columns, a hyphen at a line's end, turned text kept apart."""
from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from parsers.documents import extract


def _pdf(draw) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.setFont("Helvetica", 10)
    draw(page)
    page.showPage()
    page.save()
    return out.getvalue()


def _grid(c, x, y, rows):
    for r in range(len(rows) + 1):
        c.line(x, y - r * 20, x + 400, y - r * 20)
    for k in range(3):
        c.line(x + k * 200, y, x + k * 200, y - len(rows) * 20)
    for r, (label, answer) in enumerate(rows):
        c.drawString(x + 4, y - r * 20 - 14, label)
        c.drawString(x + 204, y - r * 20 - 14, answer)


def _cells(doc):
    return {line.text: line.cell[1:] for line in doc.lines if line.cell}


def test_a_ruled_table_in_a_form_xobject_is_read_cell_by_cell():
    def draw(c):
        c.beginForm("table")
        _grid(c, 0, 100, [("Kommune", "Aarhus Kommune"), ("CVR-nummer", "55133018")])
        c.endForm()
        c.drawString(72, 800, "Skema til ansøgning")
        c.saveState()
        c.translate(72, 500)
        c.scale(1.1, 1.1)
        c.doForm("table")
        c.restoreState()

    doc = extract("skema.pdf", "", _pdf(draw))
    assert _cells(doc) == {"Kommune": (1, 1), "Aarhus Kommune": (1, 2), "CVR-nummer": (2, 1), "55133018": (2, 2)}
    assert doc.lines[0].text == "Skema til ansøgning" and doc.lines[1].location == "side 1, tabel 1, række 1, celle 1"


def test_a_table_ruled_with_thin_filled_rectangles_is_read_cell_by_cell():
    def draw(c):
        for r in range(3):
            c.rect(72, 700 - r * 20, 400, 0.5, stroke=0, fill=1)
        for k in range(3):
            c.rect(72 + k * 200, 660, 0.5, 40.5, stroke=0, fill=1)
        c.drawString(76, 686, "Direktør")
        c.drawString(276, 686, "Jens Peter Holm")
        c.drawString(76, 666, "Telefon")
        c.drawString(276, 666, "89 40 20 00")

    assert _cells(extract("skema.pdf", "", _pdf(draw))) == {"Direktør": (1, 1), "Jens Peter Holm": (1, 2), "Telefon": (2, 1), "89 40 20 00": (2, 2)}


def test_label_and_answer_in_two_columns_and_a_hyphen_at_the_end_of_a_line():
    def draw(c):
        c.drawString(72, 800, "Kommune:")
        c.drawString(250, 800, "Aarhus Kommune")
        c.drawString(72, 785, "Direktør:")
        c.drawString(250, 785, "Jens Peter Holm")
        c.drawString(72, 700, "Der skal vedlægges referat af udvalgs-")
        c.drawString(72, 688, "behandlingen.")

    doc = extract("skema.pdf", "", _pdf(draw))
    assert _cells(doc) == {"Kommune:": (1, 1), "Aarhus Kommune": (1, 2), "Direktør:": (2, 1), "Jens Peter Holm": (2, 2)}
    assert [line.text for line in doc.lines if not line.cell] == ["Der skal vedlægges referat af udvalgs-", "behandlingen."]


def test_turned_text_is_not_run_into_the_lines_beside_it():
    def draw(c):
        c.drawString(72, 700, "Vandret tekst")
        c.saveState()
        c.translate(40, 600)
        c.rotate(90)
        c.drawString(0, 0, "Lodret")
        c.restoreState()

    texts = [line.text for line in extract("skema.pdf", "", _pdf(draw)).lines]
    assert len(texts) == 2 and texts[0] == "Vandret tekst"  # (turned text is read top down, as pdfplumber did)


def test_a_large_ruled_table_is_read_the_same_in_bounded_pieces(monkeypatch):
    """Cells are tested against the page's characters a bounded number at a time (a 60 x 60 grid on
    a page of 200,000 characters would otherwise be a matrix of gigabytes): the same cells either way."""
    import parsers.documents.pdf as pdf

    rows = [(f"Spørgsmål {n}", f"Svar nummer {n}") for n in range(30)]
    data = _pdf(lambda c: _grid(c, 72, 780, rows))
    whole = extract("skema.pdf", "", data)
    monkeypatch.setattr(pdf, "_CELL_TESTS", 7)  # a few cells at a time
    pieces = extract("skema.pdf", "", data)
    assert [(line.text, line.cell) for line in pieces.lines] == [(line.text, line.cell) for line in whole.lines]
    assert _cells(pieces)["Svar nummer 29"] == (30, 2) and len(_cells(pieces)) == 60
