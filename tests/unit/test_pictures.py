"""The evidence pictures (parsers/pictures.py) from generated documents: the highlight lies over the
cited words, the signature crop is the block (label, picture, name), the viewer gets every page."""
from __future__ import annotations

import io

import pypdfium2
from PIL import Image

from parsers.documents import OcrWord
from parsers.minutes import MinutesFacts
from parsers.pictures import (CROP_DPI, VIEW_DPI, Word, citation_key, crop_picture, document_pictures, find_words, image_pictures,
                              pdf_picture_boxes, pdf_words)
from parsers.reading import DocumentReading, read_document
from parsers.text import DocumentText, Evidence, Line
from tests.factories.forms import FormSpec, form_pdf
from tests.factories.minutes import MinutesSpec, minutes_pdf

ITEM = "7. Ansøgning om Task Force-forløb"  # the minutes' item heading, on page 2 of the "numbered" layout


def _phrase_box(page: pypdfium2.PdfPage, phrase: str, scale: float, nth: int = 0) -> tuple[float, float, float, float]:
    """PDFium's own search for the phrase (not the module's word matching): its box in pixels."""
    textpage = page.get_textpage()
    searcher = textpage.search(phrase, match_case=True)
    for _ in range(nth + 1):
        found = searcher.get_next()
    assert found, phrase
    index, count = found
    boxes = [textpage.get_charbox(i) for i in range(index, index + count)]
    boxes = [b for b in boxes if b[2] > b[0]]
    height = page.get_height()
    return (min(b[0] for b in boxes) * scale, (height - max(b[3] for b in boxes)) * scale,
            max(b[2] for b in boxes) * scale, (height - min(b[1] for b in boxes)) * scale)


def _yellow(pixel: tuple[int, int, int]) -> bool:
    r, g, b = pixel
    return r > 200 and g > 170 and b < 200 and r - b > 60


def test_the_highlight_lies_over_the_cited_words_on_page_two():
    data = minutes_pdf(MinutesSpec(), "numbered")
    pdf = pypdfium2.PdfDocument(data)
    page = pdf[1]
    scale = CROP_DPI / 72
    image = page.render(scale=scale).to_pil().convert("RGB")
    made = crop_picture(image, pdf_words(page, scale), ITEM, "evidence", CROP_DPI)
    assert made is not None
    crop, area = made
    left, top, right, bottom = _phrase_box(page, ITEM, scale)
    assert area[0] <= left and area[1] <= top and area[2] >= right and area[3] >= bottom  # the crop holds the phrase
    x0, y0, x1, y1 = (round(left - area[0]), round(top - area[1]), round(right - area[0]), round(bottom - area[1]))
    inside = [crop.getpixel((x, y)) for x in range(x0, x1) for y in range(y0, y1)]
    assert sum(_yellow(p) for p in inside) > 0.4 * len(inside)  # the paper behind the letters is highlighted
    yellow = [(x, y) for x in range(crop.width) for y in range(crop.height) if _yellow(crop.getpixel((x, y)))]
    grow = (y1 - y0) * 0.3 + 2
    assert min(x for x, _ in yellow) >= x0 - grow and max(x for x, _ in yellow) <= x1 + grow
    assert min(y for _, y in yellow) >= y0 - grow and max(y for _, y in yellow) <= y1 + grow  # and nothing else
    pdf.close()


def test_the_signature_crop_is_the_block_label_picture_and_name():
    data = form_pdf(FormSpec(signature="image"), "table")
    reading = read_document("skema.pdf", "application/pdf", data)
    signature = reading.form.signature.evidence
    assert signature is not None and signature.snippet == "Mette Hansen"
    pdf = pypdfium2.PdfDocument(data)
    page = pdf[0]
    scale = CROP_DPI / 72
    image = page.render(scale=scale).to_pil().convert("RGB")
    pictures = pdf_picture_boxes(page, scale)
    made = crop_picture(image, pdf_words(page, scale), "Mette Hansen", "signature", CROP_DPI, pictures, nth=1)
    assert made is not None
    crop, area = made
    label = _phrase_box(page, "Direktørens underskrift", scale)
    name = _phrase_box(page, "Mette Hansen", scale, nth=1)  # the second: the first is the director in section 1
    director = _phrase_box(page, "Mette Hansen", scale, nth=0)
    signed = [p for p in pictures if p[1] > label[3] - 1]
    assert signed, "the signature picture"
    for box in (label, name, signed[0]):
        assert area[0] <= box[0] + 1 and area[1] <= box[1] + 1 and area[2] >= box[2] - 1 and area[3] >= box[3] - 1, box
    assert area[1] > director[3]  # section 1 is not in it
    assert abs(crop.width - (area[2] - area[0])) <= 1 and abs(crop.height - (area[3] - area[1])) <= 1
    assert crop.height < image.height / 4  # a crop, not the page
    # the service's pictures of the document: the same crop, found by the reading's own evidence
    made_pictures = document_pictures(reading, data, None)
    shown = [p for p in made_pictures if p.purpose == "signature"]
    assert len(shown) == 1 and shown[0].key == citation_key(signature.file, signature.location, signature.snippet)
    assert (shown[0].width, shown[0].height) == crop.size
    assert Image.open(io.BytesIO(shown[0].png)).size == crop.size
    pdf.close()


