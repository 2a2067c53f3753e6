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

import ctypes
import functools
import itertools
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
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


Floats = npt.NDArray[np.float64]
Indices = npt.NDArray[np.intp]
Flags = npt.NDArray[np.bool_]


_SPACE = re.compile(r"\s")  # exactly the characters of str.isspace()
_LIGATURE = re.compile("[" + "".join(LIGATURES) + "]")
_UTF32 = "utf-32-le"


def _codes(text: str) -> npt.NDArray[np.uint32]:
    return np.frombuffer(text.encode(_UTF32, "surrogatepass"), dtype=np.uint32)


def _flags(pattern: re.Pattern[str], text: str) -> Flags:
    """Which characters of `text` the pattern matches (one character at a time)."""
    out = np.zeros(len(text), dtype=np.bool_)
    out[[m.start() for m in pattern.finditer(text)]] = True
    return out


@dataclass(frozen=True, eq=False)
class _Chars:
    """A page's characters in PDFium's order, as parallel arrays (one entry a character, `text` one
    letter each): a page has thousands, and the word and line rules below run over whole arrays
    instead of an object each."""

    text: str
    x0: Floats
    x1: Floats
    top: Floats
    bottom: Floats
    upright: Flags

    def __len__(self) -> int:
        return len(self.text)

    @functools.cached_property
    def codes(self) -> npt.NDArray[np.uint32]:
        return _codes(self.text)

    @functools.cached_property
    def space(self) -> Flags:
        return _flags(_SPACE, self.text)

    @functools.cached_property
    def ligature(self) -> Flags:
        return _flags(_LIGATURE, self.text)

    def joined(self, members: Indices) -> str:
        """The text of the characters `members`, one after the other."""
        return self.codes[members].tobytes().decode(_UTF32, "surrogatepass")


@dataclass(frozen=True, eq=False)
class _Words:
    """Words in reading order (group after group), as parallel arrays; `chars` holds their characters
    word after word, each word's from `starts[k]` to the next one's start."""

    group: Indices
    x0: Floats
    x1: Floats
    top: Floats
    bottom: Floats
    text: list[str]
    chars: Indices
    starts: Indices

    def __len__(self) -> int:
        return len(self.text)


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
    chars: _Chars
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
    ids = _cluster_ids(values, tolerance)
    buckets: dict[int, list[T]] = {}
    for value, item in zip(values, items):
        buckets.setdefault(ids[value], []).append(item)
    return [buckets[n] for n in sorted(buckets)]


# --------------------------------------------------------------------------- words and lines
# These run over every character of every page (and again over a table cell's), so each works over
# whole arrays at once (numpy): Python's stable sort by a pair of keys is one stable sort of complex
# numbers, a cluster a cumulative sum of "a new one starts here", a word's box a `reduceat` over its
# characters.  The same floating-point operations on the same values as the rules did on objects, so
# the same words, lines and cells.


def _sort_pairs(first: Indices, second: Floats) -> Indices:
    """The indices that sort by (first, second), ties in their order: one stable sort of complex numbers
    (compared by their real part, then their imaginary part), ten times faster than `np.lexsort`."""
    keys = np.empty(len(second), dtype=np.complex128)
    keys.real, keys.imag = first, second
    return keys.argsort(kind="stable")


def _chain(values: Floats, groups: Indices, tolerance: float | Floats) -> Indices:
    """Each value's cluster as `_cluster_ids` makes them, separately within each group (`groups` does
    not decrease): sorted values, a new cluster where the group changes or a value exceeds the one
    before by more than the tolerance (the value's own, when each has one); clusters numbered by
    group, then by value.  (Equal values are one cluster, so the sort need not be stable.)"""
    one = not len(groups) or groups[0] == groups[-1]
    order = values.argsort() if one else _sort_pairs(groups, values)
    v = values[order]
    new = np.empty(len(v), dtype=np.bool_)
    new[:1] = True
    new[1:] = v[1:] > v[:-1] + (tolerance if isinstance(tolerance, float) else tolerance[order][1:])
    if not one:
        g = groups[order]
        new[1:] |= g[1:] != g[:-1]
    ids = np.empty(len(v), dtype=np.intp)
    ids[order] = new.cumsum() - 1
    return ids


def _firsts(keys: npt.NDArray[Any]) -> Flags:
    """Where a run of equal keys starts."""
    out = np.empty(len(keys), dtype=np.bool_)
    out[:1] = True
    out[1:] = keys[1:] != keys[:-1]
    return out


