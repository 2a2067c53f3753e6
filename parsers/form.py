"""The application form ("Skema til ansøgning om et Task Force forløb"): its fields, with evidence.

The document is first read into questions and answers from its structure (parsers/questions.py: table
rows, two columns, paragraphs, "Label: answer"), each question matched to the official form's by
similarity; each answer is then interpreted for its question — names, CVR, phone, e-mail, yes/no and a
date as Danes write them.  The signature block is read as a region (parsers/signature_block.py).  Both
template generations (2019 Socialstyrelsen, 2025 Social- og Boligstyrelsen), the handicap variant and
municipalities' own layouts are read the same way.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property

from parsers.dates import find_dates
from parsers.municipalities import Municipality, by_cvr, cvr_is_valid, find_in_text
from parsers.names import same_person
from parsers.questions import Pair, find_pairs, is_instruction
from parsers.signature_block import names_and_title, read_block
from parsers.text import DocumentText, Evidence, Line

SECTION = re.compile(r"^(?:afsnit\s+)?([1-9])[.)]?\s+([A-ZÆØÅ][^.?]{2,80}\??)$")
SECTION_TITLES = {
    1: r"generelle oplysninger",
    2: r"minimumsbetingelser|minimumskriterier|betingelser for ansøgningen",
    3: r"motivation",
    4: r"parathed",
    5: r"øvrige aktiviteter|andre aktiviteter",
    6: r"opstart|fremdrift|forventninger til forløbet",
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
YES = re.compile(r"^\s*(ja|yes)\b|\bblev afholdt\b|\bafholdt\b|\bholdt\b|\bbehandlet\b|\bgodkendt\b|\btiltrådt\b", re.I)
NO = re.compile(r"^\s*nej\b|\bikke (?:\w+ )?(?:afholdt|holdt|behandlet|godkendt)|\bendnu ikke\b", re.I)
NOT_YET = re.compile(r"\bforventes\b|\bplanlagt\b|\bvil blive\b|\bpåtænkt\b|\bberammet\b", re.I)
FILLER = re.compile(r"^[_.\-–—\s:]*$")
# the form's own questions (parsers/questions.py fields) that only the form asks; four of them make a form
FORM_FIELDS = frozenset({"municipality", "cvr", "director", "initial_meeting", "political", "signature"})
FORM_MIN_QUESTIONS = 4
NEXT_QUESTION = re.compile(r"politisk|referat|vedlæg|udvalg|byråd|kommunalbestyrelse|beslutning", re.I)


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
    """What stands in the director's signature block: a picture, a typed name, or nothing; the
    signer's title, and whether someone signed on the director's behalf ("p.v.a.") and why."""

    found: bool
    image: bool
    typed_name: str | None
    evidence: Evidence | None
    title: str | None = None
    on_behalf: bool = False
    behalf_of: str | None = None
    why: str = ""


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
    questions: frozenset[str] = frozenset()  # which of the form's own questions (FORM_FIELDS) it asks

    @property
    def asks_the_forms_questions(self) -> bool:
        """Minutes and letters mention the Task Force, the director and the initial meeting, but only
        the form asks for the CVR number, the director's signature and the political treatment: a
        document asking most of them is the form, whatever its title says."""
        return len(self.questions) >= FORM_MIN_QUESTIONS

    @property
    def is_form(self) -> bool:
        return self.score >= 4 or self.asks_the_forms_questions


_FORM_MARKERS = tuple(re.compile(marker, re.I) for marker in FORM_MARKERS)
# each section's title, as a heading ("3. Motivation") and as a label ("Motivation og udgangspunkt: …"),
# compiled once: every line of a document is looked at
_SECTION_PATTERNS = tuple(
    (number, re.compile(title, re.I), re.compile(rf"(?:{number}[.)]?\s+)?(?:{title})[\w\s-]*", re.I),
     re.compile(rf"^(?:{number}[.)]?\s+)?(?:{title})[\w\s-]{{0,50}}:", re.I))
    for number, title in SECTION_TITLES.items())


def form_score(text: str) -> int:
    """How many of the form's landmarks a text has (0-8); 4 or more is the form."""
    return sum(1 for marker in _FORM_MARKERS if marker.search(text))


def _section_of(text: str) -> int | None:
    match = SECTION.match(text)
    if match and any(title.search(match.group(2)) for _, title, _, _ in _SECTION_PATTERNS):
        return int(match.group(1))
    for number, _, heading, label in _SECTION_PATTERNS:
        if len(text) < 60 and heading.fullmatch(text):
            return number
        if label.match(text):
            return number  # "Motivation og udgangspunkt: Familieafdelingen behandler …"
    return None


