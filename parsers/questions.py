"""A filled-in form as (question, answer, evidence) pairs, read from the document's structure.

Municipalities fill in the official Word template, rewrite it in their own layout, export it to PDF or
scan it.  What stays the same is the *structure*: a question and its answer share a table row (label
cell, answer cell, the answer's lines kept as lines), stand side by side in two columns, follow each
other as paragraphs (the question, then the lines until the next question or heading), or share one
line ("CVR-nr.: 29188505").  Each question found is matched to the official form's questions by
similarity (rapidfuzz), so other wordings, both template generations and OCR slips are read alike.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from parsers.text import Line

# The official form's questions (../shared/forms/, 2019 and 2025 generations, the handicap variant) and
# the labels municipalities write instead of them.
QUESTIONS: dict[str, tuple[str, ...]] = {
    "municipality": ("Kommunenavn", "Kommunens navn", "Kommune", "Ansøgende kommune", "Navn på kommunen",
                     "Kommunenavn, adresse og CVR nummer", "Kommunenavn og adresse"),
    "address": ("Adresse", "Kommunens adresse", "Postadresse"),
    "cvr": ("CVR nummer", "CVR-nr.", "CVR", "Kommunens CVR-nummer", "CVR-nummer"),
    "director": ("Navn, telefon og e-mailadresse på den projektansvarlige (direktør)", "Projektansvarlig direktør",
                 "Projektansvarlig (direktør)", "Ansvarlig direktør", "Direktør", "Direktørens navn", "Navn på direktør",
                 "Kontaktoplysninger på direktøren", "Direktør (navn, telefon, e-mail)", "Projektansvarlig"),
    "initial_meeting": (
        "Har der været afholdt det indledende møde mellem direktøren på området, dennes ledergruppe og Task "
        "Forcen? I givet fald hvornår?",
        "Har der været afholdt indledende møde med Taskforcen? I givet fald hvornår?",
        "Er det indledende møde med Task Forcen afholdt?", "Indledende møde afholdt", "Dato for indledende møde",
        "Indledende møde med Task Forcen", "Det indledende møde", "Indledende møde"),
    "political": (
        "Har beslutningen om ansøgning været politisk behandlet og i givet fald hvornår?",
        "Er ansøgningen politisk behandlet? I givet fald hvornår?", "Politisk behandling", "Politisk opbakning",
        "Dato for politisk behandling", "Politisk behandling (referat vedlagt)", "Politisk godkendelse"),
    "signature": ("Direktørens underskrift", "Underskrift", "Direktørunderskrift", "Underskrift af direktør",
                  "Direktørens underskrift og dato", "Underskrift (direktør)"),
    "area": ("Hvilket område søges der om?", "Område", "Der søges om forløb på", "Hvilket område søger kommunen",
             "Område der søges på"),
}
# The form's own instructions, printed between a question and its answer: never part of an answer.
INSTRUCTIONS = (
    "Der skal vedlægges referat af udvalgs- eller byrådsmøde.",
    "Kommunen skal ved direktørunderskrift forpligte sig på, at der vil blive afsat de nødvendige ressourcer til at "
    "indgå i Task Force forløbet.",
    "For at komme i betragtning, skal kommunen leve op til følgende kriterier for tildeling af støtte i forhold til "
    "kommunens forudgående proces.",
    "I givet fald hvornår?",
)
# What each question is about, in the words any wording of it keeps: a label that carries these is that
# question, however the municipality phrased the rest ("Indledende møde med Task Forcen (er mødet holdt,
# og hvornår?)", "Politisk behandling (udvalg og dato)").
CONCEPTS: dict[str, re.Pattern[str]] = {
    "initial_meeting": re.compile(r"\b(indledende|forudgående|første)\s+(dialog)?møde|\bopstartsmøde\b", re.I),
    "political": re.compile(r"\bpolitisk\w*\s+(behandl|godkend|opbakning|beslutning|forankring)|\bbehandlet politisk\b"
                            r"|\bpolitisk\s+behandlet\b", re.I),
    "signature": re.compile(r"\bunderskrift\b|\bunderskrevet af\b|\bdirektørunderskrift\b|\bsignatur\b", re.I),
    "cvr": re.compile(r"^\s*cvr\b", re.I),
    "director": re.compile(r"(projekt)?ansvarlig\w*\s+(\(?\s*)?direktør|direktør\w*\s*\(?(navn|kontakt)|navn\b.*\bdirektør"
                           r"|^\s*direktør(en)?\s*$", re.I),
}
ANSWER_VERB = re.compile(r"\b(er|blev|var|bliver|vil|har|afholdt|holdt|behandlet|godkendt|vedlagt|vedlægges)\b")
THRESHOLD = 86  # a question as written must be this similar (0-100) to an official one
LABEL_THRESHOLD = 80  # … or this, where the layout says it is a label (a table's first cell)
ANSWER_START = re.compile(r"^\s*(ja|nej|yes|no)\b", re.I)
FILLER = re.compile(r"^[_.\-–—\s:…]*$")


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\wæøå@]+", " ", text.casefold()).split())


@lru_cache(maxsize=None)
def _official(text: str) -> str:
    """An official question's or instruction's words, normalised once (not for every line read)."""
    return normalise(text)


@lru_cache(maxsize=4096)
def match(text: str, label: bool = False) -> tuple[str | None, float]:
    """The official question a text is, and how similar (0-100).  A fragment of a long question (its
    first line, wrapped) counts when it is at least half of it; a text longer than a question must
    match as a whole, so an answer that repeats the question's words ("Ja, det indledende møde blev
    afholdt …") is no question."""
    words = normalise(text)
    if not words or len(words) > 260 or ANSWER_START.match(words):
        return None, 0.0
    bare = normalise(re.sub(r"\([^)]*\)?", " ", text))  # "Politisk behandling (udvalg og dato)"
    if bare and bare != words:
        name, score = match(re.sub(r"\([^)]*\)?", " ", text), label)
        if name and score >= THRESHOLD:
            return name, score
    best: tuple[str | None, float] = (None, 0.0)
    for name, questions in QUESTIONS.items():
        for question in questions:
            q = _official(question)
            score = fuzz.ratio(words, q)
            if len(q) >= 24 and 0.45 * len(q) <= len(words) <= 1.05 * len(q):
                score = max(score, fuzz.partial_ratio(words, q) - 4)
            if score > best[1]:
                best = (name, score)
    short = len(words.split()) <= 6 and not re.search(r"\d", words) and not ANSWER_VERB.search(words)
    if best[1] < THRESHOLD and (label or re.search(r"[?:]\s*$", text) or short):
        concept = next((name for name, pattern in CONCEPTS.items() if pattern.search(text)), None)
        if concept:
            best = (concept, 90.0)
    return best if best[1] >= (LABEL_THRESHOLD if label else THRESHOLD) else (None, best[1])


