"""PDF with a text layer, read with PDFium (pypdfium2): lines with page numbers, ruled tables cell by
cell, pictures at their place on the page.

PDFium gives the characters with their boxes and the page's paths and pictures; the rest is done here
the way pdfplumber does it (its defaults: characters 3 pt apart start a new word, tops within 3 pt make
one line; table rules snapped and joined within 3 pt, cells where they cross), without pdfminer's
slow parse of the page.  Pages without a text layer are scans: they alone are OCR'd
(parsers/documents/scan.py) and listed in `ocr_pages`.

Counted before PDFium reads a page (`ReadOptions.limits`): what the PDF's compressed streams unpack to
(content, object and font streams; a page's pictures are unpacked only to be OCR'd, and then rendered
within `render_pixels`), then its page count (`len(pdf)`, which PDFium knows from the page tree without
loading a page), then on each page the characters and drawing objects.  PDFium aborts the whole process
when it cannot allocate, so a flate bomb must be found before it opens the file.  A page PDFium cannot
load (a page tree that loops, a broken object) is left out and named in the detail; a PDF none of whose
pages load is damaged.
"""
from __future__ import annotations

import bisect
import ctypes
import functools
import itertools
import operator
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import pypdfium2
import pypdfium2.raw as pdfium_c

from parsers.documents import OcrError, ReadOptions, problems, register
from parsers.documents.limits import DEFAULT_LIMITS, Limits
from parsers.documents.problems import Unreadable
from parsers.documents.scan import ocr_pdf_pages
from parsers.text import IMAGE_MARK, DocumentText, Line, clean

MIN_IMAGE_POINTS = 20  # smaller pictures are bullets and rules, not signatures


COLUMN_GAP = 18.0  # points of empty space inside one line that mark two columns (a word space is ~3)
COLUMN_MIN_X = 60.0  # the answer column starts at least this far right of the label column

X_TOLERANCE = 3.0  # a gap wider than this between two characters starts a new word
Y_TOLERANCE = 3.0  # characters (and words) whose tops are this close are on one line
SNAP_TOLERANCE = 3.0  # table rules this close are one rule
JOIN_TOLERANCE = 3.0  # collinear rule pieces this close are joined
INTERSECTION_TOLERANCE = 3.0
EDGE_MIN_LENGTH = 3.0  # a table rule is at least this long (after joining)
EDGE_MIN_LENGTH_PREFILTER = 1.0
LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}
_HYPHENS = ("\x02", "\ufffe")  # how PDFium gives a hyphen at the end of a line (one char, all text)