def _numbered_headings(lines: tuple[Line, ...]) -> dict[int, int]:
    """Section headings by their numbers alone ("3. Hvorfor søger vi?", "4. Er vi klar?"): numbered
    lines outside tables that run 1, 2, 3 … in order, at least three of them, are the form's sections
    whatever the municipality titled them."""
    found: dict[int, int] = {}
    last = 0
    for i, line in enumerate(lines):
        match = SECTION.match(line.text) if line.cell is None and not line.image and len(line.text) < 70 else None
        if match and last < int(match.group(1)) <= last + 2:
            found[i] = last = int(match.group(1))
    return found if len(found) >= 3 else {}


class _Reader:
    """The document's lines, its section headings and its question/answer pairs."""

    def __init__(self, doc: DocumentText) -> None:
        self.doc = doc
        self.lines = doc.lines
        numbered = _numbered_headings(self.lines)
        self.sections = [numbered.get(i) or (_section_of(line.text) if not line.image else None) for i, line in enumerate(self.lines)]
        self.pairs = find_pairs(self.lines, [s is not None for s in self.sections])

    def first(self, name: str, before: int | None = None) -> Pair | None:
        """The first question of that kind that was answered (else the first asked)."""
        asked = [p for p in self.pairs if p.field == name and (before is None or p.at < before)]
        return next((p for p in asked if p.inline or p.answer), asked[0] if asked else None)

    def texts(self, pair: Pair) -> list[str]:
        """The answer's lines as text (the one on the question's own line first)."""
        return ([pair.inline] if pair.inline else []) + [self.lines[i].text for i in pair.answer if not self.lines[i].image]

    def evidence(self, pair: Pair, snippet: str | None = None) -> Evidence:
        at = pair.answer[0] if pair.answer and not pair.inline else pair.at
        return self.doc.evidence(at, snippet)

    @cached_property
    def reference_date(self) -> dt.date | None:
        """The latest full date the form carries (its signing date, the round's deadline): the year of
        an answer that says only "d. 9. januar"."""
        dates = [d for d, _ in find_dates(self.doc.text)]
        return max(dates) if dates else None

    def dates(self, text: str) -> list[dt.date]:
        found = find_dates(text, short_years=True)
        if not found and re.search(r"\d", text):
            reference = self.reference_date
            if reference is not None:
                found = [(d if d <= reference else _year_before(d), w)
                         for d, w in find_dates(text, short_years=True, default_year=reference.year)]
        return [d for d, _ in found]

    def by_position(self) -> Pair | None:
        """The initial meeting's question where its words were lost (a poor scan): section 2 asks it
        first, before the political treatment; its answer is what stands after the last line of the
        question (a "?") and before that next question."""
        start = next((i for i, s in enumerate(self.sections) if s == 2), None)
        later = [p.at for p in self.pairs if p.field in ("political", "signature") and start is not None and p.at > start]
        if start is None or not later:
            return None
        region = [i for i in range(start + 1, min(later)) if not self.lines[i].image and not is_instruction(self.lines[i].text)]
        asked = [k for k, i in enumerate(region) if re.search(r"\?|givet fald|hvornår", self.lines[i].text, re.I)]
        if not asked:
            return None
        answer: list[int] = []
        for i in region[asked[-1] + 1:]:
            if NEXT_QUESTION.search(self.lines[i].text):
                break  # the political question, its words lost too, and its answer
            answer.append(i)
        inline = re.split(r"\?|givet fald|hvornår", self.lines[region[asked[-1]]].text, flags=re.I)[-1].strip(" :-–\t")
        if not answer and len(inline) <= 2:
            return None
        return Pair("initial_meeting", self.lines[region[0]].text, region[0], tuple(answer), inline if len(inline) > 2 else "")

    def yes_no(self, name: str) -> Answer | None:
        pair = self.first(name) or (self.by_position() if name == "initial_meeting" else None)
        if pair is None:
            return None
        text = " ".join(self.texts(pair)).strip()
        if not text:
            return Answer("", False, None, self.doc.evidence(pair.at))
        dates = self.dates(text)
        said_yes = re.match(r"^\s*(ja|yes)\b", text, re.I) is not None
        yes = not NO.search(text) and (said_yes or not NOT_YET.search(text)) and bool(YES.search(text) or dates)
        return Answer(text, yes, dates[0] if dates else None, self.evidence(pair, text))