@lru_cache(maxsize=4096)
def is_instruction(text: str) -> bool:
    """A line of the form's printed instructions (whole or a wrapped part of one)."""
    words = normalise(text)
    if len(words) < 12:
        return False
    return any(fuzz.partial_ratio(words, _official(i)) >= 90 and len(words) <= 1.1 * len(_official(i)) for i in INSTRUCTIONS)


def split_label(text: str, label: bool = False) -> tuple[str | None, str, float]:
    """A line that is a question: (field, what follows it on the same line, score).  The question may
    end with a colon or a question mark and the answer follow: "CVR-nr.: 29188505", "Har der været …?
    Ja, d. 4. oktober"."""
    if len(text) > 400 or ANSWER_START.match(text):
        return None, "", 0.0
    candidates: list[tuple[str, str]] = []
    for sep in (":", "?"):
        if sep in text:
            head, _, rest = text.partition(sep) if sep == ":" else text.rpartition(sep)
            if head.strip():
                candidates.append((head + (sep if sep == "?" else ""), rest.strip(" :-–\t()")))
    candidates.append((text, ""))
    best: tuple[str | None, str, float] = (None, "", 0.0)
    for head, rest in candidates:
        name, score = match(head, label)
        if name and score > best[2]:
            best = (name, "" if is_instruction(rest) or FILLER.match(rest) else rest, score)
    return best


@dataclass(frozen=True)
class Pair:
    """One question of the form and its answer, as found in the document."""

    field: str
    question: str
    at: int  # index of the question's (first) line
    answer: tuple[int, ...]  # indexes of the answer's lines, in order
    inline: str = ""  # an answer on the question's own line, after its colon / question mark


def is_label_line(line: Line) -> bool:
    """A line that belongs to a label rather than its answer: no digits, no address, not a name."""
    return not re.search(r"[\d@]", line.text) and not re.match(r"^[A-ZÆØÅ][a-zæøå'-]+(\s+[A-ZÆØÅ][\wæøå.'-]*)+$", line.text)


def _units(lines: tuple[Line, ...]) -> list[list[int]]:
    """Consecutive lines grouped: the lines of one table row together, every other line alone."""
    units: list[list[int]] = []
    last: tuple[int, int] | None = None
    for i, line in enumerate(lines):
        row = line.cell[:2] if line.cell else None
        if row is not None and row == last:
            units[-1].append(i)
        else:
            units.append([i])
        last = row
    return units