def _spans(starts: Indices, total: int) -> list[tuple[int, int]]:
    """(start, end) of each run that starts at `starts` (the last ends at `total`)."""
    begin = starts.tolist()
    return list(zip(begin, begin[1:] + [total]))


_NO_WORDS = np.zeros(0, dtype=np.intp)


def _words(chars: _Chars, index: Indices, group: Indices, ligatures: Flags) -> _Words:
    """The words of each group of characters (`index`: the characters, group after group, each group's
    in page order; `ligatures`: whether a group has one, then spelt out): in each run of the same
    uprightness, lines of near tops (left to right; for turned text near lefts, top to bottom), split
    at white space and where a character does not follow the one before it (left of it, a gap,
    another line; for turned text the same downwards).  As pdfplumber's `extract_words`."""
    upright = chars.upright[index]
    x0, top = chars.x0[index], chars.top[index]
    turned = not upright.all()
    if turned:  # runs of the same uprightness, each its own group
        runs = (_firsts(group) | _firsts(upright)).cumsum() - 1
        line = _chain(np.where(upright, top, x0), runs, np.where(upright, Y_TOLERANCE, X_TOLERANCE))
        order = np.lexsort((np.where(upright, 0.0, chars.bottom[index]), np.where(upright, x0, top), line))
    else:
        line = _chain(top, group, Y_TOLERANCE)
        order = _sort_pairs(line, x0)
    c = index[order]
    cx0, ctop = x0[order], top[order]
    breaks = (cx0[1:] < cx0[:-1]) | (cx0[1:] > chars.x1[c[:-1]] + X_TOLERANCE) | (np.abs(ctop[1:] - ctop[:-1]) > Y_TOLERANCE)
    if turned:
        down = (ctop[1:] < ctop[:-1]) | (ctop[1:] > chars.bottom[c[:-1]] + Y_TOLERANCE) | (np.abs(cx0[1:] - cx0[:-1]) > X_TOLERANCE)
        breaks = np.where(upright[order][1:], breaks, down)
    space = chars.space[c]
    begins = _firsts(line[order])
    begins[1:] |= breaks | space[:-1]
    keep = ~space
    members = c[keep]
    starts = begins[keep].nonzero()[0]
    if not len(starts):
        return _Words(_NO_WORDS, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), [], _NO_WORDS, _NO_WORDS)
    member_groups = group[order][keep]
    spans = _spans(starts, len(members))
    joined = chars.joined(members)
    if ligatures.any():
        spelt = [LIGATURES.get(t, t) if s else t for t, s in zip(joined, ligatures[member_groups].tolist())]
        texts = ["".join(spelt[a:b]) for a, b in spans]
    else:  # one character a letter: the words are slices of one string
        texts = [joined[a:b] for a, b in spans]
    return _Words(member_groups[starts], np.minimum.reduceat(chars.x0[members], starts),
                  np.maximum.reduceat(chars.x1[members], starts), np.minimum.reduceat(chars.top[members], starts),
                  np.maximum.reduceat(chars.bottom[members], starts), texts, members, starts)


@dataclass(frozen=True)
class _TextLine:
    text: str
    top: float
    bottom: float
    segments: list[tuple[float, str]]  # the line cut into columns (`_segments`)


def _text_lines(chars: _Chars, tables: list[Box]) -> list[_TextLine]:
    """The page's text lines (pdfplumber's `extract_text_lines`): words whose tops are near, in the
    order they were found, one space between words; each cut into its columns (`_segments`).  Lines
    whose middle is inside a ruled table are left out (the table is read cell by cell)."""
    everything = np.arange(len(chars), dtype=np.intp)
    one_group = np.zeros(len(chars), dtype=np.intp)
    words = _words(chars, everything, one_group, np.array([chars.ligature.any()]))
    if not len(words):
        return []
    starts = _firsts(_chain(words.top, one_group[:len(words)], Y_TOLERANCE)).nonzero()[0]
    line_tops, line_bottoms = np.minimum.reduceat(words.top, starts), np.maximum.reduceat(words.bottom, starts)
    middles = (line_tops + line_bottoms) / 2
    in_table = np.zeros(len(starts), dtype=np.bool_)
    for box in tables:  # the line's middle between the table's top and bottom (both included)
        in_table |= (box[1] <= middles) & (middles <= box[3])
    kept = (~in_table).nonzero()[0].tolist()
    tops, bottoms = line_tops.tolist(), line_bottoms.tolist()
    segments = _segments(chars, words.chars, words.starts[starts], kept)
    spans = _spans(starts, len(words))
    return [_TextLine(" ".join(words.text[spans[k][0]:spans[k][1]]), tops[k], bottoms[k], segs) for k, segs in zip(kept, segments)]


