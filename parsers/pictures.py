"""Pictures of the places facts were read from: a PDF page (or a scanned page) rendered, the cited words
highlighted, cropped to their paragraph; the signature block cropped with its label and picture; every
page at the size the web app's viewer shows it.

Pure, like the readers: bytes and a stored reading in, PNG bytes out.  PDFium renders and gives the
characters' boxes; a scanned page's words and boxes come from the OCR engine handed in (the same
`OcrEngine` the readers get, bot/engines.py).  Word and odt documents get no picture: the web app shows
their cited text as it was read (triage/evidence.py).  These run in the service's reader processes,
after a message's reply is recorded (bot/pictures.py), never in a web request.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image, ImageDraw

from parsers.documents import OcrEngine, OcrError
from parsers.reading import DocumentReading
from parsers.text import Evidence

Purpose = Literal["signature", "decision", "evidence", "page"]
VIEW_DPI = 100  # the viewer's pages: an A4 page is 827 pixels wide
CROP_DPI = 130  # a cited place: sharp enough to read a signature
SCAN_DPI = 200  # a scanned page is rendered this fine for the OCR engine to find the words again
MAX_PAGES = 60  # the viewer's pages of one document; a longer one shows its first pages
MAX_CROP_SHARE = 0.45  # a paragraph taller than this share of the page is cut to the cited lines
HIGHLIGHT = (255, 214, 0, 110)  # translucent yellow
PAGE_NUMBER = re.compile(r"\bside (\d+)")
Box = tuple[float, float, float, float]  # left, top, right, bottom in pixels of the rendered page


@dataclass(frozen=True)
class Picture:
    """One rendered picture: what it shows (`purpose`, the cited place's `key`), its page and the PNG."""

    purpose: Purpose
    page: int
    key: str
    png: bytes
    width: int
    height: int


@dataclass(frozen=True)
class Word:
    """A word on a rendered page: its text, box (pixels) and the line and paragraph it stands in."""

    text: str
    box: Box
    line: int
    paragraph: int


def citation_key(file: str, location: str, snippet: str) -> str:
    """Names one cited place (a check's citation, an `Evidence`): the picture's key."""
    return hashlib.sha256(f"{file}\n{location}\n{snippet}".encode()).hexdigest()[:24]


def page_of(location: str) -> int | None:
    """The 1-based page an evidence's location names ("side 2, tabel 1 …"; a picture file is page 1)."""
    found = PAGE_NUMBER.search(location)
    if found:
        return int(found.group(1))
    return 1 if location.startswith("billede") else None


def cited(reading: DocumentReading) -> list[tuple[Purpose, Evidence]]:
    """Every evidence a reading holds, once each, with what its picture is for: the signature block,
    the minutes' decision, or any other cited place (the form's fields, the minutes' item)."""
    out: dict[str, tuple[Purpose, Evidence]] = {}

    def walk(value: Any, name: str) -> None:
        if isinstance(value, Evidence):
            purpose: Purpose = "signature" if name == "signature" else "decision" if name == "decision_evidence" else "evidence"
            key = citation_key(value.file, value.location, value.snippet)
            if key not in out or purpose != "evidence":
                out[key] = (purpose, value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name), name if f.name == "evidence" else f.name)
        elif isinstance(value, (tuple, list)):
            for item in value:
                walk(item, name)

    walk(reading.form, "form")
    walk(reading.minutes, "minutes")
    return list(out.values())


# --------------------------------------------------------------------------- finding the words