def _cells(lines: tuple[Line, ...], unit: list[int]) -> list[list[int]]:
    by_column: dict[int, list[int]] = {}
    for i in unit:
        cell = lines[i].cell
        by_column.setdefault(cell[2] if cell else 0, []).append(i)
    return [by_column[c] for c in sorted(by_column)]


def _filler(line: Line) -> bool:
    return not line.image and (bool(FILLER.match(line.text)) or is_instruction(line.text))


def _empty(lines: tuple[Line, ...], idx: list[int]) -> bool:
    """Nothing but filler: underscores, dots, a bare sub-label ("Dato:", "Underskrift:"), instructions."""
    return all(_filler(lines[i]) or re.fullmatch(r"[\wæøå .()/-]{1,30}:", lines[i].text) for i in idx if not lines[i].image)


class _PairFinder:
    def __init__(self, lines: tuple[Line, ...], boundary: list[bool]) -> None:
        self.lines = lines
        self.boundary = boundary  # section headings: no answer runs past one
        self.units = _units(lines)
        self.pairs: list[Pair] = []

    def run(self) -> list[Pair]:
        pending: list[int] = []
        for k, unit in enumerate(self.units):
            if self.lines[unit[0]].cell is None:
                pending.extend(unit)
                continue
            self.paragraphs(pending)
            pending = []
            self.row(k, unit)
        self.paragraphs(pending)
        return sorted(self.pairs, key=lambda p: p.at)

    def label(self, cells: list[list[int]]) -> tuple[int, str, str | None, str]:
        """The label of a table row: the first line of its first cell and the lines that continue it
        (a question wrapped in its cell), matched to the form's questions."""
        first = cells[0]
        n = 1
        while n < len(first) and is_label_line(self.lines[first[n]]) and not re.search(r"[?:]\s*$", self.lines[first[n - 1]].text):
            n += 1
        text = " ".join(self.lines[i].text for i in first[:n])
        name, inline, _ = split_label(text, label=len(cells) > 1)
        if name is None and n > 1:
            n, text = 1, self.lines[first[0]].text
            name, inline, _ = split_label(text, label=len(cells) > 1)
        return n, text, name, inline

    def question_row(self, unit: list[int]) -> bool:
        return self.label(_cells(self.lines, unit))[2] is not None

    def row(self, k: int, unit: list[int]) -> None:
        cells = _cells(self.lines, unit)
        first = cells[0]
        n, label_text, name, inline = self.label(cells)
        if name is None:
            if len(cells) == 1:
                self.paragraphs(first)  # a one-cell table holding paragraphs
            return
        answer = [i for i in first[n:]] + [i for cell in cells[1:] for i in cell]
        if not inline and _empty(self.lines, answer):
            nxt = self.units[k + 1] if k + 1 < len(self.units) else None
            below, here = (self.lines[nxt[0]].cell if nxt else None), self.lines[unit[0]].cell
            if nxt and below and here and below[0] == here[0] and not self.question_row(nxt):
                answer = nxt  # the answer row under a question row (or a header row: "Underskrift" | "Dato:")
        answer = [i for i in answer if not _filler(self.lines[i])]
        self.pairs.append(Pair(name, label_text, unit[0], tuple(answer), inline))

    def paragraphs(self, idx: list[int], limit: int = 8) -> None:
        j = 0
        while j < len(idx):
            i = idx[j]
            name, inline, _ = split_label(self.lines[i].text)
            if name is None or self.lines[i].image:
                j += 1
                continue
            end = j
            if not inline and not re.search(r"[?:]\s*$", self.lines[i].text):
                # a question wrapped over lines ends at the line with its question mark
                for e in range(j + 1, min(len(idx), j + 4)):
                    text = self.lines[idx[e]].text
                    other = split_label(text)[0]
                    if self.boundary[idx[e]] or ANSWER_START.match(text) or other not in (None, name) or not is_label_line(self.lines[idx[e]]):
                        break
                    if "?" in text:
                        end = e
                        inline = text.rsplit("?", 1)[1].strip(" :-–\t")
                        inline = "" if is_instruction(inline) else inline
                        break
            answer: list[int] = []
            e = end + 1
            while e < len(idx) and len(answer) < limit:
                line = self.lines[idx[e]]
                if self.boundary[idx[e]] or (not line.image and split_label(line.text)[0]):
                    break
                if not _filler(line):
                    answer.append(idx[e])
                e += 1
            question = " ".join(self.lines[idx[x]].text for x in range(j, end + 1))
            self.pairs.append(Pair(name, question, i, tuple(answer), inline))
            j = e if e > end + 1 else end + 1


def find_pairs(lines: tuple[Line, ...], boundary: list[bool]) -> list[Pair]:
    """Every question of the form found in the lines, with its answer, in document order."""
    return _PairFinder(lines, boundary).run()