def _year_before(day: dt.date) -> dt.date:
    """The same day a year earlier (29 February becomes the 28th)."""
    return day.replace(year=day.year - 1, day=min(day.day, 28 if day.month == 2 else day.day))


def _section_one_end(reader: _Reader) -> int:
    return next((i for i, s in enumerate(reader.sections) if s and s >= 2), min(len(reader.lines), 40))


def _municipality(reader: _Reader, end: int) -> tuple[Field | None, Municipality | None]:
    pair = reader.first("municipality", end)
    candidates = [(i, reader.lines[i].text) for i in pair.answer] if pair else []
    if pair and pair.inline:
        candidates.insert(0, (pair.at, pair.inline))
    candidates += [(i, reader.lines[i].text) for i in range(end)]  # the letterhead, a heading
    for i, text in candidates:
        named = find_in_text(text)
        if named:
            return Field(named[0].name, reader.doc.evidence(i, named[1])), named[0]
    return None, None


CVR = re.compile(r"(?<!\d)(\d{2} ?\d{2} ?\d{2} ?\d{2})(?!\d)")


def _cvr(reader: _Reader, end: int) -> Field | None:
    """The CVR number: the answer to its question, else a number after "CVR" in section 1."""
    pair = reader.first("cvr", end)
    if pair:
        for text, i in zip(reader.texts(pair), ([pair.at] if pair.inline else []) + list(pair.answer)):
            found = CVR.search(text)
            if found:
                return Field(found.group(1).replace(" ", ""), reader.doc.evidence(i))
    for i in range(end):
        label = re.search(r"\bcvr", reader.lines[i].text, re.I)
        if not label:
            continue
        for j in (i, i + 1):
            if j < len(reader.lines):
                after = reader.lines[j].text[label.end():] if j == i else reader.lines[j].text
                found = CVR.search(after)
                if found:
                    return Field(found.group(1).replace(" ", ""), reader.doc.evidence(j))
    return None


def _titled_name(reader: _Reader, end: int) -> Field | None:
    """Section 1 without a recognisable label (a scan that lost it): a name with a director's title on
    its own line or the next ones ("Susanne Jensen" / "Stilling" / "Direktør, Børn og Familie")."""
    for i in range(min(end, len(reader.lines))):
        names, title = names_and_title(reader.lines[i].text)
        if not names or find_in_text(names[0]):
            continue
        near = [title or ""] + [reader.lines[j].text for j in range(i + 1, min(end, i + 4))]
        if any(re.search(r"(?<!vice)direktør", t, re.I) and len(t) < 80 for t in near):
            return Field(names[0], reader.doc.evidence(i))
    return None


def _director(reader: _Reader, end: int) -> tuple[Field | None, Field | None, Field | None]:
    pair = reader.first("director", end) or reader.first("director")
    texts = reader.texts(pair) if pair else []
    if pair is None or not texts:
        return _titled_name(reader, end), None, None
    text = "\n".join(texts)
    evidence = reader.evidence(pair, " ".join(texts))
    email = EMAIL.search(text)
    phone = PHONE.search(EMAIL.sub(" ", text))
    rest = PHONE.sub(" ", EMAIL.sub(" ", text))
    rest = re.sub(r"\b(tlf|telefon|mobil|mobilnr|e-?mail|mail)\b\.?\s*:?", "  ", rest, flags=re.I)
    name = None
    for line in rest.split("\n"):
        line = re.sub(r"^\s*(navn|direktør|projektansvarlig|ansvarlig)\s*:\s*", "", line, flags=re.I)
        # a first name typed (or OCR'd: "J" -> "j") in lower case: "jens Peter Holm"
        line = line[:1].upper() + line[1:] if line[:1].islower() else line
        names, _ = names_and_title(line)
        if names:
            name = names[0]
            break
    return (
        Field(name, evidence) if name else None,
        Field(phone.group(0).strip(), evidence) if phone else None,
        Field(email.group(0), evidence) if email else None,
    )


