"""Scans: the words of images and of PDF pages without a text layer, read by the OCR engine handed in
(`ReadOptions.ocr`; Tesseract's Danish model in the service, bot/engines.py).

A page is read at the resolution it was scanned at (a PDF page is rendered at its picture's own dpi, at
most 300; nothing is enlarged), levelled, speckle-filtered and its table rules found and removed here;
the engine reads the words, several pages at once if it can.  Every OCR'd line carries its page
("side 2 (OCR)") so a fact read from a scan cites its place like any other.  Handwriting is not read as
text: ink in the signature area (to the right of and below a line saying "underskrift") that OCR did not
read as words is reported as a picture line (`Line.image`), so the form reader treats a hand-signed scan
like a pasted signature.
"""
from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageChops, ImageFilter, ImageOps, UnidentifiedImageError

from parsers.documents import OcrEngine, OcrError, OcrWord, ReadOptions, problems, register
from parsers.documents.limits import DEFAULT_LIMITS
from parsers.documents.problems import Unreadable
from parsers.text import IMAGE_MARK, DocumentText, Line, clean

OCR_DPI = 300  # the finest a PDF page is rendered at (a finer scan is read at this), and a page with no picture
DEFAULT_DPI = 150.0  # an image that does not say its resolution
MAX_OCR_PAGES = 40  # pages of one document OCR'd at most (a longer scan is read up to here)
MIN_WORD_CONFIDENCE = 30
WORD_CONFIDENCE = 60
BLACK = 150  # grey level below which a pixel is ink  # a word this certain is printed text, not ink
SIGNATURE_LABEL = re.compile(r"underskrift", re.I)
INK_SHARE = 0.004  # dark share of the signature area, rules and printed words removed, that counts as ink
INK_MIN_HEIGHT = 0.12  # inches the ink must span from top to bottom (a stray speck is not a signature)
TALLEST_WORD = 3.0  # times the page's median word height: a taller "word" is handwriting or a drawing
NO_OCR = "der er ingen tekstgenkendelse (OCR) installeret"


def _profile_score(image: Image.Image) -> float:
    """How sharply the dark rows stand out: text lines that run level give the largest variance."""
    rows = image.resize((1, image.height), Image.Resampling.BOX).tobytes()
    mean = sum(rows) / len(rows)
    return sum((v - mean) ** 2 for v in rows)


def _levelling(image: Image.Image, width: int) -> Image.Image:
    small = image.resize((width, max(1, round(image.height * width / image.width))), Image.Resampling.BOX)
    return ImageOps.invert(small.point(lambda v: 0 if v < 160 else 255))  # text white on black


def _best_angle(small: Image.Image, angles: Iterable[float]) -> float:
    return max(((a, _profile_score(small.rotate(a, resample=Image.Resampling.BILINEAR))) for a in angles), key=lambda pair: pair[1])[0]


def skew_angle(image: Image.Image) -> float:
    """The angle (degrees, within ±4) that levels the text lines, by projection profiles: in quarter
    degrees on a copy 400 pixels wide, then on one 800 wide in tenths (±0.4°) around the best and in
    twentieths around that."""
    coarse = _best_angle(_levelling(image, 400), (a / 4 for a in range(-16, 17)))
    small = _levelling(image, 800)
    fine = _best_angle(small, (coarse + a / 10 for a in range(-4, 5)))
    return _best_angle(small, (fine - 0.05, fine, fine + 0.05))


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


@dataclass(frozen=True)
class _Prepared:
    """What is kept of a page while the engine reads it: `ink`, the page levelled, speckles and table
    rules removed, in black and white (one bit a pixel), is where ink is looked for."""

    ink: Image.Image
    dpi: float
    grid: _Grid
    location: str


def _prepare(image: Image.Image, dpi: float | None, location: str = "") -> tuple[Image.Image, _Prepared]:
    """Greyscale at the scan's own resolution, levelled; table rules found on the unfiltered page (a
    speckle filter would break thin rules) and removed from a speckle-filtered copy.  OCR reads that
    copy in grey (the first of the pair: Tesseract's LSTM reads the grey better than a hard threshold at
    a scan's 150-200 dpi); ink is looked for in its black-and-white version."""
    image = ImageOps.exif_transpose(image).convert("L")
    filtered = image.filter(ImageFilter.MedianFilter(3))
    dpi = dpi or DEFAULT_DPI
    image = ImageOps.autocontrast(image, cutoff=1)
    filtered = ImageOps.autocontrast(filtered, cutoff=1)
    angle = skew_angle(image)
    if abs(angle) >= 0.1:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
        filtered = filtered.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    horizontal, vertical = _rules(image, dpi)
    grid = _grid(horizontal, vertical, dpi)
    for rules in (horizontal, vertical):
        filtered.paste(255, mask=rules)
    ink = filtered.point(lambda v: 0 if v < BLACK else 255).convert("1", dither=Image.Dither.NONE)
    return filtered, _Prepared(ink, dpi, grid, location)


