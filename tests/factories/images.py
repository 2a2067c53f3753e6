"""Images and shared rendering helpers for the test-document factories.

* :func:`signature_png` – a handwritten-looking signature, drawn with Pillow.
* :func:`org_chart_png` – a simple organisation chart, as municipalities attach.
* :func:`pdf_fonts` – registers a TrueType family with Danish glyphs in reportlab.
* :func:`docx_bytes` – saves a python-docx document with fixed metadata and zip
  timestamps, so the same input always gives the same bytes.
* A tiny document model (:class:`Para`, :class:`Grid`, :class:`PageBreak`, …) with
  two renderers, :func:`render_docx` and :func:`render_pdf`, shared by
  ``forms.py`` and ``minutes.py`` so each layout is written once for both formats.

Everything is deterministic: pseudo-randomness is seeded from the input text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import random
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "signature_png",
    "org_chart_png",
    "pdf_fonts",
    "PdfFonts",
    "ttf_path",
    "docx_bytes",
    "Run",
    "Pic",
    "Para",
    "Cell",
    "Grid",
    "PageBreak",
    "Block",
    "DocMeta",
    "para",
    "bold",
    "italic",
    "cell",
    "render_docx",
    "render_pdf",
]

_DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
_INK = (22, 34, 96)
_ZIP_EPOCH = (2020, 1, 1, 0, 0, 0)


# --------------------------------------------------------------------------- fonts


def _reportlab_font_dir() -> Path | None:
    try:
        import reportlab
    except ImportError:  # pragma: no cover - reportlab is a dev dependency
        return None
    return Path(reportlab.__file__).parent / "fonts"


def ttf_path(style: str = "regular") -> Path | None:
    """Path of a TTF with Danish glyphs: DejaVu Sans if installed, else reportlab's Vera.

    ``style`` is one of ``regular``, ``bold``, ``italic``, ``bolditalic``.
    """
    dejavu = {
        "regular": "DejaVuSans.ttf",
        "bold": "DejaVuSans-Bold.ttf",
        "italic": "DejaVuSans-Oblique.ttf",
        "bolditalic": "DejaVuSans-BoldOblique.ttf",
    }
    vera = {"regular": "Vera.ttf", "bold": "VeraBd.ttf", "italic": "VeraIt.ttf", "bolditalic": "VeraBI.ttf"}
    candidates = [_DEJAVU_DIR / dejavu[style]]
    rl_dir = _reportlab_font_dir()
    if rl_dir is not None:
        candidates.append(rl_dir / vera[style])
    return next((p for p in candidates if p.is_file()), None)


@dataclass(frozen=True)
class PdfFonts:
    """Names of the registered reportlab fonts."""

    regular: str
    bold: str
    italic: str


@lru_cache(maxsize=1)
def pdf_fonts() -> PdfFonts:
    """Register (once) and return a reportlab font family that renders æøå.

    Uses DejaVu Sans when present, otherwise the Vera fonts bundled with reportlab
    (both embed a ToUnicode map, so pdfplumber extracts the text correctly).
    """
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    names = {"regular": "TFSans", "bold": "TFSans-Bold", "italic": "TFSans-Italic", "bolditalic": "TFSans-BoldItalic"}
    for style, name in names.items():
        path = ttf_path(style)
        if path is None:  # pragma: no cover - reportlab always ships Vera
            return PdfFonts("Helvetica", "Helvetica-Bold", "Helvetica-Oblique")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    addMapping("TFSans", 0, 0, names["regular"])
    addMapping("TFSans", 1, 0, names["bold"])
    addMapping("TFSans", 0, 1, names["italic"])
    addMapping("TFSans", 1, 1, names["bolditalic"])
    return PdfFonts(names["regular"], names["bold"], names["italic"])


def _pil_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = ttf_path("bold" if bold else "regular")
    if path is not None:
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


# --------------------------------------------------------------------------- docx


def docx_bytes(document, author: str, when: dt.datetime) -> bytes:
    """Serialise a python-docx ``Document`` deterministically.

    Sets the core properties (author, created/modified = ``when``) and rewrites the
    zip with fixed member timestamps.
    """
    props = document.core_properties
    props.author = author
    props.last_modified_by = author
    props.created = when
    props.modified = when
    props.revision = 3
    props.title = ""
    raw = io.BytesIO()
    document.save(raw)
    return _fix_zip_timestamps(raw.getvalue())


def _fix_zip_timestamps(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_EPOCH)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


# --------------------------------------------------------------------------- signature

_TALL = set("bdfhklt")
_DESC = set("gjpqy")


def _seed(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def _letter_path(
    ch: str, x0: float, step: float, base: float, xh: float, first: bool, rng: random.Random
) -> list[tuple[float, float]]:
    """One cursive letter as a loop of a trochoid: up (or down for descenders) and back."""
    low = ch.lower()
    if first or ch.isupper():
        height, loop = xh * rng.uniform(2.3, 2.7), 0.45
    elif low in _TALL:
        height, loop = xh * rng.uniform(1.9, 2.2), 0.4
    elif low in _DESC:
        height, loop = -xh * rng.uniform(1.2, 1.5), 0.35
    else:
        height, loop = xh * rng.uniform(0.8, 1.1), rng.uniform(0.05, 0.3)
    radius = step * loop
    pts = []
    for s in range(25):
        t = 2 * math.pi * s / 24
        x = x0 + step * t / (2 * math.pi) + radius * math.sin(t)
        y = base - height * (1 - math.cos(t)) / 2
        pts.append((x, y))
    return pts


def _draw_stroke(
    draw: ImageDraw.ImageDraw, pts: Sequence[tuple[float, float]], width: float, slant: float, base: float
) -> None:
    slanted = [(x + (base - y) * slant, y) for x, y in pts]
    n = len(slanted)
    for i in range(n - 1):
        pressure = 0.5 + 0.5 * math.sin(math.pi * i / max(n - 1, 1))
        w = max(1, round(width * pressure))
        draw.line([slanted[i], slanted[i + 1]], fill=_INK, width=w)
        r = w / 2
        x, y = slanted[i + 1]
        draw.ellipse([x - r, y - r, x + r, y + r], fill=_INK)


def _word_path(
    word: str, x0: float, step: float, base: float, xh: float, initial: bool, rng: random.Random
) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    x = x0
    for i, ch in enumerate(word):
        drift = rng.uniform(-xh * 0.08, xh * 0.08)
        pts.extend(_letter_path(ch, x, step, base + drift, xh, initial and i == 0, rng))
        x += step
    return pts


def _flourish(end_x: float, w: float, base: float, xh: float, step: float) -> list[tuple[float, float]]:
    """A sweeping underline from the end of the name back to the start."""
    x_from, x_to = min(end_x, w * 0.92) - step * 0.3, w * 0.08
    return [
        (x_from + (x_to - x_from) * t / 30, base + xh * (0.9 + 0.5 * math.sin(math.pi * t / 30))) for t in range(31)
    ]


def signature_png(name: str = "Mette Hansen", width: int = 360, height: int = 120, transparent: bool = False) -> bytes:
    """A PNG of a handwritten-looking signature of ``name`` (dark-blue ink).

    The shape is seeded from ``name``, so the same name always gives the same
    image. ``transparent`` gives an RGBA image with a transparent background
    (as when a signature is cut out and pasted into Word); otherwise white.
    """
    scale = 3
    w, h = width * scale, height * scale
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    rng = random.Random(_seed(name))
    words = [part for part in name.split() if part] or ["x"]
    # first names are often abbreviated in a signature; the surname is written out
    shown = [word[: max(1, len(word) // 2)] for word in words[:-1]] + [words[-1]]
    step = min((w * 0.8) / (sum(map(len, shown)) + 0.8 * len(shown)), h * 0.28)
    base, xh, slant = h * 0.6, h * 0.15, rng.uniform(0.15, 0.35)
    x = w * 0.06
    for word in shown:
        _draw_stroke(draw, _word_path(word, x, step, base, xh, True, rng), scale * 2.8, slant, base)
        x += step * (len(word) + 0.8)
    _draw_stroke(draw, _flourish(x, w, base, xh, step), scale * 1.8, 0.0, base)
    img = img.resize((width, height), Image.Resampling.LANCZOS)
    if transparent:
        img = _white_to_alpha(img)
    return _png(img)


def _white_to_alpha(img: Image.Image) -> Image.Image:
    gray = img.convert("L")
    alpha = gray.point(lambda v: 255 - v)
    rgba = Image.new("RGBA", img.size, _INK + (0,))
    rgba.putalpha(alpha)
    return rgba


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


# --------------------------------------------------------------------------- org chart

DEFAULT_UNITS: tuple[str, ...] = (
    "Familieafdelingen (myndighed)",
    "Børne- og Ungerådgivningen",
    "PPR og Sundhedspleje",
    "Dagtilbud og Skole",
)
DEFAULT_TEAMS: tuple[str, ...] = ("Modtagelsen", "Team 0-12 år", "Team 13-17 år", "Handicapteamet")


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, max_width: float) -> list[str]:
    """Greedy word wrap of ``text`` to ``max_width`` pixels."""
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= max_width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _box(draw: ImageDraw.ImageDraw, xy: tuple[int, int, int, int], lines: Sequence[str], fill: str) -> None:
    """A framed box with centred text; the first of several lines is bold."""
    draw.rectangle(xy, fill=fill, outline="#1f3b63", width=2)
    x0, y0, x1, y1 = xy
    rows = []
    for i, text in enumerate(lines):
        font = _pil_font(14, bold=(i == 0 and len(lines) > 1))
        rows += [(part, font) for part in _wrap(draw, text, font, x1 - x0 - 12)]
    line_h = 19
    y = (y0 + y1 - line_h * len(rows)) / 2
    for text, font in rows:
        draw.text(((x0 + x1 - draw.textlength(text, font=font)) / 2, y), text, fill="black", font=font)
        y += line_h


def org_chart_png(
    municipality: str = "Slagelse Kommune",
    director_name: str = "Mette Hansen",
    director_title: str = "Direktør for Børn og Unge",
    units: Sequence[str] = DEFAULT_UNITS,
    teams: Sequence[str] = DEFAULT_TEAMS,
) -> bytes:
    """A PNG organisation chart: director, the units below, and the teams under the first unit."""
    bw, bh, gap = 230, 64, 24
    width = max(len(units), len(teams)) * (bw + gap) + gap
    img = Image.new("RGB", (width, 420), "white")
    draw = ImageDraw.Draw(img)
    title = f"Organisationsdiagram – {municipality}"
    draw.text((gap, 14), title, fill="black", font=_pil_font(20, bold=True))
    top = ((width - bw) // 2, 60, (width + bw) // 2, 60 + bh)
    _box(draw, top, [director_title, director_name], "#dbe7f5")
    _row(draw, units, 190, bw, bh, gap, parent=top, fill="#eef3f9")
    first = (gap, 190, gap + bw, 190 + bh)
    _row(draw, teams, 310, bw, bh - 16, gap, parent=first, fill="#f7f7f7")
    return _png(img)


def _row(
    draw: ImageDraw.ImageDraw,
    labels: Sequence[str],
    y: int,
    bw: int,
    bh: int,
    gap: int,
    parent: tuple[int, int, int, int],
    fill: str,
) -> None:
    px = (parent[0] + parent[2]) // 2
    mid = (parent[3] + y) // 2
    draw.line([(px, parent[3]), (px, mid)], fill="#1f3b63", width=2)
    for i, label in enumerate(labels):
        x0 = gap + i * (bw + gap)
        cx = x0 + bw // 2
        draw.line([(px, mid), (cx, mid), (cx, y)], fill="#1f3b63", width=2)
        _box(draw, (x0, y, x0 + bw, y + bh), [label], fill)


# --------------------------------------------------------------------------- document model


@dataclass(frozen=True)
class Run:
    """A piece of text with character formatting."""

    text: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True)
class Pic:
    """An inline PNG picture (docx: inline picture; PDF: ``drawImage`` via a platypus Image)."""

    png: bytes
    width_cm: float = 5.0


Inline = Run | Pic


@dataclass(frozen=True)
class Para:
    """A paragraph; ``style`` is one of title, h1, h2, h3, body, small."""

    parts: tuple[Inline, ...]
    style: str = "body"


@dataclass(frozen=True)
class Cell:
    """A table cell: paragraphs, optional grey shading, optional span over the whole row."""

    paras: tuple[Para, ...] = ()
    shade: bool = False
    span: bool = False


@dataclass(frozen=True)
class Grid:
    """A table with full grid lines; ``widths`` are fractions of the text width."""

    rows: tuple[tuple[Cell, ...], ...]
    widths: tuple[float, ...]


@dataclass(frozen=True)
class PageBreak:
    """A hard page break."""


Block = Para | Grid | PageBreak


@dataclass(frozen=True)
class DocMeta:
    """Document properties: author, title, creation time, running page header."""

    author: str
    title: str
    when: dt.datetime
    header: str = ""


def para(*parts: str | Inline, style: str = "body") -> Para:
    """Build a :class:`Para`; plain strings become unformatted runs."""
    return Para(tuple(Run(p) if isinstance(p, str) else p for p in parts), style)


def bold(text: str) -> Run:
    return Run(text, bold=True)


def italic(text: str) -> Run:
    return Run(text, italic=True)


def cell(*paras: Para | str, shade: bool = False, span: bool = False) -> Cell:
    """Build a :class:`Cell`; strings become body paragraphs (``""`` gives an empty cell)."""
    items = tuple(para(p) if isinstance(p, str) else p for p in paras if p != "")
    return Cell(items, shade, span)


_DOCX_STYLES = {"title": "Title", "h1": "Heading 1", "h2": "Heading 2", "h3": "Heading 3", "body": None, "small": None}
_TEXT_WIDTH_CM = 16.0


def render_docx(blocks: Sequence[object], meta: DocMeta, other: Callable[[object, object], None] | None = None) -> bytes:
    """Render blocks to .docx bytes (deterministic).  `other(document, block)` renders block kinds of a
    caller's own (the accuracy corpus's borderless tables and tab stops)."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(11)
    if meta.header:
        document.sections[0].header.paragraphs[0].text = meta.header
    for block in blocks:
        if isinstance(block, Para):
            _docx_para(document.add_paragraph(style=_DOCX_STYLES[block.style]), block)
        elif isinstance(block, Grid):
            _docx_grid(document, block)
        elif isinstance(block, PageBreak) or other is None:
            document.add_page_break()
        else:
            other(document, block)
    return docx_bytes(document, meta.author, meta.when)