def _signature_region(reader: _Reader, pair: Pair) -> list[tuple[int, Line]]:
    """The block's lines: everything after the signature question up to the next section heading or
    the next question (the director's title line, "Direktør", is part of the block)."""
    out: list[tuple[int, Line]] = []
    question_end = pair.at
    while question_end + 1 < len(reader.lines) and reader.lines[question_end + 1].text in pair.question and \
            reader.lines[question_end + 1].cell == reader.lines[pair.at].cell and not reader.lines[question_end + 1].image:
        question_end += 1  # the label's own wrapped lines
    if pair.inline:
        out.append((pair.at, Line(pair.inline, reader.lines[pair.at].location)))
    later = [p.at for p in reader.pairs if p.at > pair.at and p.field not in ("signature", "director")]
    stop = min(later) if later else len(reader.lines)
    for i in range(question_end + 1, min(stop, question_end + 14)):
        line = reader.lines[i]
        if reader.sections[i] is not None:
            break
        out.append((i, line))
    return out


def _signature(reader: _Reader, director: str | None) -> SignatureBlock:
    """The last signature question before section 3 (the instruction sentence above it is not the
    block), read as a region."""
    section_three = next((i for i, s in enumerate(reader.sections) if s and s >= 3), len(reader.lines))
    pairs = [p for p in reader.pairs if p.field == "signature"]
    before = [p for p in pairs if p.at < section_three] or pairs
    if not before:
        # no label left (a scan that lost it, a rewritten commitment sentence): the last line before
        # section 3 that speaks of the signature opens the block
        said = [i for i in range(section_three) if re.search(r"underskrift", reader.lines[i].text, re.I)]
        if not said:
            return SignatureBlock(False, False, None, None)
        before = [Pair("signature", reader.lines[said[-1]].text, said[-1], ())]
    pair = before[-1]
    ocr = bool(reader.doc.ocr_pages)
    signer = read_block(_signature_region(reader, pair), director, lambda a, b: same_person(a, b, ocr))
    where = signer.at if signer.at is not None else pair.at
    evidence = reader.doc.evidence(where) if where != pair.at or not pair.inline else reader.doc.evidence(pair.at)
    return SignatureBlock(True, signer.picture is not None, signer.name, evidence, signer.title, signer.on_behalf,
                          signer.behalf_of, signer.why)

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
    "Hvordan ser I sammenhængen mellem Task Force forløbet og de øvrige udviklingstiltag kommunen har igangsat, og "
    "hvordan vurderer I kommunens kapacitet til at påbegynde et Task Force forløb nu?",
    "Er der planer om at ændre kommunens organisering i forhold til arbejdet med udsatte børn og unge væsentligt i den nærmeste tid?",
    "Såfremt omorganisering er planlagt ønskes en beskrivelse.",
    "Hvornår foretrækker kommunen at påbegynde Task Force forløbet?",
    "(Task Forcen træffer endelig beslutning om starttidspunkt.)",
    "Beskriv kort, hvordan kommunen vil sikre fremdrift samt at de nødvendige ressourcer til at indgå i et længerevarende Task Force forløb er afsat.",
    "Beskriv, hvordan Task Force forløbet skal forankres organisatorisk, og hvem der vil være kontaktperson til Task "
    "Forcen i forbindelse med behandling af ansøgningen.",
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
    """All fields of the form that can be read from a document (empty facts when it is not the form:
    fewer than four landmarks and fewer than four of the form's own questions)."""
    score = form_score(doc.text)
    if score < 3:
        return FormFacts(doc.filename, score)
    reader = _Reader(doc)
    questions = frozenset(p.field for p in reader.pairs) & FORM_FIELDS
    if score < 4 and len(questions) < FORM_MIN_QUESTIONS:
        return FormFacts(doc.filename, score, questions=questions)
    end = _section_one_end(reader)
    municipality_field, record = _municipality(reader, end)
    cvr_field = _cvr(reader, end)
    if record is None and cvr_field:
        record = by_cvr(cvr_field.value)
    name, phone, email = _director(reader, end)
    address = reader.first("address", end)
    area = reader.first("area")
    return FormFacts(
        filename=doc.filename,
        score=score,
        municipality=municipality_field,
        municipality_record=record,
        address=Field(" ".join(reader.texts(address)), reader.evidence(address)) if address and reader.texts(address) else None,
        cvr=cvr_field,
        cvr_valid=bool(cvr_field and cvr_is_valid(cvr_field.value)),
        director_name=name,
        director_phone=phone,
        director_email=email,
        initial_meeting=reader.yes_no("initial_meeting"),
        political=reader.yes_no("political"),
        signature=_signature(reader, name.value if name else None),
        sections=_sections(reader),
        area=Field(" ".join(reader.texts(area)), reader.evidence(area)) if area and reader.texts(area) else None,
        questions=questions,
    )
