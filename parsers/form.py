"""The application form ("Skema til ansøgning om et Task Force forløb"): its fields, with evidence.

Matches on meaning and keywords, not positions: the label and its answer may share a table row, a
line ("CVR-nr.: 29188505") or follow each other as paragraphs.  Both template generations (2019
Socialstyrelsen, 2025 Social- og Boligstyrelsen) and free layouts are read the same way.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from parsers.dates import find_dates
from parsers.municipalities import Municipality, by_cvr, cvr_is_valid, find_in_text
from parsers.text import DocumentText, Evidence, Line

# Labels and questions of the form, each a pattern on one line.  A line matching any of them ends the
# answer of the label before it.  Labels are anchored at the start of a line, and a line that starts
# like an answer ("Ja, …", "Nej") is never a label, so an answer that repeats the question's words
# ("Ja, det indledende møde blev afholdt …") is read as the answer it is.
LABELS: dict[str, re.Pattern[str]] = {
    "municipality": re.compile(r"^(kommunenavn|kommunens navn|kommune|ansøgende kommune)\b", re.I),
    "cvr": re.compile(r"^cvr", re.I),
    "address": re.compile(r"^(adresse|kommunens adresse)\b", re.I),
    "director": re.compile(
        r"^(navn, telefon|navn og kontakt|projektansv\w*|ansvarlig direktør|direktørens navn|navn på direktør"
        r"|(?:kontaktoplysninger på )?direktør(?:en)?\s*(?:[:(]|$))", re.I),
    "initial_meeting": re.compile(r"^(har\b.{0,80}|er\b.{0,80}|dato for\s+(?:det\s+)?|)indledende\s+møde", re.I),
    "political": re.compile(r"^(har\b.{0,60}|er\b.{0,60}|dato for\s+|)politisk(?:e)?\s+(?:behandl|opbakning)", re.I),
    # "\w{6,14}ens": "Direktørens", also as OCR misreads it ("Dirertørens")
    "signature": re.compile(r"^(direktørens\s+|[a-zæøå]{6,14}ens\s+)?underskrift\b|^direktørunderskrift\s*:?$", re.I),
    "date": re.compile(r"^dato\s*:?", re.I),
    "area": re.compile(r"^(hvilket område|område(?:t)?\s*:|der søges (?:om forløb )?på)", re.I),
}
ANSWER_START = re.compile(r"^\s*(ja|nej|yes|no)\b", re.I)
BOILERPLATE = re.compile(r"^(der skal vedlægges referat|i givet fald|\(.*\)$|kommunen skal ved direktørunderskrift)", re.I)
SECTION = re.compile(r"^(?:afsnit\s+)?([1-9])[.)]?\s+([A-ZÆØÅ][^.?]{2,80})$")
SECTION_TITLES = {
    1: r"generelle oplysninger",
    2: r"minimumsbetingelser|minimumskriterier",
    3: r"motivation",
    4: r"parathed",
    5: r"øvrige aktiviteter|andre aktiviteter",
    6: r"opstart|fremdrift",
    7: r"organisatorisk|forankring",
}
FORM_MARKERS = (
    r"ansøgning om (et )?task ?force|task ?force[- ]forløb|ansøgningsskema|skema til ansøgning",
    r"generelle oplysninger",
    r"minimumsbetingelser|minimumskriterier",
    r"direktør",
    r"\bcvr\b",
    r"motivation",
    r"parathed",
    r"indledende møde",
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?:\+45\s?)?(?<!\d)(?:\d{2}\s?){3}\d{2}(?!\d)")
NAME = re.compile(r"^[A-ZÆØÅ][a-zæøåéü'-]+(?:\s+(?:[A-ZÆØÅ][a-zæøåéü'-]+|[A-ZÆØÅ]\.|von|van|de))+$")
YES = re.compile(r"^\s*(ja|yes)\b|\bblev afholdt\b|\bafholdt\b|\bbehandlet\b|\bgodkendt\b", re.I)
NO = re.compile(r"^\s*nej\b|\bikke (?:\w+ )?(?:afholdt|holdt|behandlet|godkendt)|\bendnu ikke\b|\bforventes\b|\bplanlagt\b", re.I)
FILLER = re.compile(r"^[_.\-–—\s:]*$")


@dataclass(frozen=True)
class Field:
    value: str
    evidence: Evidence


@dataclass(frozen=True)
class Answer:
    """The answer to a yes/when question of section 2."""

    text: str
    yes: bool
    date: dt.date | None
    evidence: Evidence | None


@dataclass(frozen=True)
class SignatureBlock:
    """What stands in the director's signature block: a picture, a typed name, or nothing."""

    found: bool
    image: bool
    typed_name: str | None
    evidence: Evidence | None