Matrix = tuple[float, float, float, float, float, float]
Box = tuple[float, float, float, float]  # x0, top, x1, bottom (top down from the page's top edge)
Point = tuple[float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
T = TypeVar("T")


@dataclass(slots=True)
class _Char:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    upright: bool


@dataclass(slots=True)
class _Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    chars: list[_Char]


@dataclass(slots=True)
class _Edge:
    orientation: str | None  # "h", "v", or None (slanted)
    x0: float
    x1: float
    top: float
    bottom: float
    width: float
    height: float

    def bbox(self) -> Box:
        return self.x0, self.top, self.x1, self.bottom


@dataclass(frozen=True)
class _Row:
    cells: tuple[Box | None, ...]
    bbox: Box


@dataclass(frozen=True)
class _Table:
    cells: tuple[Box, ...]

    @functools.cached_property
    def bbox(self) -> Box:
        return (min(c[0] for c in self.cells), min(c[1] for c in self.cells),
                max(c[2] for c in self.cells), max(c[3] for c in self.cells))

    @functools.cached_property
    def rows(self) -> list[_Row]:
        """Rows top to bottom, each with a place (or None) for every column x of the table."""
        xs = sorted({c[0] for c in self.cells})
        out = []
        for _, group in itertools.groupby(sorted(self.cells, key=lambda c: (c[1], c[0])), key=lambda c: c[1]):
            by_x = {c[0]: c for c in group}
            cells = tuple(by_x.get(x) for x in xs)
            present = [c for c in cells if c is not None]
            out.append(_Row(cells, (min(c[0] for c in present), min(c[1] for c in present),
                                    max(c[2] for c in present), max(c[3] for c in present))))
        return out


@dataclass
class _Page:
    number: int
    chars: list[_Char]
    edges: list[_Edge]
    ruled: bool  # has lines or rectangles (no ruling, no ruled table)
    images: list[Box]
    blank: bool = False  # nothing at all on it: not a scan, not OCR'd


# --------------------------------------------------------------------------- clustering (as pdfplumber)

def _cluster_ids(values: Iterable[float], tolerance: float) -> dict[float, int]:
    """Each value's cluster: sorted distinct values, a new cluster where the step exceeds `tolerance`."""
    ids: dict[float, int] = {}
    last: float | None = None
    n = -1
    for v in sorted(set(values)):
        if last is None or v > last + tolerance:
            n += 1
        ids[v] = n
        last = v
    return ids


def _cluster(items: list[T], key: Callable[[T], float], tolerance: float) -> list[list[T]]:
    """Items grouped by clusters of `key`, in cluster order (stable within one)."""
    values = [key(x) for x in items]
    return _buckets(values, items, tolerance)


# --------------------------------------------------------------------------- words and lines
# These run over every character of every page (and again over a table cell's), so each works over a
# whole list at once: no key functions, comprehensions instead of loops with branches, one bucket a line.

_X0 = operator.attrgetter("x0")
_TOP_BOTTOM = operator.attrgetter("top", "bottom")
_UPRIGHT = operator.attrgetter("upright")


def _buckets(values: list[float], items: list[T], tolerance: float) -> list[list[T]]:
    """The items of each cluster of their `values` (in cluster order, stable within one)."""
    ids = _cluster_ids(values, tolerance)
    buckets: dict[int, list[T]] = {}
    for value, item in zip(values, items):
        bucket = buckets.get(ids[value])
        if bucket is None:
            buckets[ids[value]] = [item]
        else:
            bucket.append(item)
    return [buckets[n] for n in sorted(buckets)]


def _has_ligatures(chars: list[_Char]) -> bool:
    return not LIGATURES.keys().isdisjoint([c.text for c in chars])


def _merge(chars: list[_Char], ligatures: bool) -> _Word:
    """One word's box (a word of one character is its box)."""
    text = "".join([LIGATURES.get(c.text, c.text) for c in chars] if ligatures else [c.text for c in chars])
    if len(chars) == 1:
        c = chars[0]
        return _Word(text, c.x0, c.x1, c.top, c.bottom, chars)
    return _Word(text, min([c.x0 for c in chars]), max([c.x1 for c in chars]), min([c.top for c in chars]),
                 max([c.bottom for c in chars]), chars)


def _line_words(line: list[_Char], upright: bool, ligatures: bool, out: list[_Word]) -> None:
    """One sorted line's words, split at white space and where a character does not follow the one
    before it (left of it, a gap, another line; for turned text the same downwards)."""
    if upright:
        cut = [False] + [c.x0 < p.x0 or c.x0 > p.x1 + X_TOLERANCE or abs(c.top - p.top) > Y_TOLERANCE
                         for p, c in zip(line, line[1:])]
    else:
        cut = [False] + [c.top < p.top or c.top > p.bottom + Y_TOLERANCE or abs(c.x0 - p.x0) > X_TOLERANCE
                         for p, c in zip(line, line[1:])]
    start: int | None = None
    for i, char in enumerate(line):
        if char.text.isspace():
            if start is not None:
                out.append(_merge(line[start:i], ligatures))
            start = None
        elif start is None:
            start = i
        elif cut[i]:
            out.append(_merge(line[start:i], ligatures))
            start = i
    if start is not None:
        out.append(_merge(line[start:], ligatures))


def _words(chars: list[_Char]) -> list[_Word]:
    """Characters into words: by runs of the same uprightness, lines of near tops (left to right; for
    turned text near lefts, top to bottom), split at white space and at gaps."""
    out: list[_Word] = []
    ligatures = _has_ligatures(chars)
    for upright, group in itertools.groupby(chars, key=_UPRIGHT):
        run = list(group)
        if upright:
            lines = _buckets([c.top for c in run], run, Y_TOLERANCE)
        else:
            lines = _buckets([c.x0 for c in run], run, X_TOLERANCE)
        for line in lines:
            line.sort(key=_X0 if upright else _TOP_BOTTOM)
            _line_words(line, upright, ligatures, out)
    return out


@dataclass(frozen=True)
class _TextLine:
    text: str
    top: float
    bottom: float
    chars: list[_Char]


def _text_lines(chars: list[_Char]) -> list[_TextLine]:
    """The page's text lines (pdfplumber's `extract_text_lines`): words whose tops are near, in the
    order they were found, one space between words; each line with its characters (a ligature's once
    for every letter it stands for, as pdfplumber gives them)."""
    out = []
    words = _words(chars)
    ids = _cluster_ids([w.top for w in words], Y_TOLERANCE)
    ligatures = _has_ligatures(chars)
    for _, run in itertools.groupby(words, key=lambda w: ids[w.top]):
        line = list(run)
        if ligatures:
            members = [c for w in line for c in w.chars for _ in LIGATURES.get(c.text, c.text)]
        else:
            members = [c for w in line for c in w.chars]
        if not members:
            continue
        out.append(_TextLine(" ".join([w.text for w in line]), min([c.top for c in members]),
                             max([c.bottom for c in members]), members))
    return out


def _cell_text(chars: list[_Char]) -> str:
    """The text of a table cell: lines of words, one space between words, lines by newlines."""
    words = _words(chars)
    lines = _buckets([w.top for w in words], words, Y_TOLERANCE)
    return "\n".join(" ".join([w.text for w in line]) for line in lines)


# --------------------------------------------------------------------------- ruled tables (as pdfplumber)

def _snap(edges: list[_Edge], vertical: bool) -> list[_Edge]:
    """Edges within the snap tolerance moved to their average position (all to exactly the same)."""
    key: Callable[[_Edge], float] = (lambda e: e.x0) if vertical else (lambda e: e.top)
    out = []
    for cluster in _cluster(edges, key, SNAP_TOLERANCE):
        average = sum(key(e) for e in cluster) / len(cluster)
        for e in cluster:
            if vertical:
                out.append(_Edge(e.orientation, average, average + (e.x1 - e.x0), e.top, e.bottom, e.width, e.height))
            else:
                out.append(_Edge(e.orientation, e.x0, e.x1, average, average + (e.bottom - e.top), e.width, e.height))
    return out


def _join(edges: list[_Edge], vertical: bool) -> list[_Edge]:
    """Collinear edges that touch or nearly touch, joined into one."""
    ordered = sorted(edges, key=(lambda e: e.top) if vertical else (lambda e: e.x0))
    joined = [ordered[0]]
    for e in ordered[1:]:
        last = joined[-1]
        if vertical and e.top <= last.bottom + JOIN_TOLERANCE:
            if e.bottom > last.bottom:
                joined[-1] = _Edge(last.orientation, last.x0, last.x1, last.top, e.bottom, last.width, e.bottom - last.top)
        elif not vertical and e.x0 <= last.x1 + JOIN_TOLERANCE:
            if e.x1 > last.x1:
                joined[-1] = _Edge(last.orientation, last.x0, e.x1, last.top, last.bottom, e.x1 - last.x0, last.height)
        else:
            joined.append(e)
    return joined


def _long_enough(e: _Edge, minimum: float) -> bool:
    return (e.height if e.orientation == "v" else e.width) >= minimum


def _merged_edges(edges: list[_Edge]) -> list[_Edge]:
    vertical = [e for e in edges if e.orientation == "v" and _long_enough(e, EDGE_MIN_LENGTH_PREFILTER)]
    horizontal = [e for e in edges if e.orientation == "h" and _long_enough(e, EDGE_MIN_LENGTH_PREFILTER)]
    out: list[_Edge] = []
    for group, is_vertical in ((_snap(vertical, True), True), (_snap(horizontal, False), False)):
        position: Callable[[_Edge], float] = (lambda e: e.x0) if is_vertical else (lambda e: e.top)
        for _, same_line in itertools.groupby(sorted(group, key=position), key=position):
            out.extend(_join(list(same_line), is_vertical))
    return [e for e in out if _long_enough(e, EDGE_MIN_LENGTH)]


def _intersections(edges: list[_Edge]) -> dict[Point, tuple[set[Box], set[Box]]]:
    """Where a vertical and a horizontal rule cross (within the tolerance): the point with the bounding
    boxes of the vertical and of the horizontal rules through it."""
    tol = INTERSECTION_TOLERANCE
    out: dict[Point, tuple[set[Box], set[Box]]] = {}
    horizontal = sorted((e for e in edges if e.orientation == "h"), key=lambda e: (e.top, e.x0))
    for v in sorted((e for e in edges if e.orientation == "v"), key=lambda e: (e.x0, e.top)):
        for h in horizontal:
            if v.top <= h.top + tol and v.bottom >= h.top - tol and v.x0 >= h.x0 - tol and v.x0 <= h.x1 + tol:
                vertex = (v.x0, h.top)
                if vertex not in out:
                    out[vertex] = (set(), set())
                out[vertex][0].add(v.bbox())
                out[vertex][1].add(h.bbox())
    return out


def _cells(crossings: dict[Point, tuple[set[Box], set[Box]]]) -> list[Box]:
    """The smallest rectangles whose four corners are crossings joined by rules."""
    def connects(p1: Point, p2: Point) -> bool:
        if p1[0] == p2[0] and crossings[p1][0] & crossings[p2][0]:
            return True
        return p1[1] == p2[1] and bool(crossings[p1][1] & crossings[p2][1])

    points = sorted(crossings)
    out: list[Box] = []
    for i, pt in enumerate(points[:-1]):
        rest = points[i + 1:]
        below = [p for p in rest if p[0] == pt[0]]
        right = [p for p in rest if p[1] == pt[1]]
        found = None
        for below_pt in below:
            if not connects(pt, below_pt):
                continue
            for right_pt in right:
                if not connects(pt, right_pt):
                    continue
                corner = (right_pt[0], below_pt[1])
                if corner in crossings and connects(corner, right_pt) and connects(corner, below_pt):
                    found = (pt[0], pt[1], corner[0], corner[1])
                    break
            if found:
                break
        if found:
            out.append(found)
    return out


def _tables_of(cells: list[Box]) -> list[_Table]:
    """Cells that share corners, grouped into tables (top to bottom, then left to right); a table has
    more than one cell."""
    remaining = list(cells)
    tables: list[list[Box]] = []
    corners: set[Point] = set()
    current: list[Box] = []
    while remaining:
        before = len(current)
        for cell in list(remaining):
            four = ((cell[0], cell[1]), (cell[0], cell[3]), (cell[2], cell[1]), (cell[2], cell[3]))
            if not current or any(c in corners for c in four):
                corners.update(four)
                current.append(cell)
                remaining.remove(cell)
        if len(current) == before:
            tables.append(list(current))
            corners.clear()
            current.clear()
    if current:
        tables.append(list(current))
    tables.sort(key=lambda t: min((c[1], c[0]) for c in t))
    return [_Table(tuple(t)) for t in tables if len(t) > 1]


def _find_tables(page: _Page) -> list[_Table]:
    if not page.ruled:  # no ruling, no ruled table
        return []
    return _tables_of(_cells(_intersections(_merged_edges(page.edges))))


def _within(centred: list[tuple[float, float, _Char]], box: Box) -> list[tuple[float, float, _Char]]:
    """The characters whose centre is in the box (left and top edges included, right and bottom not)."""
    x0, top, x1, bottom = box
    return [t for t in centred if x0 <= t[0] < x1 and top <= t[1] < bottom]


def _centres(chars: list[_Char]) -> list[tuple[float, float, _Char]]:
    """Each character with its centre (x, y), once for a page's tables."""
    return [((c.x0 + c.x1) / 2, (c.top + c.bottom) / 2, c) for c in chars]


def _in_rows(centred: list[tuple[float, float, _Char]], rows: list[_Row]) -> list[list[tuple[float, float, _Char]]]:
    """`_within(centred, row.bbox)` for every row: the characters whose centre is in it, in their order,
    found by bisecting the centres' heights instead of looking at every character for every row."""
    if any(y != y for _, y, _ in centred):  # a NaN sorts nowhere: look at every character
        return [_within(centred, row.bbox) for row in rows]
    order = sorted(range(len(centred)), key=lambda i: centred[i][1])
    heights = [centred[i][1] for i in order]
    out = []
    for row in rows:
        x0, top, x1, bottom = row.bbox
        band = sorted(order[bisect.bisect_left(heights, top):bisect.bisect_left(heights, bottom)])
        out.append([centred[i] for i in band if x0 <= centred[i][0] < x1])
    return out


def _table_texts(table: _Table, centred: list[tuple[float, float, _Char]]) -> list[tuple[_Row, list[str | None]]]:
    """Each row's cells' text (None where the row has no cell in that column), from the characters
    whose centre is in the cell (`centred`: the page's characters with their centres)."""
    rows = table.rows
    out = []
    for row, row_chars in zip(rows, _in_rows(_within(centred, table.bbox), rows)):
        texts: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                texts.append(None)
                continue
            cell_chars = [c for _, _, c in _within(row_chars, cell)]
            texts.append(_cell_text(cell_chars) if cell_chars else "")
        out.append((row, texts))
    return out


# --------------------------------------------------------------------------- the page's lines

def _inside(top: float, bottom: float, box: Box) -> bool:
    middle = (top + bottom) / 2
    return box[1] <= middle <= box[3]


def _cell_of(x: float, y: float, table: _Table) -> tuple[int, int] | None:
    for r, row in enumerate(table.rows, start=1):
        for c, box in enumerate(row.cells, start=1):
            if box and box[0] <= x <= box[2] and box[1] <= y <= box[3]:
                return r, c
    return None


def _table_lines(page: _Page, tables: list[_Table]) -> list[tuple[float, Line]]:
    """Ruled tables cell by cell (label cell before answer cell), so a label and its answer side by
    side are not run together into one line; the lines of a multi-line cell stay lines."""
    number = page.number
    located: list[tuple[float, Line]] = []
    centred = _centres(page.chars) if tables else []
    for t_index, table in enumerate(tables, start=1):
        key = number * 100 + t_index
        for r_index, (row, texts) in enumerate(_table_texts(table, centred), start=1):
            for c_index, text in enumerate(texts, start=1):
                for k, part in enumerate(p for p in (clean(t) for t in (text or "").split("\n")) if p):
                    located.append((row.bbox[1] + c_index * 0.001 + k * 0.00001,
                                    Line(part, f"side {number}, tabel {t_index}, række {r_index}, celle {c_index}", cell=(key, r_index, c_index), page=number)))
    return located


def _segments(row: _TextLine) -> list[tuple[float, str]]:
    """A text line cut where a wide gap separates two columns: [(x0, text), …]; a gap of more than a
    point within one is a space."""
    chars = row.chars
    if not chars:
        return []
    gaps = [c.x0 - p.x1 for p, c in zip(chars, chars[1:])]
    starts = [0] + [i + 1 for i, gap in enumerate(gaps) if gap > COLUMN_GAP]
    out = []
    for a, b in zip(starts, starts[1:] + [len(chars)]):
        text = clean(chars[a].text + "".join([" " + c.text if gap > 1.0 and c.text != " " else c.text
                                              for gap, c in zip(gaps[a:b - 1], chars[a + 1:b])]))
        if text:
            out.append((chars[a].x0, text))
    return out


def _column_lines(rows: list[_TextLine], number: int) -> list[tuple[float, Line]]:
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
                located.append((row.top + c * 0.001, Line(text, f"side {number}", cell=(number * 100 + 50 + run, r, c), page=number)))
        elif column_x is not None and len(segs) == 1 and abs(segs[0][0] - column_x) <= 6:
            located.append((row.top + 0.002, Line(segs[0][1], f"side {number}", cell=(number * 100 + 50 + run, r, 2), page=number)))
        else:
            column_x = None
            text = clean(row.text)
            if text:
                located.append((row.top, Line(text, f"side {number}", page=number)))
    return located


def _picture(image: Box, tables: list[_Table], number: int) -> tuple[float, Line]:
    """A picture line: inside a table cell it follows that cell's text; elsewhere it is marked at its
    lower edge, so a signature picture belongs after the label above it."""
    x, y = (image[0] + image[2]) / 2, (image[1] + image[3]) / 2
    for t_index, table in enumerate(tables, start=1):
        found = _cell_of(x, y, table)
        if found:
            r, c = found
            top = table.rows[r - 1].bbox[1] + c * 0.001 + 0.0009
            return top, Line(IMAGE_MARK, f"side {number}, tabel {t_index}, række {r}, celle {c}", image=True,
                             cell=(number * 100 + t_index, r, c), page=number)
    return image[3] - 0.1, Line(IMAGE_MARK, f"side {number}", image=True, page=number)


def _page_lines(page: _Page) -> list[Line]:
    tables = _find_tables(page)
    located = _table_lines(page, tables)
    boxes = [t.bbox for t in tables]
    rows = [row for row in _text_lines(page.chars) if not any(_inside(row.top, row.bottom, box) for box in boxes)]
    located += _column_lines(rows, page.number)
    for image in page.images:
        if image[2] - image[0] >= MIN_IMAGE_POINTS and image[3] - image[1] >= MIN_IMAGE_POINTS:
            located.append(_picture(image, tables, page.number))
    located.sort(key=lambda pair: pair[0])
    return [line for _, line in located]


# --------------------------------------------------------------------------- what PDFium gives

def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF's row-vector convention)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2, e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def _apply(m: Matrix, x: float, y: float) -> Point:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _matrix(obj: Any) -> Matrix:
    fs = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, fs):
        return _IDENTITY
    return (fs.a, fs.b, fs.c, fs.d, fs.e, fs.f)


