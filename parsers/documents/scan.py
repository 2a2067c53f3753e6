"""Scans: OCR with Tesseract's Danish model (pytesseract) for images and for PDF pages without a text layer.

Every OCR'd line carries its page ("side 2 (OCR)") so a fact read from a scan cites its place like any
other.  Handwriting is not read as text: ink in the signature area (to the right of and below a line
saying "underskrift") that OCR did not read as words is reported as a picture line (`Line.image`), so
the form reader treats a hand-signed scan like a pasted signature.
"""
from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageFilter, ImageOps, UnidentifiedImageError

from parsers.documents import register
from parsers.text import IMAGE_MARK, DocumentText, Line, clean

OCR_DPI = 300  # Tesseract reads best at ~300 dpi; smaller scans are enlarged to it
OCR_LANG = "dan"
MAX_OCR_PAGES = 40  # pages of one document OCR'd at most (a longer scan is read up to here)
MIN_WORD_CONFIDENCE = 30
WORD_CONFIDENCE = 60
BLACK = 150  # grey level below which a pixel is ink  # a word this certain is printed text, not ink
SIGNATURE_LABEL = re.compile(r"underskrift", re.I)
INK_SHARE = 0.004  # dark share of the signature area, rules and printed words removed, that counts as ink
INK_MIN_HEIGHT = 0.12  # inches the ink must span from top to bottom (a stray speck is not a signature)


# Tesseract's own threads fight over a busy machine and make a page several times slower.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


class OcrUnavailable(RuntimeError):
    """Tesseract or its Danish model is not installed."""


@dataclass(frozen=True)
class _Word:
    text: str
    conf: float
    box: tuple[int, int, int, int]  # left, top, right, bottom
    key: tuple[int, int, int]  # block, paragraph, line


def _profile_score(image: Image.Image) -> float:
    """How sharply the dark rows stand out: text lines that run level give the largest variance."""
    rows = image.resize((1, image.height), Image.Resampling.BOX).tobytes()
    mean = sum(rows) / len(rows)
    return sum((v - mean) ** 2 for v in rows)


def skew_angle(image: Image.Image) -> float:
    """The angle (degrees, within ±4) that levels the text lines, by projection profiles on a small copy."""
    small = image.resize((800, max(1, round(image.height * 800 / image.width))), Image.Resampling.BOX)
    small = ImageOps.invert(small.point(lambda v: 0 if v < 160 else 255))  # text white on black
    best = max(((a / 4, _profile_score(small.rotate(a / 4, resample=Image.Resampling.BILINEAR))) for a in range(-16, 17)),
               key=lambda pair: pair[1])
    coarse = best[0]
    fine = max(((coarse + a / 20, _profile_score(small.rotate(coarse + a / 20, resample=Image.Resampling.BILINEAR))) for a in range(-5, 6)),
               key=lambda pair: pair[1])
    return fine[0]