@dataclass(frozen=True)
class Section:
    number: int
    title: str
    answered: bool
    length: int


@dataclass(frozen=True)
class FormFacts:
    filename: str
    score: int
    municipality: Field | None = None
    municipality_record: Municipality | None = None
    address: Field | None = None
    cvr: Field | None = None
    cvr_valid: bool = False
    director_name: Field | None = None
    director_phone: Field | None = None
    director_email: Field | None = None
    initial_meeting: Answer | None = None
    political: Answer | None = None
    signature: SignatureBlock = SignatureBlock(False, False, None, None)
    sections: tuple[Section, ...] = field(default=())
    area: Field | None = None

    @property
    def is_form(self) -> bool:
        return self.score >= 4


def form_score(text: str) -> int:
    """How many of the form's landmarks a text has (0-8); 4 or more is the form."""
    return sum(1 for marker in FORM_MARKERS if re.search(marker, text, re.I))


def _label_of(line: Line) -> str | None:
    if len(line.text) > 400 or ANSWER_START.match(line.text):
        return None
    for name, pattern in LABELS.items():
        if pattern.search(line.text):
            return name
    return None


def _section_of(text: str) -> int | None:
    match = SECTION.match(text)
    if match and any(re.search(t, match.group(2), re.I) for t in SECTION_TITLES.values()):
        return int(match.group(1))
    for number, title in SECTION_TITLES.items():
        if re.fullmatch(rf"(?:{number}[.)]?\s+)?(?:{title})[\w\s-]*", text, re.I) and len(text) < 60:
            return number
        if re.match(rf"^(?:{number}[.)]?\s+)?(?:{title})[\w\s-]{{0,50}}:", text, re.I):
            return number  # "Motivation og udgangspunkt: Familieafdelingen behandler …"
    return None


def _after_label(text: str, pattern: re.Pattern[str]) -> str:
    """What follows a label on its own line after a colon or question mark: "CVR-nr.: 29188505" ->
    "29188505"; "Har der været … møde? Ja, d. 4. oktober" -> "Ja, d. 4. oktober"."""
    match = pattern.search(text)
    if not match:
        return ""
    rest = text[match.end():]
    if "?" in rest:
        return rest.rsplit("?", 1)[1].strip(" :-–\t")
    if ":" in rest:
        return rest.split(":", 1)[1].strip(" :-–\t")
    return ""


class _Reader:
    def __init__(self, doc: DocumentText) -> None:
        self.doc = doc
        self.lines = doc.lines
        self.labels = [_label_of(line) for line in self.lines]
        self.sections = [_section_of(line.text) for line in self.lines]

    def answer(self, index: int, limit: int = 6) -> tuple[str, int]:
        """The answer to the label at `index`: the rest of its line, else the lines that follow, until
        the next label or section heading.  Returns the text and the index of its first line."""
        name = self.labels[index]
        same_line = _after_label(self.lines[index].text, LABELS[name]) if name else ""
        if FILLER.match(same_line) or BOILERPLATE.match(same_line):
            same_line = ""
        parts: list[str] = [same_line] if same_line else []
        start = index + 1 if same_line else self._question_end(index) + 1
        for j in range(start, min(len(self.lines), start + limit)):
            if self.labels[j] or self.sections[j] or self.lines[j].image:
                break
            text = self.lines[j].text
            if FILLER.match(text) or BOILERPLATE.match(text):
                continue
            parts.append(text)
        return " ".join(parts).strip(), (index if same_line else start)

    def _question_end(self, index: int) -> int:
        """A question wrapped over several lines ends at the line with its question mark."""
        if "?" in self.lines[index].text or ":" in self.lines[index].text:
            return index
        for j in range(index + 1, min(len(self.lines), index + 4)):
            text = self.lines[j].text
            if self.labels[j] or self.sections[j] or ANSWER_START.match(text):
                return index
            if "?" in text:
                return j
        return index

    def find(self, name: str, start: int = 0) -> int | None:
        return next((i for i in range(start, len(self.lines)) if self.labels[i] == name), None)

    def field(self, name: str) -> Field | None:
        i = self.find(name)
        if i is None:
            return None
        text, at = self.answer(i)
        return Field(text, self.doc.evidence(at if at < len(self.lines) else i, text or None)) if text else None

    def section_two_yes_no(self, name: str) -> Answer | None:
        i = self.find(name)
        if i is None:
            return None
        text, at = self.answer(i)
        if not text:
            return Answer("", False, None, self.doc.evidence(i))
        dates = find_dates(text)
        yes = not NO.search(text) and bool(YES.search(text) or dates)
        return Answer(text, yes, dates[0][0] if dates else None, self.doc.evidence(min(at, len(self.lines) - 1), text))