def _upright(m: Matrix) -> bool:
    return m[0] * m[3] > 0 and m[1] * m[2] <= 0


class _Objects:
    """A page's paths (as table edges), pictures and whether all its text runs upright, found by
    walking its objects (into form XObjects, each child in its form's space)."""

    def __init__(self, page: Any, top: float, budget: int = DEFAULT_LIMITS.page_objects) -> None:
        self.top = top
        self.edges: list[_Edge] = []
        self.ruled = False
        self.images: list[Box] = []
        self.all_upright = True
        self.budget = budget  # objects still to walk: a page of a million paths is not walked to its end
        self.seen = 0
        self._walk(page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, _IDENTITY, 0)

    def _walk(self, parent: Any, count: Callable[[Any], int], get: Callable[[Any, int], Any], outer: Matrix, depth: int) -> None:
        for i in range(max(0, count(parent))):
            self.seen += 1
            if self.seen > self.budget:
                return
            obj = get(parent, i)
            if not obj:
                continue
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                self._path(obj, _multiply(_matrix(obj), outer))
            elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                m = _multiply(_matrix(obj), outer)
                corners = [_apply(m, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
                xs, ys = [p[0] for p in corners], [p[1] for p in corners]
                self.images.append((min(xs), self.top - max(ys), max(xs), self.top - min(ys)))
            elif kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
                if self.all_upright and not _upright(_multiply(_matrix(obj), outer)):
                    self.all_upright = False
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < 15:
                self._walk(obj, pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject,
                           _multiply(_matrix(obj), outer), depth + 1)

    def _path(self, obj: Any, m: Matrix) -> None:
        """The path's subpaths as pdfminer classifies them (a line, a rectangle, or a curve) and their
        edges as pdfplumber takes them."""
        x, y = ctypes.c_float(), ctypes.c_float()
        subpaths: list[tuple[list[str], list[Point]]] = []
        bezier = 0
        for i in range(max(0, pdfium_c.FPDFPath_CountSegments(obj))):
            seg = pdfium_c.FPDFPath_GetPathSegment(obj, i)
            if not seg or not pdfium_c.FPDFPathSegment_GetPoint(seg, x, y):
                continue
            kind = pdfium_c.FPDFPathSegment_GetType(seg)
            point = _apply(m, x.value, y.value)
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO or not subpaths:
                subpaths.append((["m"], [point]))
                bezier = 0
                continue
            shape, points = subpaths[-1]
            closes = bool(pdfium_c.FPDFPathSegment_GetClose(seg))
            if kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
                bezier += 1
                if bezier % 3:
                    continue  # a control point: pdfminer keeps the curve's end only
                shape.append("c")
                points.append(point)
            elif closes and point == points[0]:  # PDFium closes with a line back to the start: "h"
                shape.append("h")
                points.append(point)
                continue
            else:
                shape.append("l")
                points.append(point)
            if closes:
                shape.append("h")
                points.append(points[0])
        for shape, points in subpaths:
            self._subpath("".join(shape), points)

    def _subpath(self, shape: str, points: list[Point]) -> None:
        if len(shape) > 3 and shape[-2:] == "lh" and points[-2] == points[0]:
            shape = shape[:-2] + "h"
            points = points[:-1]
        top = self.top
        if shape in ("ml", "mlh") and len(points) >= 2:
            self.ruled = True
            (x0, y0), (x1, y1) = points[0], points[1]
            left, right, upper, lower = min(x0, x1), max(x0, x1), top - max(y0, y1), top - min(y0, y1)
            self.edges.append(_Edge("h" if upper == lower else "v", left, right, upper, lower, right - left, lower - upper))
            return
        if shape in ("mlllh", "mllll") and len(points) == 5:
            (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = points
            if points[0] == points[4] and ((x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)):
                self.ruled = True
                left, right = min(x0, x2), max(x0, x2)
                upper, lower = top - max(y0, y2), top - min(y0, y2)
                w, h = right - left, lower - upper
                self.edges += [_Edge("h", left, right, upper, upper, w, 0.0), _Edge("h", left, right, lower, lower, w, 0.0),
                               _Edge("v", left, left, upper, lower, 0.0, h), _Edge("v", right, right, upper, lower, 0.0, h)]
                return
        flipped = [(px, top - py) for px, py in points]
        for (ax, ay), (bx, by) in zip(flipped, flipped[1:]):
            orientation = "v" if ax == bx else ("h" if ay == by else None)
            self.edges.append(_Edge(orientation, min(ax, bx), max(ax, bx), min(ay, by), max(ay, by), abs(ax - bx), abs(ay - by)))


def _unchecked(function: Any) -> Any:
    """The same PDFium function without ctypes converting its arguments by their declared types on
    every call (half the cost of a call that runs once a character): the caller passes the textpage,
    an int and a byref() as the C function takes them."""
    unchecked = type(function)(ctypes.cast(function, ctypes.c_void_p).value)
    unchecked.restype = function.restype
    return unchecked


_LOOSE_CHAR_BOX = _unchecked(pdfium_c.FPDFText_GetLooseCharBox)


def _chars(textpage: Any, top: float, all_upright: bool) -> list[_Char]:
    """The page's characters with their boxes, in PDFium's order (the content stream's); the spaces
    and line breaks PDFium adds of its own are left out."""
    n = pdfium_c.FPDFText_CountChars(textpage)
    if n <= 0:
        return []
    buffer = (ctypes.c_ushort * (n + 1))()
    written = pdfium_c.FPDFText_GetText(textpage, 0, n, buffer)
    text = bytes(memoryview(buffer).cast("B")[: max(0, written - 1) * 2]).decode("utf-16-le", errors="replace")
    if len(text) != n:  # characters outside the BMP: one at a time
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage, i) or 0xFFFD) for i in range(n))
    rect = pdfium_c.FS_RECTF()
    rect_ref = ctypes.byref(rect)
    loose_char_box = _LOOSE_CHAR_BOX
    fs = pdfium_c.FS_MATRIX()
    out = []
    for i, ch in enumerate(text):
        if ch.isspace() and pdfium_c.FPDFText_IsGenerated(textpage, i) == 1:
            continue
        if ch in _HYPHENS:
            ch = "-"
        elif ch == "\x00":
            continue
        if not loose_char_box(textpage, i, rect_ref):
            continue
        upright = True
        if not all_upright and pdfium_c.FPDFText_GetMatrix(textpage, i, fs):
            upright = _upright((fs.a, fs.b, fs.c, fs.d, fs.e, fs.f))
        out.append(_Char(ch, rect.left, rect.right, top - rect.top, top - rect.bottom, upright))
    return out