def _token(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def find_words(words: list[Word], snippet: str, nth: int = 0, after: str = "") -> list[Word]:
    """The page's words that spell `snippet`: the whole of it (white space and punctuation aside), else
    the longest run of its words found in order (a line break hyphenated a word, OCR misread one).  Of
    several places that spell it as well, the `nth` (counted from 0; the last when there are fewer), or
    the first after a word holding `after` (a scan's lines do not say which is cited: the signer's name
    is the one after the "underskrift" label)."""
    words = [w for w in words if _token(w.text)]  # "§", "–": no letters to match
    page = [_token(w.text) for w in words]
    wanted = [t for t in (_token(part) for part in snippet.split()) if t]
    if not wanted:
        return []
    longest, starts = 0, []
    for i in range(len(page)):
        for j in range(len(wanted)):
            n = 0
            while i + n < len(page) and j + n < len(wanted) and page[i + n] == wanted[j + n]:
                n += 1
            if n > longest:
                longest, starts = n, [i]
            elif n == longest and n and starts[-1] != i:
                starts.append(i)
    if longest == 0 or (longest == 1 and len(page[starts[0]]) < 3 and len(wanted) > 1):
        return []
    start = starts[min(nth, len(starts) - 1)]
    if after and len(starts) > 1:
        label = next((i for i, w in enumerate(words) if after in w.text.casefold()), None)
        start = next((i for i in starts if label is not None and i > label), start)
    return words[start:start + longest]


def occurrence(reading: DocumentReading, evidence: Evidence) -> int:
    """How many times the evidence's words stand on its page before its own line, in the reading's
    order: which of several places that spell them is the cited one ("Mette Hansen" as the director's
    name in section 1, and again in the signature block)."""
    number = page_of(evidence.location)
    wanted = _token(evidence.snippet)
    seen = 0
    for line in reading.text.lines:
        if line.location == evidence.location and (_token(line.text) in wanted or wanted in _token(line.text)) and line.text.strip():
            return seen
        if number is not None and page_of(line.location) == number and wanted:
            seen += _token(line.text).count(wanted)
    return 0


def _union(boxes: list[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _line_boxes(found: list[Word]) -> list[Box]:
    """One highlight a line: the found words of each line joined."""
    lines: dict[int, list[Box]] = {}
    for word in found:
        lines.setdefault(word.line, []).append(word.box)
    return [_union(boxes) for boxes in lines.values()]


def region(words: list[Word], found: list[Word], purpose: Purpose, page_size: tuple[int, int], dpi: float,
           pictures: Sequence[Box] | None = None) -> Box:
    """The area a cited place's picture shows: the paragraph of the found words (cut to the found lines
    and two lines either side when it is long); for the decision also the heading just above it
    ("Beslutning …"); for the signature block also its label above ("Underskrift") and the pictures
    beside and below it (the signature itself; `pictures` None: a scan, whose ink is in the inch below)
    and the words beside them."""
    paragraphs = {w.paragraph for w in found}
    lines = sorted({w.line for w in found})
    chosen = [w for w in words if w.paragraph in paragraphs]
    if _height(chosen) > MAX_CROP_SHARE * page_size[1]:
        chosen = [w for w in words if lines[0] - 2 <= w.line <= lines[-1] + 2]
    area = _union([w.box for w in chosen])
    above = [w for w in words if w.box[3] <= area[1] + 1]
    if purpose == "decision" and above:
        last = max(w.line for w in above)
        heading = [w for w in above if w.line == last]
        if area[1] - _union([w.box for w in heading])[3] < dpi * 0.6:
            area = _union([area] + [w.box for w in heading])
    if purpose == "signature":
        labels = [w for w in above if "underskrift" in w.text.casefold() and area[1] - w.box[3] < dpi * 3]
        if labels:
            area = _union([area, max((w.box for w in labels), key=lambda b: b[3])])
        if pictures is None:  # a scan: the ink is no word; it is within about an inch below the label
            area = (area[0], area[1], area[2], min(float(page_size[1]), max(area[3], area[1] + dpi * 1.2)))
        else:
            area = _union([area] + [p for p in pictures if p[1] < area[3] + dpi * 1.5 and p[3] > area[1] - dpi * 1.0])
        # the whole block across: the rule to sign on, the date beside it
        across = [w.box for w in words if area[1] <= (w.box[1] + w.box[3]) / 2 <= area[3]]
        area = _union([area] + across)
    pad = dpi * 0.15
    return (max(0.0, area[0] - pad), max(0.0, area[1] - pad), min(float(page_size[0]), area[2] + pad),
            min(float(page_size[1]), area[3] + pad))


def _height(words: list[Word]) -> float:
    return _union([w.box for w in words])[3] - _union([w.box for w in words])[1] if words else 0.0


# --------------------------------------------------------------------------- PDF pages


def pdf_words(page: Any, scale: float) -> list[Word]:
    """The words of a PDF page with PDFium's character boxes, in text order; a paragraph is a run of
    lines less than a line's height apart."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count) if count else ""
        if len(text) != count:  # characters outside the BMP: one at a time
            text = "".join(textpage.get_text_range(i, 1)[:1] or " " for i in range(count))
        height = page.get_height()
        words: list[Word] = []
        current: list[tuple[str, Box]] = []
        line = 0

        def close() -> None:
            if current:
                words.append(Word("".join(c for c, _ in current), _union([b for _, b in current]), line, 0))
                current.clear()

        for index, ch in enumerate(text):
            if ch in "\r\n":
                close()
                if ch == "\n":
                    line += 1
                continue
            if ch.isspace() or ch in "\x02\ufffe":
                close()
                continue
            left, bottom, right, top = textpage.get_charbox(index)
            if right <= left or top <= bottom:
                continue
            current.append((ch, (left * scale, (height - top) * scale, right * scale, (height - bottom) * scale)))
        close()
    finally:
        textpage.close()
    return _paragraphs(words)


def _paragraphs(words: list[Word]) -> list[Word]:
    """Paragraph numbers by the gaps between lines: a gap wider than 0.8 of a line's height starts one."""
    boxes: dict[int, list[Box]] = {}
    for w in words:
        boxes.setdefault(w.line, []).append(w.box)
    number, previous, of_line = 0, None, {}
    for line in sorted(boxes, key=lambda n: _union(boxes[n])[1]):
        box = _union(boxes[line])
        if previous is not None and (box[1] - previous[3] > 0.8 * (box[3] - box[1]) or box[1] < previous[1] - 1):
            number += 1
        of_line[line], previous = number, box
    return [dataclasses.replace(w, paragraph=of_line[w.line]) for w in words]


def pdf_picture_boxes(page: Any, scale: float) -> list[Box]:
    import pypdfium2.raw as pdfium_c

    height = page.get_height()
    out = []
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        left, bottom, right, top = obj.get_bounds()
        if right - left >= 20 and top - bottom >= 10:
            out.append((left * scale, (height - top) * scale, right * scale, (height - bottom) * scale))
    return out


def _render(page: Any, dpi: float, grey: bool = False) -> Image.Image:
    image: Image.Image = page.render(scale=dpi / 72, grayscale=grey).to_pil()
    return image.convert("L" if grey else "RGB")


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=6)
    return out.getvalue()


def highlighted(image: Image.Image, boxes: list[Box]) -> Image.Image:
    """The image with a translucent highlight over each box (a little larger than the words)."""
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for left, top, right, bottom in boxes:
        grow = (bottom - top) * 0.15
        draw.rectangle((left - grow, top - grow, right + grow, bottom + grow), fill=HIGHLIGHT)
    return Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")


def crop_picture(image: Image.Image, words: list[Word], snippet: str, purpose: Purpose, dpi: float,
                 pictures: Sequence[Box] | None = None, out_dpi: float = CROP_DPI, nth: int = 0) -> tuple[Image.Image, Box] | None:
    """The cited place on a rendered page, highlighted and cropped, and the area (pixels of `image`);
    None when the words are not on the page."""
    found = find_words(words, snippet, nth, "underskrift" if purpose == "signature" else "")
    if not found:
        return None
    area = region(words, found, purpose, image.size, dpi, pictures)
    left, top = round(area[0]), round(area[1])
    shifted = [(b[0] - left, b[1] - top, b[2] - left, b[3] - top) for b in _line_boxes(found)]
    picture = highlighted(image.crop((left, top, round(area[2]), round(area[3]))), shifted)
    if out_dpi < dpi:
        picture = picture.resize((max(1, round(picture.width * out_dpi / dpi)), max(1, round(picture.height * out_dpi / dpi))),
                                 Image.Resampling.LANCZOS)
    return picture, area


Wanted = list[tuple[Purpose, Evidence, int]]  # what to show, where, and which occurrence of its words


def _cited_on(reading: DocumentReading) -> dict[int, Wanted]:
    pages: dict[int, Wanted] = {}
    for purpose, evidence in cited(reading):
        number = page_of(evidence.location)
        if number is not None:
            pages.setdefault(number, []).append((purpose, evidence, occurrence(reading, evidence)))
    return pages


def _crops(image: Image.Image, words: list[Word], wanted: Wanted, number: int, dpi: float,
           pictures: Sequence[Box] | None = None) -> Iterator[Picture]:
    for purpose, evidence, nth in wanted:
        made = crop_picture(image, words, evidence.snippet, purpose, dpi, pictures, nth=nth)
        if made is not None:
            png = made[0]
            yield Picture(purpose, number, citation_key(evidence.file, evidence.location, evidence.snippet), _png(png), png.width, png.height)


def pdf_pictures(reading: DocumentReading, data: bytes, ocr: OcrEngine | None, pages: bool = True) -> list[Picture]:
    """A PDF's cited places (a text page through PDFium's boxes, a scanned page through the OCR
    engine's) and, with `pages`, every page (up to `MAX_PAGES`) at the viewer's size."""
    import pypdfium2

    out: list[Picture] = []
    scanned = set(reading.text.ocr_pages)
    pdf = pypdfium2.PdfDocument(data)
    try:
        for number, wanted in sorted(_cited_on(reading).items()):
            if not 1 <= number <= len(pdf):
                continue
            page = pdf[number - 1]
            try:
                if number in scanned:
                    image = _render(page, SCAN_DPI)
                    out += _crops(image, ocr_words(image, ocr), wanted, number, SCAN_DPI)
                else:
                    scale = CROP_DPI / 72
                    out += _crops(_render(page, CROP_DPI), pdf_words(page, scale), wanted, number, CROP_DPI, pdf_picture_boxes(page, scale))
            finally:
                page.close()
        for index in range(min(len(pdf), MAX_PAGES) if pages else 0):
            page = pdf[index]
            try:
                image = _render(page, VIEW_DPI, grey=True)
            finally:
                page.close()
            out.append(Picture("page", index + 1, "", _png(image), image.width, image.height))
    finally:
        pdf.close()
    return out


# --------------------------------------------------------------------------- scans sent as pictures


def ocr_words(image: Image.Image, ocr: OcrEngine | None) -> list[Word]:
    """A scanned page's words as the OCR engine finds them (its own lines and paragraphs); none without
    an engine, or when it fails (the picture is then left out, not the others)."""
    if ocr is None:
        return []
    try:
        read = ocr.read_words([image.convert("L")])
    except OcrError:
        return []
    words = read[0] if read else []
    lines: dict[tuple[int, int, int], int] = {}
    paragraphs: dict[tuple[int, int], int] = {}
    out = []
    for w in words:
        if not w.text.strip():
            continue
        line = lines.setdefault(w.key, len(lines))
        paragraph = paragraphs.setdefault(w.key[:2], len(paragraphs))
        left, top, right, bottom = w.box
        out.append(Word(w.text, (float(left), float(top), float(right), float(bottom)), line, paragraph))
    return out


def image_pictures(reading: DocumentReading, data: bytes, ocr: OcrEngine | None, pages: bool = True) -> list[Picture]:
    """A scan sent as a picture file (PNG, JPEG, TIFF; each frame a page): cited places found again by
    OCR, and every page scaled to the viewer's size."""
    source = Image.open(io.BytesIO(data))
    frames = min(getattr(source, "n_frames", 1), MAX_PAGES)
    cited_on = _cited_on(reading)
    out: list[Picture] = []
    for index in range(frames):
        source.seek(index)
        frame = source.convert("RGB")
        dpi = float(source.info.get("dpi", (SCAN_DPI,))[0] or SCAN_DPI)
        if cited_on.get(index + 1):
            out += _crops(frame, ocr_words(frame, ocr), cited_on[index + 1], index + 1, dpi)
        if pages:
            view = frame.convert("L")
            if dpi > VIEW_DPI:
                view = view.resize((max(1, round(view.width * VIEW_DPI / dpi)), max(1, round(view.height * VIEW_DPI / dpi))),
                                   Image.Resampling.LANCZOS)
            out.append(Picture("page", index + 1, "", _png(view), view.width, view.height))
    return out


PICTURED_FORMATS = ("pdf", "image")  # the formats that have pages to draw; Word and odt are shown as their read text


def document_pictures(reading: DocumentReading, data: bytes, ocr: OcrEngine | None) -> list[Picture]:
    """Every picture of one document: PDF and picture files (`PICTURED_FORMATS`) have them; other formats none."""
    if reading.text.unreadable:
        return []
    if reading.text.format == "pdf":
        return pdf_pictures(reading, data, ocr)
    if reading.text.format == "image":
        return image_pictures(reading, data, ocr)
    return []