def _section_one_end(reader: _Reader) -> int:
    return next((i for i, s in enumerate(reader.sections) if s and s >= 2), min(len(reader.lines), 40))


def _municipality(reader: _Reader, end: int) -> tuple[Field | None, Municipality | None]:
    for i in range(end):
        named = find_in_text(reader.lines[i].text)
        if named:
            return Field(named[0].name, reader.doc.evidence(i, named[1])), named[0]
    return None, None


CVR = re.compile(r"(?<!\d)(\d{2} ?\d{2} ?\d{2} ?\d{2})(?!\d)")


def _cvr(reader: _Reader, end: int) -> Field | None:
    """The CVR number after its label, on the same line or the next."""
    for i in range(end):
        if not re.search(r"\bcvr", reader.lines[i].text, re.I):
            continue
        for j in (i, i + 1):
            if j < len(reader.lines):
                after = reader.lines[j].text[re.search(r"\bcvr", reader.lines[j].text, re.I).end():] if j == i else reader.lines[j].text
                match = CVR.search(after)
                if match:
                    return Field(match.group(1).replace(" ", ""), reader.doc.evidence(j))
    return None


def _director(reader: _Reader) -> tuple[Field | None, Field | None, Field | None]:
    i = reader.find("director")
    if i is None:
        return None, None, None
    text, at = reader.answer(i)
    if not text:
        return None, None, None
    evidence = reader.doc.evidence(min(at, len(reader.lines) - 1), text)
    email = EMAIL.search(text)
    phone = PHONE.search(EMAIL.sub(" ", text))
    rest = EMAIL.sub(" ", text)
    rest = PHONE.sub(" ", rest)
    rest = re.sub(r"\b(tlf|telefon|mobil|e-?mail|mail|navn|direktør|projektansvarlig)\b\.?:?", " ", rest, flags=re.I)
    chunks = [c.strip(" ,;:()-–") for c in re.split(r"[,;\n/]|\s{2,}", rest)]
    # a first name typed (or OCR'd: "J" -> "j") in lower case: "jens Peter Holm"
    chunks = [c[:1].upper() + c[1:] if c[:1].islower() and NAME.match(c[:1].upper() + c[1:]) else c for c in chunks]
    name = next((c for c in chunks if NAME.match(c)), None)
    return (
        Field(name, evidence) if name else None,
        Field(phone.group(0).strip(), evidence) if phone else None,
        Field(email.group(0), evidence) if email else None,
    )


def _signature(reader: _Reader) -> SignatureBlock:
    """The last signature label before section 3 (the instruction sentence above it is not the block)."""
    labels = [i for i, name in enumerate(reader.labels) if name == "signature"]
    if not labels:
        return SignatureBlock(False, False, None, None)
    i = labels[-1]
    image, typed, where = False, None, i
    same_line = _after_label(reader.lines[i].text, LABELS["signature"])
    if same_line and NAME.match(same_line):
        typed = same_line
    for j in range(i + 1, min(len(reader.lines), i + 8)):
        line = reader.lines[j]
        if reader.sections[j] or (reader.labels[j] and reader.labels[j] not in ("date", "director")):
            break
        if line.image:
            image, where = True, j
        elif reader.labels[j] == "date" or FILLER.match(line.text):
            continue
        else:
            candidate = re.sub(r"^(navn|underskrevet af)\s*:?\s*", "", line.text, flags=re.I).split(",")[0].strip()
            if typed is None and NAME.match(candidate):
                typed, where = candidate, j
    evidence = reader.doc.evidence(where)
    return SignatureBlock(True, image, typed, evidence)