def _lines(words: list[OcrWord], grid: _Grid) -> list[tuple[str, tuple[int, int, int, int], list[OcrWord]]]:
    """Words grouped into lines in reading order, with each line's box.  Outside tables these are
    Tesseract's lines; inside a table each cell is one line (its visual lines joined, label cell before
    answer cell), as the PDF reader gives a ruled table."""
    grouped: dict[tuple[object, ...], list[OcrWord]] = {}
    for word in words:
        cell = grid.cell((word.box[0] + word.box[2]) / 2, (word.box[1] + word.box[3]) / 2)
        grouped.setdefault(("cell",) + cell if cell else ("line",) + word.key, []).append(word)
    keyed = []
    for key, members in grouped.items():
        if key[0] == "cell":
            rows: dict[tuple[int, int, int], list[OcrWord]] = {}
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


def _printed(word: OcrWord) -> bool:
    return word.conf >= WORD_CONFIDENCE and sum(ch.isalnum() for ch in word.text) >= 2


def has_ink(image: Image.Image, label: tuple[int, int, int, int], words: list[OcrWord], dpi: float) -> bool:
    """Dark strokes in the signature area: right of the label on its line and below it (about 1.2 inch
    down), once ruled lines and confidently read words are taken out."""
    left, top, right, bottom = label
    height = max(bottom - top, int(dpi * 0.12))
    area = (max(0, left - int(dpi * 0.1)), max(0, top - height), min(image.width, left + int(dpi * 6.5)),
            min(image.height, bottom + int(dpi * 1.2)))
    if area[2] - area[0] < 10 or area[3] - area[1] < 10:
        return False
    crop = image.crop(area).convert("L").point(lambda v: 255 if v < 110 else 0)
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