def test_every_page_for_the_viewer_and_the_decision_paragraph():
    data = minutes_pdf(MinutesSpec(), "numbered")
    reading = read_document("referat.pdf", "application/pdf", data)
    made = document_pictures(reading, data, None)
    pages = [p for p in made if p.purpose == "page"]
    assert [p.page for p in pages] == list(range(1, len(pypdfium2.PdfDocument(data)) + 1))
    assert all(abs(p.width - round(595.28 * VIEW_DPI / 72)) <= 1 for p in pages)  # A4 at the viewer's 100 dpi
    decision = [p for p in made if p.purpose == "decision"]
    assert len(decision) == 1 and decision[0].page == 3
    picture = Image.open(io.BytesIO(decision[0].png)).convert("RGB")
    assert any(_yellow(picture.getpixel((x, y))) for x in range(picture.width) for y in range(picture.height))
    assert decision[0].height > 50  # "Godkendt." with its heading "Beslutning i …" above it


def test_words_are_found_whatever_the_spacing_and_the_nth_place():
    words = [Word(t, (i * 10.0, 0.0, i * 10.0 + 8, 10.0), 0, 0) for i, t in enumerate("Navn: Mette Hansen Underskrift: Mette Hansen".split())]
    assert [w.text for w in find_words(words, "Mette  Hansen")] == ["Mette", "Hansen"]
    assert find_words(words, "Mette Hansen", nth=1)[0].box[0] == 40.0
    assert find_words(words, "Mette Hansen", after="underskrift")[0].box[0] == 40.0
    assert [w.text for w in find_words(words, "Mette Hansen, direktør")] == ["Mette", "Hansen"]  # the longest run
    assert find_words(words, "Lars Nielsen") == []


class _FixedOcr:
    """A fake OCR engine (this is pure code): the words and boxes a scan of a decision would give."""

    def __init__(self, words: list[OcrWord]) -> None:
        self.words = words

    def read_words(self, pages):
        return [self.words for _ in pages]


def test_a_scan_is_highlighted_where_the_ocr_engine_found_the_words():
    scan = Image.new("RGB", (1000, 1400), "white")
    buffer = io.BytesIO()
    scan.save(buffer, "PNG", dpi=(150, 150))
    words = [OcrWord("Beslutning:", 95.0, (100, 600, 260, 630), (1, 1, 1)),
             OcrWord("Godkendt.", 95.0, (100, 650, 240, 680), (1, 2, 1))]
    evidence = Evidence("scan.png", "billede (OCR)", "Godkendt.")
    reading = DocumentReading("scan.png", "image/png", "x", "minutes",
                              DocumentText("scan.png", "image", (Line("Godkendt.", "billede (OCR)"),), ocr_pages=(1,)),
                              minutes=MinutesFacts("scan.png", "referat", decision="approved", decision_evidence=evidence))
    made = image_pictures(reading, buffer.getvalue(), _FixedOcr(words))
    decision = [p for p in made if p.purpose == "decision"]
    assert len(decision) == 1
    picture = Image.open(io.BytesIO(decision[0].png)).convert("RGB")
    yellow = [(x, y) for x in range(picture.width) for y in range(picture.height) if _yellow(picture.getpixel((x, y)))]
    assert yellow
    # the crop starts 0.15 inch above its heading "Beslutning:" and is scaled from 150 dpi to CROP_DPI;
    # the highlight is below the heading, on "Godkendt."
    factor, top = CROP_DPI / 150, 600 - 0.15 * 150
    assert picture.height >= (680 - top) * factor
    assert min(y for _, y in yellow) > (630 - top) * factor
    assert [p.page for p in made if p.purpose == "page"] == [1]