def _segments(chars: _Chars, members: Indices, line_starts: Indices, lines: list[int]) -> list[list[tuple[float, str]]]:
    """Each of the `lines` (numbers of the text lines whose characters are `members`, each line's from
    its start in `line_starts`) cut where a wide gap separates two columns: [(x0, text), …]; a gap of
    more than a point within one is a space.  A ligature counts once for every letter it stands for
    (as pdfplumber gives a line's characters)."""
    if chars.ligature.any():
        repeats = np.array([len(LIGATURES.get(t, t)) for t in chars.joined(members)], dtype=np.intp)
        line_starts = np.concatenate(([0], repeats.cumsum()))[line_starts]
        members = np.repeat(members, repeats)
    gaps = chars.x0[members[1:]] - chars.x1[members[:-1]]
    cut = np.zeros(len(members), dtype=np.bool_)
    cut[1:] = gaps > COLUMN_GAP
    cut[line_starts] = True
    codes = chars.codes[members]
    spaced = np.zeros(len(members), dtype=np.bool_)
    spaced[1:] = gaps > 1.0
    spaced &= ~cut & (codes != ord(" "))
    before = spaced.cumsum()  # spaces put in up to each character
    spelt = np.full(len(codes) + int(before[-1]), ord(" "), dtype=np.uint32)
    spelt[np.arange(len(codes)) + before] = codes
    joined = spelt.tobytes().decode(_UTF32, "surrogatepass")
    seg_starts = cut.nonzero()[0]
    at = (seg_starts + before[seg_starts]).tolist() + [len(joined)]
    x0 = chars.x0[members[seg_starts]].tolist()
    first_segment = seg_starts.searchsorted(line_starts).tolist() + [len(seg_starts)]
    # already clean: no white space in a word, one space at most between two characters
    return [[(x0[k], joined[at[k]:at[k + 1]]) for k in range(first_segment[line], first_segment[line + 1])] for line in lines]


_CELL_TESTS = 1 << 22  # cell x character tests in one array (a 60 x 60 grid on a page of 200,000 characters: chunks)


def _inside(boxes: Floats, x: Floats, y: Floats, first: int) -> tuple[Indices, Indices]:
    """(cell, character) of every character whose centre is in one of `boxes` (cells `first`, … in
    order), cell by cell, characters in page order within each."""
    inside = ((boxes[:, 0:1] <= x) & (x < boxes[:, 2:3]) & (boxes[:, 1:2] <= y) & (y < boxes[:, 3:4]))
    group, index = inside.nonzero()
    return group + first, index