def _readable(words: list[OcrWord]) -> list[OcrWord]:
    """The words worth keeping: some letters or digits, read with some confidence, no taller than
    printed text is (OCR reads a handwritten signature as a "word" or two several lines high)."""
    words = [w for w in words if w.text.strip() and w.conf >= MIN_WORD_CONFIDENCE and any(ch.isalnum() for ch in w.text)]
    heights = sorted(w.box[3] - w.box[1] for w in words)
    if not heights:
        return words
    tallest = TALLEST_WORD * heights[len(heights) // 2]
    return [w for w in words if w.box[3] - w.box[1] <= tallest]


def _page_lines(page: _Prepared, words: list[OcrWord]) -> list[Line]:
    """The lines of one scanned page, with a picture line after a signature label when ink is there."""
    words = _readable(words)
    lines: list[Line] = []
    for text, box, _ in _lines(words, page.grid):
        lines.append(Line(fix_ocr_text(text), page.location))
        if SIGNATURE_LABEL.search(text) and len(text) < 80 and has_ink(page.ink, box, words, page.dpi):
            lines.append(Line(IMAGE_MARK, f"{page.location}, underskriftsfelt", image=True))
    return lines


def ocr_pages(pages: Iterable[tuple[Image.Image, float | None, str]], engine: OcrEngine | None) -> list[list[Line]]:
    """The lines of scanned pages, (image, its dpi or None, location) each, read by `engine`.  Pages
    are prepared one by one as the engine asks for them, so one is prepared while the last is read.
    Raises `OcrError` (also when there is no engine)."""
    if engine is None:
        raise OcrError(NO_OCR)
    prepared: list[_Prepared] = []

    def feed() -> Iterator[Image.Image]:
        for image, dpi, location in pages:
            text, page = _prepare(image, dpi, location)
            prepared.append(page)
            yield text  # to the engine only: a long scan is not kept in grey

    words = engine.read_words(feed())
    if len(words) != len(prepared):
        raise OcrError(f"tekstgenkendelsen gav {len(words)} sider for {len(prepared)}")
    return [_page_lines(page, page_words) for page, page_words in zip(prepared, words)]


def _page_picture(page: Any, max_pixels: int = DEFAULT_LIMITS.render_pixels) -> tuple[Image.Image, float]:
    """A PDF page as an image at its scan's own resolution.  A page that is one upright picture (what
    a scanner writes) is that picture's own pixels; any other page is rendered with PDFium at its
    finest picture's dpi (at most `OCR_DPI`), or at `OCR_DPI` when it has no picture at all.  Never more
    than `max_pixels` (a page declared a hundred metres wide is rendered coarser, not allocated)."""
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    width, height = max(float(width), 1.0), max(float(height), 1.0)
    pictures = []
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        left, bottom, right, top = obj.get_bounds()
        w, h = abs(right - left), abs(top - bottom)
        if w >= 1 and h >= 1:
            pixels = obj.get_px_size()
            pictures.append((obj, w * h, max(pixels) * 72 / max(w, h)))
    if len(pictures) == 1 and pictures[0][0].level == 0 and page.get_rotation() == 0:
        obj, area, dpi = pictures[0]
        m = obj.get_matrix()
        fits = obj.get_px_size()[0] * obj.get_px_size()[1] <= max_pixels
        if fits and area >= 0.9 * width * height and m.a > 0 and m.d > 0 and abs(m.b) < 1e-6 and abs(m.c) < 1e-6 and 50 <= dpi <= OCR_DPI * 1.2:
            picture = obj.get_bitmap(render=True).to_pil()
            if picture.mode in ("RGBA", "LA"):  # transparent parts are paper
                background = Image.new("RGBA", picture.size, (255, 255, 255, 255))
                picture = Image.alpha_composite(background, picture.convert("RGBA"))
            return picture.convert("L"), dpi
    dpi = max((d for _, _, d in pictures), default=0.0)
    dpi = min(OCR_DPI, dpi) if dpi >= 50 else OCR_DPI
    dpi = min(dpi, 72 * (max_pixels / (width * height)) ** 0.5)
    return page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"), dpi


def ocr_pdf_pages(data: bytes, pages: list[int], engine: OcrEngine | None,
                  max_pixels: int = DEFAULT_LIMITS.render_pixels) -> dict[int, list[Line]]:
    """OCR of the given 1-based pages of a PDF, each rendered with PDFium at its scan's resolution
    (at most `max_pixels`).  PDFium's errors are raised as they come (the PDF reader names them)."""
    import pypdfium2

    if engine is None:
        raise OcrError(NO_OCR)
    numbers = pages[:MAX_OCR_PAGES]
    pdf = pypdfium2.PdfDocument(data)
    try:
        def rendered() -> Iterator[tuple[Image.Image, float | None, str]]:
            for number in numbers:
                page = pdf[number - 1]
                try:
                    image, dpi = _page_picture(page, max_pixels)
                finally:
                    page.close()
                yield image, dpi, f"side {number} (OCR)"

        return dict(zip(numbers, ocr_pages(rendered(), engine)))
    finally:
        pdf.close()


class ImageExtractor:
    """Scanned pages sent as pictures: PNG, JPEG, TIFF (every frame a page)."""

    mime_types: tuple[str, ...] = ("image/png", "image/jpeg", "image/tiff", "image/pjpeg", "image/x-png")
    extensions: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".tif", ".tiff")

    def extract(self, filename: str, data: bytes, options: ReadOptions = ReadOptions()) -> DocumentText:
        limits = options.limits
        pixels = 0
        try:
            image = Image.open(io.BytesIO(data))
            pixels = image.size[0] * image.size[1]  # from the header: counted before the pixels are unpacked
            if pixels > limits.render_pixels:
                raise Unreadable(problems.too_large_picture(filename, pixels, limits.render_pixels),
                                 f"{image.size[0]} x {image.size[1]} pixels > limits.render_pixels {limits.render_pixels}")
            image.load()
        except Image.DecompressionBombError as exc:
            raise Unreadable(problems.too_large_picture(filename, max(pixels, limits.render_pixels + 1), limits.render_pixels),
                             problems.detail_of(exc)) from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
            raise Unreadable(problems.damaged(filename, "image"), problems.detail_of(exc)) from exc
        frames = min(getattr(image, "n_frames", 1), MAX_OCR_PAGES)

        def pages() -> Iterator[tuple[Image.Image, float | None, str]]:
            for index in range(frames):
                image.seek(index)
                if image.size[0] * image.size[1] > limits.render_pixels:
                    continue  # a frame too large to unpack (the first was counted above)
                dpi = image.info.get("dpi", (None,))[0]
                location = f"side {index + 1} (OCR)" if frames > 1 else "billede (OCR)"
                yield image.copy(), float(dpi) if dpi else None, location

        try:
            read = ocr_pages(pages(), options.ocr)
        except OcrError as exc:  # the engine's own words (Tesseract's) are the detail
            raise Unreadable(problems.scan(filename), str(exc)) from exc
        lines = [line for page in read for line in page]
        return DocumentText(filename, "image", tuple(lines), ocr_pages=tuple(range(1, len(read) + 1)))


register(ImageExtractor())