def _docx_para(paragraph, block: Para) -> None:
    from docx.shared import Cm, Pt

    for part in block.parts:
        run = paragraph.add_run()
        if isinstance(part, Pic):
            run.add_picture(io.BytesIO(part.png), width=Cm(part.width_cm))
            continue
        run.text = part.text
        run.bold = part.bold or None
        run.italic = part.italic or None
        if block.style == "small":
            run.font.size = Pt(8)


def _docx_grid(document, grid: Grid) -> None:
    from docx.shared import Cm

    ncols = len(grid.widths)
    table = document.add_table(rows=len(grid.rows), cols=ncols)
    table.style = "Table Grid"
    for row, cells in zip(table.rows, grid.rows, strict=True):
        targets = [row.cells[0].merge(row.cells[-1])] if cells and cells[0].span else list(row.cells)
        for target, spec, width in zip(targets, cells, grid.widths if len(targets) > 1 else (1.0,), strict=False):
            target.width = Cm(_TEXT_WIDTH_CM * width)
            _docx_cell(target, spec)


def _docx_cell(target, spec: Cell) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for i, block in enumerate(spec.paras):
        _docx_para(target.paragraphs[0] if i == 0 else target.add_paragraph(), block)
    if spec.shade:
        shd = OxmlElement("w:shd")
        shd.set(qn("w:val"), "clear")
        shd.set(qn("w:color"), "auto")
        shd.set(qn("w:fill"), "D9E2F3")
        target._tc.get_or_add_tcPr().append(shd)