def _cell_lines(chars: _Chars, cells: list[Box]) -> list[list[str]]:
    """The lines of text of each cell, from the characters whose centre is in it (left and top edges
    included, right and bottom not), in page order: lines of words whose tops are near (in the order
    of their tops), one space between words."""
    if not cells or not len(chars):
        return [[] for _ in cells]
    boxes = np.array(cells, dtype=np.float64)
    x = (chars.x0 + chars.x1) / 2
    y = (chars.top + chars.bottom) / 2
    step = max(1, _CELL_TESTS // len(x))  # cells tested against every character at once: a bounded matrix
    found = [_inside(boxes[start:start + step], x, y, start) for start in range(0, len(boxes), step)]
    group, index = np.concatenate([g for g, _ in found]), np.concatenate([i for _, i in found])
    ligatures = np.zeros(len(cells), dtype=np.bool_)
    ligatures[group[chars.ligature[index]]] = True
    words = _words(chars, index.astype(np.intp), group.astype(np.intp), ligatures)
    out: list[list[str]] = [[] for _ in cells]
    if not len(words):
        return out
    lines = _chain(words.top, words.group, Y_TOLERANCE)
    order = lines.argsort(kind="stable")
    line_of = lines[order]
    groups = words.group[order].tolist()
    for a, b in _spans(_firsts(line_of).nonzero()[0], len(order)):
        out[groups[a]].append(" ".join([words.text[k] for k in order[a:b].tolist()]))
    return out


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
    same_x: dict[float, list[Point]] = {}
    same_y: dict[float, list[Point]] = {}
    for p in points:  # each in the points' order: same x by y, same y by x
        same_x.setdefault(p[0], []).append(p)
        same_y.setdefault(p[1], []).append(p)
    out: list[Box] = []
    for pt in points[:-1]:
        column, line = same_x[pt[0]], same_y[pt[1]]
        # the later points with the same x (y), in the order a scan of all later points finds them (NaN
        # equals none); those to the right joined to it by a rule found once, when first needed
        below = [p for p in column[column.index(pt) + 1:] if p[0] == pt[0]]
        right: list[Point] | None = None
        found = None
        for below_pt in below:
            if not connects(pt, below_pt):
                continue
            if right is None:
                right = [p for p in line[line.index(pt) + 1:] if p[1] == pt[1] and connects(pt, p)]
            if not right:
                break  # nothing to the right: no cell starts here
            for right_pt in right:
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


# --------------------------------------------------------------------------- the page's lines

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
    places = [(t_index, r_index, c_index, row.bbox[1], cell) for t_index, table in enumerate(tables, start=1)
              for r_index, row in enumerate(table.rows, start=1) for c_index, cell in enumerate(row.cells, start=1) if cell is not None]
    for (t_index, r_index, c_index, row_top, _), lines in zip(places, _cell_lines(page.chars, [p[4] for p in places])):
        for k, part in enumerate(p for p in (clean(t) for t in lines) if p):
            located.append((row_top + c_index * 0.001 + k * 0.00001,
                            Line(part, f"side {number}, tabel {t_index}, række {r_index}, celle {c_index}",
                                 cell=(number * 100 + t_index, r_index, c_index), page=number)))
    return located


def _column_lines(rows: list[_TextLine], number: int) -> list[tuple[float, Line]]:
    """Text lines, with label and answer side by side in two columns (a borderless table, or tabs, as
    Word exports them) given as cells of a table of their own: a line whose second part starts well
    right of the first is a row; a following line with only the right part continues that answer."""
    split = [row.segments for row in rows]
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
    located += _column_lines(_text_lines(page.chars, [t.bbox for t in tables]), page.number)
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


def _unchecked(function: Any) -> Any:
    """The same PDFium function without ctypes converting its arguments by their declared types on
    every call (half the cost of a call that runs once a character): the caller passes PDFium's own
    pointers (the textpage, an object), ints and byref()s as the C function takes them."""
    unchecked = type(function)(ctypes.cast(function, ctypes.c_void_p).value)
    unchecked.restype = function.restype
    return unchecked


# run once an object, a path segment or a character: given PDFium's own pointers (or byref()) and ints
_PAGE_OBJECTS = _unchecked(pdfium_c.FPDFPage_CountObjects)
_PAGE_OBJECT = _unchecked(pdfium_c.FPDFPage_GetObject)
_FORM_OBJECTS = _unchecked(pdfium_c.FPDFFormObj_CountObjects)
_FORM_OBJECT = _unchecked(pdfium_c.FPDFFormObj_GetObject)
_OBJECT_TYPE = _unchecked(pdfium_c.FPDFPageObj_GetType)
_GET_MATRIX = _unchecked(pdfium_c.FPDFPageObj_GetMatrix)
_SEGMENTS = _unchecked(pdfium_c.FPDFPath_CountSegments)
_SEGMENT = _unchecked(pdfium_c.FPDFPath_GetPathSegment)
_SEGMENT_POINT = _unchecked(pdfium_c.FPDFPathSegment_GetPoint)
_SEGMENT_TYPE = _unchecked(pdfium_c.FPDFPathSegment_GetType)
_SEGMENT_CLOSES = _unchecked(pdfium_c.FPDFPathSegment_GetClose)


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
        self._fs = pdfium_c.FS_MATRIX()  # filled by each object's matrix in turn
        self._fs_ref = ctypes.byref(self._fs)
        self._walk(page.raw, _PAGE_OBJECTS, _PAGE_OBJECT, _IDENTITY, 0)

    def _matrix(self, obj: Any) -> Matrix:
        fs = self._fs
        if not _GET_MATRIX(obj, self._fs_ref):
            return _IDENTITY
        return (fs.a, fs.b, fs.c, fs.d, fs.e, fs.f)

    def _walk(self, parent: Any, count: Callable[[Any], int], get: Callable[[Any, int], Any], outer: Matrix, depth: int) -> None:
        for i in range(max(0, count(parent))):
            self.seen += 1
            if self.seen > self.budget:
                return
            obj = get(parent, i)
            if not obj:
                continue
            kind = _OBJECT_TYPE(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                self._path(obj, _multiply(self._matrix(obj), outer))
            elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                m = _multiply(self._matrix(obj), outer)
                corners = [_apply(m, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
                xs, ys = [p[0] for p in corners], [p[1] for p in corners]
                self.images.append((min(xs), self.top - max(ys), max(xs), self.top - min(ys)))
            elif kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
                if self.all_upright and not _upright(_multiply(self._matrix(obj), outer)):
                    self.all_upright = False
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < 15:
                self._walk(obj, _FORM_OBJECTS, _FORM_OBJECT, _multiply(self._matrix(obj), outer), depth + 1)

    def _path(self, obj: Any, m: Matrix) -> None:
        """The path's subpaths as pdfminer classifies them (a line, a rectangle, or a curve) and their
        edges as pdfplumber takes them."""
        x, y = ctypes.c_float(), ctypes.c_float()
        x_ref, y_ref = ctypes.byref(x), ctypes.byref(y)
        subpaths: list[tuple[list[str], list[Point]]] = []
        bezier = 0
        for i in range(max(0, _SEGMENTS(obj))):
            seg = _SEGMENT(obj, i)
            if not seg or not _SEGMENT_POINT(seg, x_ref, y_ref):
                continue
            kind = _SEGMENT_TYPE(seg)
            point = _apply(m, x.value, y.value)
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO or not subpaths:
                subpaths.append((["m"], [point]))
                bezier = 0
                continue
            shape, points = subpaths[-1]
            closes = bool(_SEGMENT_CLOSES(seg))
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


_LOOSE_CHAR_BOX = _unchecked(pdfium_c.FPDFText_GetLooseCharBox)
_IS_GENERATED = _unchecked(pdfium_c.FPDFText_IsGenerated)
_RECT_FLOATS = 4  # FS_RECTF: left, top, right, bottom
_NO_FLOATS = np.zeros(0, dtype=np.float64)
_NO_CHARS = _Chars("", _NO_FLOATS, _NO_FLOATS, _NO_FLOATS, _NO_FLOATS, np.zeros(0, dtype=np.bool_))


def _chars(textpage: Any, top: float, all_upright: bool) -> _Chars:
    """The page's characters with their boxes, in PDFium's order (the content stream's); the spaces
    and line breaks PDFium adds of its own are left out, and characters PDFium gives no box for (or a
    box not on the page at all: an infinite or undefined coordinate)."""
    n = pdfium_c.FPDFText_CountChars(textpage)
    if n <= 0:
        return _NO_CHARS
    buffer = (ctypes.c_ushort * (n + 1))()
    written = pdfium_c.FPDFText_GetText(textpage, 0, n, buffer)
    text = bytes(memoryview(buffer).cast("B")[: max(0, written - 1) * 2]).decode("utf-16-le", errors="replace")
    if len(text) != n:  # characters outside the BMP: one at a time
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage, i) or 0xFFFD) for i in range(n))
    codes = _codes(text)
    wanted = codes != 0
    spaces = [m.start() for m in _SPACE.finditer(text)]
    generated = np.fromiter(map(_IS_GENERATED, itertools.repeat(textpage, len(spaces)), spaces), dtype=np.intp, count=len(spaces))
    wanted[np.array(spaces, dtype=np.intp)[generated == 1]] = False
    indices = wanted.nonzero()[0]
    if not len(indices):
        return _NO_CHARS
    count = len(indices)
    boxes = (ctypes.c_float * (_RECT_FLOATS * count))()  # each character's box written to its own place
    step = ctypes.sizeof(ctypes.c_float) * _RECT_FLOATS
    places = map(ctypes.byref, itertools.repeat(boxes, count), range(0, step * count, step))
    found = np.fromiter(map(_LOOSE_CHAR_BOX, itertools.repeat(textpage, count), indices.tolist(), places), dtype=np.intp, count=count)
    rects = np.frombuffer(memoryview(boxes), dtype=np.float32).reshape(-1, _RECT_FLOATS)
    placed = (found != 0) & np.isfinite(rects).all(axis=1)
    if not placed.all():
        indices, rects = indices[placed], rects[placed]
    left, upper, right, lower = (rects[:, k].astype(np.float64) for k in range(_RECT_FLOATS))  # as Python floats
    codes = codes[indices]
    for hyphen in _HYPHENS:
        codes[codes == ord(hyphen)] = ord("-")
    if all_upright:
        upright = np.ones(len(indices), dtype=np.bool_)
    else:
        fs = pdfium_c.FS_MATRIX()
        upright = np.array([_upright((fs.a, fs.b, fs.c, fs.d, fs.e, fs.f)) if pdfium_c.FPDFText_GetMatrix(textpage, i, fs) else True
                            for i in indices.tolist()], dtype=np.bool_)
    return _Chars(codes.tobytes().decode(_UTF32, "surrogatepass"), left, right, top - upper, top - lower, upright)


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
