"""Scanned forms: OCR with Tesseract's Danish model on a 150 dpi scan, turned 1.5° with speckles; only
pages without a text layer are OCR'd; ink in the signature area counts as a signature picture."""
import io

import pypdfium2
import pytest

from bot.engines import read_options
from parsers.reading import read_document
from tests.factories.forms import FormSpec, form_pdf
from tests.factories.scans import scanned_pdf, scanned_png

SPEC = dict(municipality="Aarhus Kommune", cvr="55133018", director_name="Jens Peter Holm",
            director_phone="89 40 20 00", director_email="jph@aarhus.dk")


def first_page_scanned(pdf: bytes) -> bytes:
    """The form with its first (signed) page scanned and the others as exported from Word."""
    scan = pypdfium2.PdfDocument(scanned_pdf(pdf))
    text = pypdfium2.PdfDocument(pdf)
    out = pypdfium2.PdfDocument.new()
    out.import_pages(scan, [0])
    out.import_pages(text, list(range(1, len(text))))
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def signed_scan():
    data = first_page_scanned(form_pdf(FormSpec(**SPEC, signature="image"), "inline"))
    return read_document("Ansøgning underskrevet.pdf", "application/pdf", data, options=read_options())


def test_only_the_page_without_text_is_ocrd(signed_scan):
    assert signed_scan.text.ocr_pages == (1,)
    assert any(line.location == "side 1 (OCR)" for line in signed_scan.text.lines)
    assert any(line.location == "side 2" for line in signed_scan.text.lines)


def test_fields_read_from_a_scan(signed_scan):
    assert signed_scan.role == "application_form"
    form = signed_scan.form
    assert form.municipality.value == "Aarhus Kommune"
    assert form.cvr.value == "55133018" and form.cvr_valid
    assert form.director_name.value == "Jens Peter Holm"
    assert form.initial_meeting.yes and form.initial_meeting.date.isoformat() == "2019-10-04"
    assert form.cvr.evidence.location == "side 1 (OCR)" and form.cvr.evidence.file == "Ansøgning underskrevet.pdf"
    # the free-text sections on the text pages
    assert {s.number for s in form.sections if s.answered} >= {3, 7}


def test_ink_in_the_signature_area_is_a_signature(signed_scan):
    assert signed_scan.form.signature.image


ODENSE = dict(municipality="Odense Kommune", cvr="35209115", director_name="Birgitte Lund Sørensen",
              director_phone="66 13 13 72", director_email="bls@odense.dk", signer_name="Birgitte Lund Sørensen")


@pytest.mark.parametrize("layout, spec", [("table", SPEC), ("headings", ODENSE), ("inline", ODENSE)])
def test_signed_page_scanned_as_png(layout, spec):
    data = scanned_png(form_pdf(FormSpec(**spec, signature="image"), layout), page=1)
    reading = read_document("skema.png", "image/png", data, options=read_options())
    assert reading.text.format == "image" and reading.role == "application_form"
    form = reading.form
    assert (form.municipality.value, form.cvr.value, form.director_name.value) == (spec["municipality"], spec["cvr"], spec["director_name"])
    assert form.director_email.value == spec["director_email"]
    assert form.initial_meeting.yes and form.initial_meeting.date.isoformat() == "2019-10-04"
    assert form.political.yes
    assert form.signature.image and form.signature.evidence.file == "skema.png"


def test_an_unsigned_scan_as_png_has_no_ink():
    data = scanned_png(form_pdf(FormSpec(**SPEC, signature="none"), "table"), page=1, angle=-1.2, seed=3)
    reading = read_document("skema.png", "image/png", data, options=read_options())
    assert reading.text.format == "image" and reading.text.ocr_pages == (1,)
    assert reading.role == "application_form"
    assert reading.form.cvr.value == "55133018"
    assert reading.form.signature.found and not reading.form.signature.image
    assert reading.form.signature.typed_name is None


def test_a_broken_image_is_unreadable_with_the_reason():
    reading = read_document("scan.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 not really a jpeg", options=read_options())
    assert reading.role == "unreadable" and reading.problem == "scan.jpg kan ikke åbnes: billedet er beskadiget"


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])
def test_jpeg_and_tiff_scans(fmt):
    from PIL import Image

    from tests.factories.scans import scan_pages

    page = scan_pages(form_pdf(FormSpec(**ODENSE, signature="typed"), "inline"), angle=-1.0, seed=11)[0]
    out = io.BytesIO()
    page.save(out, fmt, dpi=(150, 150), **({"quality": 80} if fmt == "JPEG" else {"compression": "tiff_deflate"}))
    name = "skema.jpg" if fmt == "JPEG" else "skema.tif"
    reading = read_document(name, "", out.getvalue(), options=read_options())
    assert reading.role == "application_form" and reading.text.format == "image"
    assert (reading.form.cvr.value, reading.form.director_name.value) == ("35209115", "Birgitte Lund Sørensen")
    assert reading.form.signature.typed_name == "Birgitte Lund Sørensen"
    assert Image.open(io.BytesIO(out.getvalue())).format == fmt


def test_without_tesseract_a_scan_is_unreadable_with_the_reason(monkeypatch):
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    data = scanned_png(form_pdf(FormSpec(**SPEC), "inline"), page=1, seed=5)
    reading = read_document("scan-uden-ocr.png", "image/png", data, options=read_options())
    assert reading.role == "unreadable" and "scanning" in reading.problem
    assert "Tesseract er ikke installeret" in reading.detail  # the engine's words are for the secretariat, not the reply
    pdf = scanned_pdf(form_pdf(FormSpec(**SPEC), "inline"), seed=5)
    reading = read_document("scan-uden-ocr.pdf", "application/pdf", pdf, options=read_options())
    assert reading.role == "unreadable" and "scanning" in reading.problem