def _pdf_styles() -> dict[str, object]:
    from reportlab.lib.styles import ParagraphStyle

    f = pdf_fonts()
    body = ParagraphStyle("body", fontName=f.regular, fontSize=10, leading=13.5, spaceAfter=5)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=f.bold, fontSize=17, leading=21, spaceAfter=10),
        "h1": ParagraphStyle(
            "h1", parent=body, fontName=f.bold, fontSize=13, leading=17, spaceBefore=10, spaceAfter=5, keepWithNext=1
        ),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=f.bold, fontSize=11, leading=14, spaceBefore=7, spaceAfter=4, keepWithNext=1
        ),
        "h3": ParagraphStyle(
            "h3", parent=body, fontName=f.bold, fontSize=10, leading=13, spaceBefore=5, spaceAfter=3, keepWithNext=1
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10),
        "cell": ParagraphStyle("cell", parent=body, spaceAfter=3),
    }


def _markup(runs: Sequence[Run]) -> str:
    from xml.sax.saxutils import escape

    out = []
    for run in runs:
        text = escape(run.text).replace("\n", "<br/>")
        if run.bold:
            text = f"<b>{text}</b>"
        if run.italic:
            text = f"<i>{text}</i>"
        out.append(text)
    return "".join(out)


def _pdf_para(block: Para, styles: dict[str, object], in_cell: bool = False) -> list:
    """Flowables for one paragraph; pictures become their own Image flowables."""
    from reportlab.lib.units import cm
    from reportlab.platypus import Image as RLImage
    from reportlab.platypus import Paragraph, Spacer

    style = styles["cell" if in_cell and block.style == "body" else block.style]
    flowables: list = []
    pending: list[Run] = []
    for part in (*block.parts, None):
        if isinstance(part, Run):
            pending.append(part)
            continue
        if pending and any(r.text.strip() for r in pending):
            flowables.append(Paragraph(_markup(pending), style))
        pending = []
        if isinstance(part, Pic):
            w_px, h_px = Image.open(io.BytesIO(part.png)).size
            width = part.width_cm * cm
            flowables.append(RLImage(io.BytesIO(part.png), width=width, height=width * h_px / w_px, hAlign="LEFT"))
    return flowables or [Spacer(1, 6)]