def _read_page(pdf: Any, index: int, limits: Limits = DEFAULT_LIMITS, filename: str = "") -> _Page:
    page = pdf[index]
    try:
        top = page.get_mediabox()[3]
        objects = _Objects(page, top, limits.page_objects)
        textpage = page.get_textpage()
        try:
            count = pdfium_c.FPDFText_CountChars(textpage.raw)
            if count > limits.page_chars:  # counted before a character is read
                raise Unreadable(problems.too_large_page(filename, index + 1, count, limits.page_chars),
                                 f"page {index + 1}: {count} characters > limits.page_chars {limits.page_chars}")
            chars = _chars(textpage.raw, top, objects.all_upright)
        finally:
            textpage.close()
        blank = not chars and not objects.seen
        return _Page(index + 1, chars, objects.edges, objects.ruled, objects.images, blank)
    finally:
        page.close()


def _problem(exc: Exception, data: bytes, filename: str) -> Unreadable:
    """PDFium's refusal to open a PDF, said to a person (its own words are the detail)."""
    code = getattr(exc, "err_code", None)
    detail = problems.detail_of(exc)
    if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY) or b"/Encrypt" in data[-4096:]:
        return Unreadable(problems.password(filename), detail)
    return Unreadable(problems.damaged(filename, "pdf"), detail)