def _rules(image: Image.Image, dpi: float) -> tuple[Image.Image, Image.Image]:
    """Masks of the horizontal and the vertical ruled lines (table borders, underlines): an opening by
    box averaging (half an inch, twice with the windows shifted): a window 85 % dark whose neighbours a
    few pixels to one side are light.  A rule has white on at least one side (cell padding); a row
    through bold text has the letters' bodies right above and below it."""
    dark = image.point(lambda v: 255 if v < 175 else 0)  # rules, not the grey shading of label cells
    width, height = dark.size
    run, side = int(dpi * 0.5), max(3, int(dpi * 0.02))
    masks = []
    for across in (True, False):
        mask = Image.new("L", dark.size, 0)
        for offset in (0, run // 2):
            if across:
                part, size = dark.crop((offset, 0, width, height)), (max(1, (width - offset) // run), height)
            else:
                part, size = dark.crop((0, offset, width, height)), (width, max(1, (height - offset) // run))
            binned = part.resize(size, Image.Resampling.BOX)
            solid = binned.point(lambda v: 255 if v >= 215 else 0)
            light = binned.point(lambda v: 255 if v < 64 else 0)
            one = ImageChops.offset(light, 0, side) if across else ImageChops.offset(light, side, 0)
            other = ImageChops.offset(light, 0, -side) if across else ImageChops.offset(light, -side, 0)
            runs = ImageChops.multiply(solid, ImageChops.lighter(one, other))
            runs = runs.resize(part.size, Image.Resampling.NEAREST)
            mask.paste(runs, (offset, 0) if across else (0, offset), mask=runs)
        grown = mask.copy()
        for shift in (-2, -1, 1, 2):  # a little thicker, so no fringe of the rule is left
            grown = ImageChops.lighter(grown, ImageChops.offset(mask, 0, shift) if across else ImageChops.offset(mask, shift, 0))
        masks.append(grown)
    return masks[0], masks[1]


def _positions(profile: bytes, floor: int) -> list[int]:
    """Centres of the runs of a profile above `floor`."""
    out, start = [], None
    for i, v in enumerate(list(profile) + [0]):
        if v > floor and start is None:
            start = i
        elif v <= floor and start is not None:
            out.append((start + i - 1) // 2)
            start = None
    return out


@dataclass(frozen=True)
class _Grid:
    """Table rows (between horizontal rules) and, per row, the x of its vertical rules."""

    rows: tuple[tuple[int, int, tuple[int, ...]], ...]

    def cell(self, x: float, y: float) -> tuple[int, int] | None:
        for top, bottom, columns in self.rows:
            if top <= y < bottom:
                return top, sum(1 for c in columns if c < x)
        return None


def _grid(horizontal: Image.Image, vertical: Image.Image, dpi: float) -> _Grid:
    width, height = horizontal.size
    floor = int(255 * dpi * 1.0 / width)  # a rule at least an inch long
    ys = _positions(horizontal.resize((1, height), Image.Resampling.BOX).tobytes(), floor)
    rows = []
    for top, bottom in zip(ys, ys[1:]):
        if bottom - top < dpi * 0.15 or bottom - top > dpi * 6:
            continue
        band = vertical.crop((0, top + 4, width, bottom - 4))
        xs = _positions(band.resize((width, 1), Image.Resampling.BOX).tobytes(), int(255 * 0.6))
        if len(xs) >= 3:  # left border, a column rule, right border: a table row
            rows.append((top, bottom, tuple(xs)))
    return _Grid(tuple(rows))


def _prepare(image: Image.Image, dpi: float | None) -> tuple[Image.Image, float, _Grid]:
    """Greyscale, enlarged to ~300 dpi, levelled; table rules found on the unfiltered page (a speckle
    filter would break thin rules) and removed from a speckle-filtered, black-and-white copy."""
    image = ImageOps.exif_transpose(image).convert("L")
    filtered = image.filter(ImageFilter.MedianFilter(3))
    dpi = dpi or 150.0
    if dpi < OCR_DPI * 0.8:
        factor = OCR_DPI / dpi
        size = (round(image.width * factor), round(image.height * factor))
        image = image.resize(size, Image.Resampling.BICUBIC)
        filtered = filtered.resize(size, Image.Resampling.BICUBIC)
        dpi = OCR_DPI
    image = ImageOps.autocontrast(image, cutoff=1)
    filtered = ImageOps.autocontrast(filtered, cutoff=1)
    angle = skew_angle(image)
    if abs(angle) >= 0.1:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
        filtered = filtered.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    horizontal, vertical = _rules(image, dpi)
    grid = _grid(horizontal, vertical, dpi)
    filtered = filtered.point(lambda v: 0 if v < BLACK else 255)
    filtered.paste(255, mask=horizontal)
    filtered.paste(255, mask=vertical)
    return filtered, dpi, grid


def _words(image: Image.Image) -> list[_Word]:
    import pytesseract

    try:
        data = pytesseract.image_to_data(image, lang=OCR_LANG, config="--psm 3", output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrUnavailable("Tesseract er ikke installeret (tesseract-ocr, tesseract-ocr-dan)") from exc
    except pytesseract.TesseractError as exc:
        raise OcrUnavailable(f"Tesseract fejlede: {exc.message.strip()[:200]}") from exc
    words = []
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        conf = float(data["conf"][i])
        if not text or conf < MIN_WORD_CONFIDENCE or not any(ch.isalnum() for ch in text):
            continue
        left, top = data["left"][i], data["top"][i]
        words.append(_Word(text, conf, (left, top, left + data["width"][i], top + data["height"][i]),
                           (data["block_num"][i], data["par_num"][i], data["line_num"][i])))
    return words


def _lines(words: list[_Word], grid: _Grid) -> list[tuple[str, tuple[int, int, int, int], list[_Word]]]:
    """Words grouped into lines in reading order, with each line's box.  Outside tables these are
    Tesseract's lines; inside a table each cell is one line (its visual lines joined, label cell before
    answer cell), as the PDF reader gives a ruled table."""
    grouped: dict[tuple[object, ...], list[_Word]] = {}
    for word in words:
        cell = grid.cell((word.box[0] + word.box[2]) / 2, (word.box[1] + word.box[3]) / 2)
        grouped.setdefault(("cell",) + cell if cell else ("line",) + word.key, []).append(word)
    keyed = []
    for key, members in grouped.items():
        if key[0] == "cell":
            rows: dict[tuple[int, int, int], list[_Word]] = {}
            for word in members:
                rows.setdefault(word.key, []).append(word)
            ordered = sorted(rows.values(), key=lambda row: min(w.box[1] for w in row))
            members = [w for row in ordered for w in sorted(row, key=lambda w: w.box[0])]
        text = clean(" ".join(w.text for w in members))
        if not text:
            continue
        box = (min(w.box[0] for w in members), min(w.box[1] for w in members),
               max(w.box[2] for w in members), max(w.box[3] for w in members))
        order = (key[1], key[2], box[1]) if key[0] == "cell" else (box[1], -1, 0)
        keyed.append((order, (text, box, members)))
    keyed.sort(key=lambda pair: pair[0])
    return [line for _, line in keyed]


def _printed(word: _Word) -> bool:
    return word.conf >= WORD_CONFIDENCE and sum(ch.isalnum() for ch in word.text) >= 2


def has_ink(image: Image.Image, label: tuple[int, int, int, int], words: list[_Word], dpi: float) -> bool:
    """Dark strokes in the signature area: right of the label on its line and below it (about 1.2 inch
    down), once ruled lines and confidently read words are taken out."""
    left, top, right, bottom = label
    height = max(bottom - top, int(dpi * 0.12))
    area = (max(0, left - int(dpi * 0.1)), max(0, top - height), min(image.width, left + int(dpi * 6.5)),
            min(image.height, bottom + int(dpi * 1.2)))
    if area[2] - area[0] < 10 or area[3] - area[1] < 10:
        return False
    crop = image.crop(area).point(lambda v: 255 if v < 110 else 0)
    # printed words (and the label itself) are no ink
    for word in words:
        if _printed(word):
            wl, wt, wr, wb = word.box
            box = (wl - area[0] - 2, wt - area[1] - 2, wr - area[0] + 2, wb - area[1] + 2)
            if box[2] > 0 and box[3] > 0 and box[0] < crop.width and box[1] < crop.height:
                crop.paste(0, (max(0, box[0]), max(0, box[1]), max(0, box[2]), max(0, box[3])))
    width, height_px = crop.size
    rows = [v * width / 255 for v in crop.resize((1, height_px), Image.Resampling.BOX).tobytes()]
    # ruled lines (table borders, "______"): rows or columns that are mostly dark
    for y, n in enumerate(rows):
        if n > width * 0.4:
            crop.paste(0, (0, y, width, y + 1))
    columns = [v * height_px / 255 for v in crop.resize((width, 1), Image.Resampling.BOX).tobytes()]
    for x, n in enumerate(columns):
        if n > height_px * 0.5:
            crop.paste(0, (x, 0, x + 1, height_px))
    ink = crop.histogram()[255]
    inked_rows = sum(1 for v in crop.resize((1, height_px), Image.Resampling.BOX).tobytes() if v > 0)
    return ink >= width * height_px * INK_SHARE and inked_rows >= dpi * INK_MIN_HEIGHT


# Tesseract's Danish model reads "@" as "æ" (or "&", "Q"); an address-shaped token gets it back.
_OCR_EMAIL = re.compile(r"\b([a-z0-9._+-]{2,})[æ&Q]{1,2}([a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:dk|com|net|org|eu|gl|fo))\b")


def fix_ocr_text(text: str) -> str:
    return _OCR_EMAIL.sub(r"\1@\2", text)


def ocr_page(image: Image.Image, location: str, dpi: float | None = None) -> list[Line]:
    """The lines of one scanned page, with a picture line after a signature label when ink is there."""
    prepared, dpi, grid = _prepare(image, dpi)
    words = _words(prepared)
    lines: list[Line] = []
    for text, box, _ in _lines(words, grid):
        lines.append(Line(fix_ocr_text(text), location))
        if SIGNATURE_LABEL.search(text) and len(text) < 80 and has_ink(prepared, box, words, dpi):
            lines.append(Line(IMAGE_MARK, f"{location}, underskriftsfelt", image=True))
    return lines


def ocr_pdf_pages(data: bytes, pages: list[int]) -> dict[int, list[Line]]:
    """OCR of the given 1-based pages of a PDF, rendered at 300 dpi with PDFium."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        out: dict[int, list[Line]] = {}
        for number in pages[:MAX_OCR_PAGES]:
            page = pdf[number - 1]
            bitmap = page.render(scale=OCR_DPI / 72, grayscale=True)
            out[number] = ocr_page(bitmap.to_pil(), f"side {number} (OCR)", OCR_DPI)
            page.close()
        return out
    finally:
        pdf.close()


class ImageExtractor:
    """Scanned pages sent as pictures: PNG, JPEG, TIFF (every frame a page)."""

    mime_types: tuple[str, ...] = ("image/png", "image/jpeg", "image/tiff", "image/pjpeg", "image/x-png")
    extensions: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".tif", ".tiff")

    def extract(self, filename: str, data: bytes) -> DocumentText:
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
            return DocumentText(filename, "image", unreadable=f"billedet kan ikke åbnes ({type(exc).__name__})")
        frames = getattr(image, "n_frames", 1)
        lines: list[Line] = []
        pages: list[int] = []
        try:
            for index in range(min(frames, MAX_OCR_PAGES)):
                image.seek(index)
                dpi = image.info.get("dpi", (None,))[0]
                location = f"side {index + 1} (OCR)" if frames > 1 else "billede (OCR)"
                lines.extend(ocr_page(image.copy(), location, float(dpi) if dpi else None))
                pages.append(index + 1)
        except OcrUnavailable as exc:
            return DocumentText(filename, "image", unreadable=f"scanningen kan ikke læses: {exc}")
        return DocumentText(filename, "image", tuple(lines), ocr_pages=tuple(pages))


register(ImageExtractor())