def _pdf_grid(grid: Grid, styles: dict[str, object], text_width: float) -> object:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    data, commands = (
        [],
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ],
    )
    ncols = len(grid.widths)
    for r, cells in enumerate(grid.rows):
        row = [[f for p in c.paras for f in _pdf_para(p, styles, in_cell=True)] for c in cells]
        row += [""] * (ncols - len(row))
        data.append(row)
        if cells and cells[0].span:
            commands.append(("SPAN", (0, r), (-1, r)))
        for c, spec in enumerate(cells):
            if spec.shade:
                commands.append(("BACKGROUND", (c, r), (-1 if spec.span else c, r), colors.HexColor("#D9E2F3")))
    return Table(data, colWidths=[w * text_width for w in grid.widths], style=TableStyle(commands), hAlign="LEFT")


def render_pdf(blocks: Sequence[Block], meta: DocMeta) -> bytes:
    """Render blocks to a text PDF (A4, as if exported from Word); deterministic."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import PageBreak as RLPageBreak
    from reportlab.platypus import SimpleDocTemplate, Spacer

    styles = _pdf_styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=2.5 * cm,
        rightMargin=2.5 * cm,
        topMargin=2.5 * cm,
        bottomMargin=2.2 * cm,
        title=meta.title,
        author=meta.author,
        creator="Microsoft® Word for Microsoft 365",
        producer="Microsoft® Word for Microsoft 365",
        invariant=1,
    )
    story: list = []
    for block in blocks:
        if isinstance(block, Para):
            story.extend(_pdf_para(block, styles))
        elif isinstance(block, Grid):
            story += [_pdf_grid(block, styles, doc.width), Spacer(1, 8)]
        else:
            story.append(RLPageBreak())
    decorate = _page_decorator(meta.header)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buf.getvalue()


def _page_decorator(header: str):
    """onPage callback: running header (if any) and "Side N" in the footer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm

    def decorate(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(pdf_fonts().regular, 8)
        if header:
            canvas.drawString(2.5 * cm, A4[1] - 1.5 * cm, header)
        canvas.drawRightString(A4[0] - 2.5 * cm, 1.2 * cm, f"Side {doc.page}")
        canvas.restoreState()

    return decorate