# "stream" not preceded by a letter (not "endstream"): the byte before is looked at in `check_streams`, as a
# lookbehind here would make the regex try every byte of the file (6 ms on a 70 KB PDF, now 0.1 ms)
_STREAM = re.compile(rb"stream(?:\r\n|\n|\r)")
_FLATE = re.compile(rb"/(?:FlateDecode|Fl)\b")
_IMAGE = re.compile(rb"/Subtype\s*/Image\b")
_CHUNK = 1 << 20


def _inflated(data: bytes, start: int, limit: int) -> int:
    """What the zlib stream at `start` unpacks to, counted up to just past `limit` (never kept)."""
    inflater = zlib.decompressobj()
    out, at = 0, start
    view = memoryview(data)  # chunks without copying the rest of the file for every stream
    pending: bytes | memoryview = view[at:at + _CHUNK]
    at += _CHUNK
    try:
        while pending:
            out += len(inflater.decompress(pending, 16 * _CHUNK))
            if out > limit or inflater.eof:
                return out
            pending = inflater.unconsumed_tail
            if not pending:
                pending = view[at:at + _CHUNK]
                at += _CHUNK
    except zlib.error:
        pass  # a broken stream: PDFium reads what it can of it
    return out


def check_streams(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """The PDF's compressed streams other than pictures (page content, object streams, fonts), each
    unpacked and counted against `stream_bytes`, all together against `streams_bytes`, before PDFium
    opens the file: PDFium unpacks them whole, and a flate bomb of a megabyte unpacks to gigabytes."""
    total = 0
    for match in _STREAM.finditer(data):
        if data[match.start() - 1:match.start()].isalpha():  # "endstream", "xstream": not a stream's start
            continue
        head = data[max(0, match.start() - 2048):match.start()]
        head = head[max(head.rfind(b"endobj"), head.rfind(b"endstream"), 0):]
        if not _FLATE.search(head) or _IMAGE.search(head):
            continue
        size = _inflated(data, match.end(), min(limits.stream_bytes, limits.streams_bytes - total))
        total += size
        if size > limits.stream_bytes or total > limits.streams_bytes:
            raise Unreadable(problems.too_large(filename, total, limits.streams_bytes),
                             f"a compressed stream at byte {match.end()} unpacks to more than {size} bytes "
                             f"(limits.stream_bytes {limits.stream_bytes}, streams_bytes {limits.streams_bytes})")


def _pages(data: bytes, filename: str, limits: Limits) -> tuple[list[list[Line]], list[_Page | None]]:
    """Every page's lines and what PDFium gave for it (None: the page could not be loaded)."""
    check_streams(data, filename, limits)
    try:
        pdf = pypdfium2.PdfDocument(data)
    except (pypdfium2.PdfiumError, ValueError, OSError) as exc:
        raise _problem(exc, data, filename) from exc
    try:
        count = len(pdf)  # from the page tree, before any page is loaded
        if count > limits.pages:
            raise Unreadable(problems.too_many_pages(filename, count, limits.pages), f"{count} pages > limits.pages {limits.pages}")
        read: list[_Page | None] = []
        for i in range(count):
            try:
                read.append(_read_page(pdf, i, limits, filename))
            except pypdfium2.PdfiumError:  # a page PDFium cannot load (a loop in the page tree): left out
                read.append(None)
        return [_page_lines(page) if page is not None else [] for page in read], read
    finally:
        pdf.close()


def read_pages(data: bytes, filename: str = "", limits: Limits = DEFAULT_LIMITS) -> list[list[Line]] | str:
    """The lines of every page of a PDF (a scanned page has none, or its pictures only), or why the
    PDF cannot be read (a sentence of parsers/documents/problems.py)."""
    try:
        return _pages(data, filename or "PDF-filen", limits)[0]
    except Unreadable as exc:
        return exc.problem


class PdfExtractor:
    mime_types: tuple[str, ...] = ("application/pdf", "application/x-pdf")
    extensions: tuple[str, ...] = (".pdf",)

    def extract(self, filename: str, data: bytes, options: ReadOptions = ReadOptions()) -> DocumentText:
        pages, read = _pages(data, filename, options.limits)
        failed = [number for number, page in enumerate(read, start=1) if page is None]
        if read and len(failed) == len(read):
            raise Unreadable(problems.damaged(filename, "pdf"), f"PDFium could not load any of its {len(read)} pages")
        if not read or all(page is None or page.blank for page in read):
            raise Unreadable(problems.empty(filename), "no page has anything on it" if read else "no pages")
        empty = [number for number, (page_lines, page) in enumerate(zip(pages, read), start=1)
                 if page is not None and not page.blank and not any(not line.image for line in page_lines)]
        if empty:
            # pages without a text layer are scans: OCR only those, in their place
            scanned = len(empty) == len(read) - len(failed) - sum(1 for page in read if page is not None and page.blank)
            try:
                ocr = ocr_pdf_pages(data, empty, options.ocr, options.limits.render_pixels)
            except OcrError as exc:
                if scanned:
                    raise Unreadable(problems.scan(filename), str(exc)) from exc
                ocr = {}
            except pypdfium2.PdfiumError as exc:
                raise _problem(exc, data, filename) from exc
            for number, ocr_lines in ocr.items():
                pages[number - 1] = ocr_lines
            empty = sorted(ocr) or empty
        lines: list[Line] = [line for page_lines in pages for line in page_lines]
        return DocumentText(filename, "pdf", tuple(lines), ocr_pages=tuple(empty))


register(PdfExtractor())