# The template's own questions in sections 3-7 (both generations).  What is left of a section once
# they are taken out is the municipality's answer.
TEMPLATE_QUESTIONS = (
    "Beskriv kort kommunens udgangspunkt på området",
    "Hvad er den overordnede status på kommunens sagsbehandling i dag?",
    "(Antal sager, underretninger, afgørelse om foranstaltninger med mere)",
    "Hvordan er kommunen organiseret, herunder på myndighedsområdet for udsatte børn og unge?",
    "Beskriv kort kommunens baggrund for at søge",
    "Hvilke områder af sagsbehandlingen ønsker kommunen særligt at udvikle og forbedre?",
    "Hvad har kommunen gjort hidtil for at sikre en god kvalitet i sagsbehandlingen?",
    "Beskriv kort kommunens forventninger til Task Force forløbet",
    "Beskriv kort, hvem der har været involveret i beslutningen om at søge et Task Force forløb, og hvad der har været fokus på i overvejelserne herom?",
    "Hvilke andre udviklingstiltag har kommunen aktuelt i forhold til sagsbehandlingen på området for udsatte børn og unge?",
    "(Hvordan påvirker de kommunens udvikling på området? Hvem er involveret, og hvornår afsluttes udviklingstiltagene?)",
    "Hvordan ser I sammenhængen mellem Task Force forløbet og de øvrige udviklingstiltag kommunen har igangsat, og hvordan vurderer I kommunens kapacitet til at påbegynde et Task Force forløb nu?",
    "Er der planer om at ændre kommunens organisering i forhold til arbejdet med udsatte børn og unge væsentligt i den nærmeste tid?",
    "Såfremt omorganisering er planlagt ønskes en beskrivelse.",
    "Hvornår foretrækker kommunen at påbegynde Task Force forløbet?",
    "(Task Forcen træffer endelig beslutning om starttidspunkt.)",
    "Beskriv kort, hvordan kommunen vil sikre fremdrift samt at de nødvendige ressourcer til at indgå i et længerevarende Task Force forløb er afsat.",
    "Beskriv, hvordan Task Force forløbet skal forankres organisatorisk, og hvem der vil være kontaktperson til Task Forcen i forbindelse med behandling af ansøgningen.",
)


def _words(text: str) -> str:
    return re.sub(r"[^\wæøå]+", " ", text.lower()).strip()


_TEMPLATE = [re.compile(r"\b" + r"\W+".join(map(re.escape, _words(q).split())) + r"\b") for q in TEMPLATE_QUESTIONS]


def answer_length(body: str) -> int:
    """Characters of answer in a section's text once the template's questions are removed."""
    text = _words(body.replace("-\n", ""))
    for pattern in _TEMPLATE:
        text = pattern.sub(" ", text)
    text = re.sub(r"\b(side \d+|task force)\b", " ", text)
    return len(re.sub(r"\s+", " ", text).strip())


def _sections(reader: _Reader) -> tuple[Section, ...]:
    heads = [(i, s) for i, s in enumerate(reader.sections) if s and s >= 3]
    found: dict[int, Section] = {}
    for k, (i, number) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(reader.lines)
        head = reader.lines[i].text
        body = ([head.split(":", 1)[1]] if ":" in head else []) + [line.text for line in reader.lines[i + 1 : end] if not line.image]
        length = answer_length(" ".join(t for t in body if not FILLER.match(t)))
        if number not in found:
            found[number] = Section(number, reader.lines[i].text, length >= 40, length)
    return tuple(found[n] for n in sorted(found))


def read_form(doc: DocumentText) -> FormFacts:
    """All fields of the form that can be read from a document (empty facts when it is not the form)."""
    score = form_score(doc.text)
    if score < 4:
        return FormFacts(doc.filename, score)
    reader = _Reader(doc)
    end = _section_one_end(reader)
    municipality_field, record = _municipality(reader, end)
    cvr_field = _cvr(reader, end)
    if record is None and cvr_field:
        record = by_cvr(cvr_field.value)
    name, phone, email = _director(reader)
    return FormFacts(
        filename=doc.filename,
        score=score,
        municipality=municipality_field,
        municipality_record=record,
        address=reader.field("address"),
        cvr=cvr_field,
        cvr_valid=bool(cvr_field and cvr_is_valid(cvr_field.value)),
        director_name=name,
        director_phone=phone,
        director_email=email,
        initial_meeting=reader.section_two_yes_no("initial_meeting"),
        political=reader.section_two_yes_no("political"),
        signature=_signature(reader),
        sections=_sections(reader),
        area=reader.field("area"),
    )
