"""Committee and council minutes ("referat"): which body met, when, the Task Force item, its decision.

An agenda ("dagsorden") is not minutes; an item that was postponed ("udsat") or rejected is not backing.
The meeting systems (First Agenda, EG/Acadre, Prepare, Netpublicator, cBrain/F2, a secretary's own
Word file) all write the same things in different words and orders, so everything here is read by
meaning:

* the Task Force item is the agenda item whose title and text score highest on the programme's
  vocabulary ("Task Force", "analyse- og udviklingsforløb", "Social- og Boligstyrelsen", …), with fuzzy
  matching for OCR slips and new wordings, not the item whose title matches one pattern;
* its decision is the text under any of the labels meeting systems use ("Beslutning", "Afgørelse",
  "Udvalgets beslutning", "Beslutning i Børne- og Ungeudvalget den 12-02-2025", a table's label cell),
  wherever in the item it stands (before or after "Indstilling"), read sentence by sentence: the first
  sentence that decides anything is the decision, and within it a rejection or postponement outweighs
  the approval words it contains ("ikke godkendt", "godkendt, men udsat");
* a committee that recommends the item to the council ("anbefales over for Byrådet", "indstiller til
  Byrådet, at …") has backed it: that is approval.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz

from parsers.dates import find_dates
from parsers.text import DocumentText, Evidence, Line

Decision = Literal["approved", "postponed", "rejected", "none"]
Kind = Literal["referat", "dagsorden"]

# A committee or council, also in the genitive ("Børne- og Ungeudvalgets møde", "Byrådets beslutning").
BODY = re.compile(
    r"\b((?:[A-ZÆØÅ][\wæøå]*-,?\s+)?(?:[A-ZÆØÅ][\wæøå]*-\s+og\s+)?[A-ZÆØÅ][\wæøå-]*udvalg(?:ets|et)?"
    r"|Udvalget\s+for\s+[A-ZÆØÅ][\wæøå]+(?:\s+og\s+[A-ZÆØÅ][\wæøå]+)?"
    r"|Byråd(?:ets|et)?|Kommunalbestyrelse(?:ns|n)?|Borgerrepræsentation(?:ens|en)?)\b"
)
TASK_FORCE = re.compile(r"task\s?-?\s?force|taskforcen", re.I)
# A minutes document's title line: "Referat", "Beslutningsprotokol", "Referat af møde i …",
# "Børne- og Ungeudvalget - Referat - 1. februar 2021", "REFERAT SOCIALUDVALGET", never a sentence that
# mentions minutes ("Referat vedlagt", "Referatet eftersendes") nor an item ("2. Godkendelse af referat").
MINUTES_TITLE = re.compile(
    r"^(?!\d)(?:[^.?!]{0,80}?\s[-–•·|:]\s*|(?:uddrag|udskrift|udtræk|kopi)\s+(?:af|fra)\s+(?:[\w-]+\s+){0,4}"
    r"|(?:godkendt|endeligt|foreløbigt|offentligt|åbent)\s+)?(referat|beslutningsprotokol|protokol|mødereferat|dagsorden)\b"
    r"(?!\s*(?:er\s+)?(?:vedlagt|vedlægges|vedhæftet|eftersendes|følger|fremsendes|godkend))[^?]{0,110}$", re.I)
MENTION = re.compile(r"vedlagt|vedlægges|vedhæftet|eftersendes|eftersendt|fremsendes|se bilag", re.I)
ITEM_HEAD = re.compile(
    r"^(?:[•·▪]\s*)?(?:(?:ad\s+)?(?:punkt|pkt\.?|sag(?:\s+nr\.?)?|nr\.?)\s*(\d{1,3})\b[.):]?\s*(?:[–-]\s*)?(.{0,150})"
    r"|(\d{1,3})[.)]?\s+([A-ZÆØÅ\"»“(].{2,150}))$", re.I)
BARE_ITEM = re.compile(r"(?:[•·▪]\s*)?(?:ad\s+)?(?:punkt|pkt\.?|sag(?:\s+nr\.?)?|nr\.?)\s*\d{1,3}[.):]?", re.I)
PROPOSER = (r"(?:\S*forvaltning\w*|administration\w*|\S*direktør\w*|direktion\w*|sekretariat\w*|borgmester\w*"
            r"|cent(?:er|ret)\b[^,]{0,60}?|\S*afdeling\w*|formand\w*)")
PROPOSAL = re.compile(rf"^(indstilling\s*:?$|indstilling:|forslag\b|det indstilles|{PROPOSER}\s+(?:\w+\s+)?(?:indstiller|foreslår|anbefaler))", re.I)
DATE_LIKE = re.compile(
    r"\d{1,2}\.?\s*[-./]\s*\d{1,2}\s*[-./]\s*\d{2,4}|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}\.?\s*(?:jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)[a-zæøå]*\.?\s+\d{4}", re.I)
# "Beslutning", "Afgørelse", "Udvalgets beslutning", "Byrådets beslutning", "Beslutning i <udvalg> den
# <dato>:", "Beslutning <udvalg> den <dato>", "Beslutning: Godkendt." — never an item title ("Beslutning om
# strategi …") nor a running sentence ("Beslutningen blev …").
DECISION_WORD = re.compile(r"^(?:(?P<owner>[^:.]{0,60}?s)\s+)?(?:beslutning(?:er)?|afgørelse)\b(?P<tail>.*)$", re.I)
LABEL_REST = re.compile(r"(?:[^.:]{0,60}\s)?(?:den\s+|d\.\s*)?(?:" + DATE_LIKE.pattern + r")\s*:?|[^.]{0,60}:", re.I)
# An earlier body's decision quoted in a council's item: "Børne- og Ungeudvalget, 3. februar 2025, pkt. 12:"
TRAIL_LABEL = re.compile(r"^[A-ZÆØÅ][^:]{2,80}?,\s*.*\d{4}.{0,30}:\s*(?P<tail>.*)$")
_SECTIONS = (
    r"bilag|sagsfremstilling|sagsbeskrivelse|beskrivelse af sagen|indstilling|alternativ indstilling|hovedindstilling"
    r"|resum[eé]|sagsnr|sags-?id|j\.\s*nr|økonomi|økonomiske konsekvenser|lovgrundlag|retligt grundlag"
    r"|beslutningskompetence|kompetence|beslutningstema|baggrund|vurdering|høring|sagens kerne|sagens indhold"
    r"|sagsforløb|sagsgang|handlemuligheder|sagen afgøres af|til toppen|forslag|problemstilling|løsning|formål"
)
# A section label of an item (alone, or followed by ":" or a number): it ends the decision before it.
# "Indstillingen godkendt." and "Indstilling godkendt." are decisions, not the label.
STOP_LABEL = re.compile(rf"^(?:{_SECTIONS})\b\.?\s*(?:[:(].*|\d.*)?$", re.I)
ATTENDANCE = re.compile(r"^(fraværende|afbud|ikke til stede|til stede|deltog ikke|mødedeltagere|deltagere|inhabil\w*|fremmøde)\b", re.I)
REJECTED = re.compile(
    r"ikke\s+(?:\w+\s+)?(?:godkend\w*|tiltr[åæ]d\w*|anbefal\w*|bevilg\w*|vedtag\w*|(?:an)?søge)"
    r"|(?:godkend|tiltr[åæ]d|anbefal|bevilg|vedtag)\w*\s+ikke\b"  # "Anbefales ikke.", "Godkendes ikke."
    r"|afvist|afslået|forkastet|nedstemt|kunne ikke anbefale|\bfaldt\b", re.I)
POSTPONED = re.compile(
    r"\budsat\b|\budsættes\b|\budskudt|\budskydes|genoptages|trukket (?:tilbage|fra dagsordenen)|taget af dagsordenen"
    r"|sendes tilbage|sendt tilbage|ikke behandlet", re.I)
APPROVED = re.compile(
    r"godkend|tiltrådt|tiltræd|anbefal|besluttede at|vedtaget|vedtog|bifald|indstillingen følges|enig i indstillingen"
    r"|indstiller til|indstilles til|som indstillet|tilsluttede sig|tilslutter sig|imødekom|bevilget|bevilges", re.I)
# what follows the last item: page footers, the meeting's end, the chair's signature
TRAILER = re.compile(r"^(side \d+(?: af \d+)?|mødet (?:sluttede|hævet|afsluttet|slut)\b.*"
                     r"|[^,]{3,60},\s*(?:formand|næstformand|borgmester|referent)\b.*)$", re.I)
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")

# The programme's vocabulary, weighted by how surely a term names the Task Force offer.  One hit per
# term; the title counts double the text.  Terms are matched in the lowered text, each only where one
# of its plain stems occurs (a cheap test first).
TOPIC_TERMS: tuple[tuple[tuple[str, ...], re.Pattern[str], float], ...] = tuple((stems, re.compile(p), w) for stems, p, w in (
    (("task",), r"task\s?-?\s?forcen?s?\b|taskforcen?s?\b|task\s?-?\s?force-?forløb", 4.0),
    (("udviklingsforløb",), r"analyse-?\s*og\s+udviklingsforløb", 3.0),
    (("forløb",), r"udviklingsforløb|analyseforløb|længerevarende forløb", 1.5),
    (("styrelse",), r"social-?\s+og\s+boligstyrelsen|socialstyrelsen|ankestyrelsen", 1.5),
    (("udsatte",), r"udsatte\s+positioner|udsatte\s+børn\s+og\s+unge", 1.0),
    (("myndighed", "sagsbehandl"), r"myndighedsarbejde|myndighedsområde|sagsbehandling", 1.0),
    (("områ", "handicap"), r"handicapområdet|børneområdet|børnehandicap|voksenhandicap", 0.5),
    (("ansøg", "deltagelse", "tilbud"), r"ansøgning|ansøge|deltagelse|tilbud om", 0.5),
))
# Canonical names for fuzzy matching of a title ("Task Farce-forløb", "Taskforce'n", "analyse og
# udviklingsforlob" from OCR or a secretary's spelling).
TOPIC_NAMES: tuple[tuple[str, float], ...] = (("task force", 4.0), ("taskforcen", 4.0), ("analyse- og udviklingsforløb", 3.0))
FUZZY_MIN = 85
ITEM_THRESHOLD = 6.0
TABLE_ROW_THRESHOLD = 4.0  # a row of a table of items says little more than its title
MAX_DECISION_LINES = 8
ITEM_TEXT_LINES = 30  # an item's opening lines say what it is about


@dataclass(frozen=True)
class MinutesFacts:
    filename: str
    kind: Kind | None
    body: str | None = None
    meeting_date: dt.date | None = None
    item: Evidence | None = None
    decision: Decision = "none"
    decision_evidence: Evidence | None = None

    @property
    def is_minutes(self) -> bool:
        return self.kind is not None


# --------------------------------------------------------------------------- decisions


def _decides(sentence: str) -> Decision:
    """One sentence's verdict: "ikke godkendt" holds "godkendt", "godkendt, men udsat" holds it too."""
    if REJECTED.search(sentence):
        return "rejected"
    if POSTPONED.search(sentence):
        return "postponed"
    if APPROVED.search(sentence):
        return "approved"
    return "none"


def _sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text.strip()) if s.strip()]


def decisive_sentence(text: str) -> tuple[Decision, str]:
    """The first sentence that decides anything, and its verdict: a protocol note after the decision
    ("(Ø) stemte imod og ønskede sagen udsat.") does not undo it."""
    for sentence in _sentences(text):
        decision = _decides(sentence)
        if decision != "none":
            return decision, sentence
    return "none", ""


def classify_decision(text: str) -> Decision:
    """The verdict of a decision text (see `decisive_sentence`)."""
    return decisive_sentence(text)[0]


def is_minutes_title(text: str) -> Kind | None:
    """Whether a line is the title of minutes or an agenda, and which: "Dagsorden med beslutninger" and
    "Dagsorden og referat" are minutes."""
    match = MINUTES_TITLE.match(text.strip())
    if not match or MENTION.search(text):
        return None
    if match.group(1).lower() == "dagsorden" and not re.search(r"referat|protokol|beslutning", text, re.I):
        return "dagsorden"
    return "referat"


def decision_label(text: str) -> str | None:
    """None unless the line is a decision label; else what follows the label on the same line ("" when
    the decision is on the next lines)."""
    match = DECISION_WORD.match(text.strip())
    if match:
        return _label_rest(match.group("tail"))
    trail = TRAIL_LABEL.match(text.strip())
    if trail and BODY.match(text.strip()) and DATE_LIKE.search(text):
        return trail.group("tail").strip()
    return None


def _label_rest(tail: str) -> str | None:
    """What a label's tail leaves for the decision, or None when the tail shows it is no label."""
    tail = tail.strip()
    if not tail:
        return ""
    if tail[0] in ":-–":
        return tail[1:].strip()
    dated = re.match(r"^(?:(?:i|fra|på)\s+)?[^:]{0,80}?(?:\b(?:den|d\.)\s*)?(?:" + DATE_LIKE.pattern + r")\s*[:.]?\s*(.*)$", tail, re.I)
    if dated:
        return dated.group(1).strip()
    if re.match(r"^(?:i|fra)\s+", tail, re.I) and BODY.search(tail):
        return re.sub(r"^[^:]*:?", "", tail, count=1).strip()
    if tail.startswith("("):
        return re.sub(r"^\([^)]*\)\s*:?", "", tail).strip()
    if not re.match(r"^(?:om|af|vedr|til|for|på|at|er|blev|skal|kan)\b", tail, re.I) and len(tail) < 80 and classify_decision(tail) != "none":
        return tail  # "Beslutning Godkendt." (a table row run together)
    return None


# --------------------------------------------------------------------------- the meeting


def _kind(doc: DocumentText) -> Kind | None:
    """The title line decides; a heading-less protocol is known by its meeting words and decisions."""
    for line in doc.lines[:25]:
        kind = is_minutes_title(line.text)
        if kind:
            return kind
    head = "\n".join(line.text for line in doc.lines[:25])
    if re.search(r"\b(referat|beslutningsprotokol|protokol)\b", head, re.I):
        return "referat"
    if re.search(r"\bdagsorden\b", head, re.I):
        return "dagsorden"
    if re.search(r"\bmøde(dato|sted|tidspunkt)?\b", head, re.I) and re.search(r"\bbeslutning\b", doc.text, re.I):
        return "referat"
    # a meeting system's page without the word: the body and the date it met on top, then items
    # whose decision is labelled ("Udvalget for Børn og Familie 24-02-2025" … "Beslutning" / "Godkendt.")
    top = "\n".join(line.text for line in doc.lines[:4])
    if BODY.search(top) and DATE_LIKE.search(top) and any(decision_label(line.text) is not None for line in doc.lines):
        return "referat"
    return None


def _meeting_date(doc: DocumentText) -> dt.date | None:
    head = doc.lines[:30]
    for i, line in enumerate(head):
        if re.search(r"møde|dato|afholdt|tidspunkt", line.text, re.I):
            dates = find_dates(line.text)
            if not dates and i + 1 < len(head) and len(line.text) < 30 and len(head[i + 1].text) < 40:
                dates = find_dates(head[i + 1].text)  # "Mødedato" | "27-02-2025" (label, then its cell)
            if dates:
                return dates[0][0]
    dates = find_dates("\n".join(line.text for line in doc.lines[:30]))
    return dates[0][0] if dates else None


def _body(doc: DocumentText) -> str | None:
    head = " ".join(line.text for line in doc.lines[:30])  # a title may wrap: "… Børne- og" / "Ungeudvalget"
    match = BODY.search(head)
    if match:
        return body_name(match.group(1))
    for line in doc.lines:
        match = re.search(r"beslutning i (.+?) den", line.text, re.I)
        body = BODY.search(match.group(1)) if match else None
        if body:
            return body_name(body.group(1))
    return None


def body_name(found: str) -> str:
    """A body as it names itself: "Børne- og Ungeudvalgets" -> "Børne- og Ungeudvalget", "Byrådets" ->
    "Byrådet"."""
    name = re.sub(r"\s+", " ", found).strip()
    return re.sub(r"(udvalget|rådet|bestyrelsen|repræsentationen)s$", r"\1", name)


# --------------------------------------------------------------------------- items


def _agenda_chain(candidates: list[tuple[int, int]]) -> list[int]:
    """The lines that start the meeting's items.  Items are numbered on (1, 2, 3 … or, where a body
    numbers its cases through the year, 492, 493 …); numbered lists inside an item (its "Bilag"), or a
    wrapped line that starts "85. Det er …" (servicelovens § 85), make short chains of their own.  The
    longest chain wins; of two equally long, the one whose heads stand further apart (items, not a list
    or a table of contents), then the later."""
    chains: list[list[tuple[int, int]]] = []
    for line, number in candidates:
        growing = [c for c in chains if c[-1][1] < number <= c[-1][1] + 3]
        exact = [c for c in growing if c[-1][1] == number - 1]
        if exact or growing:
            max(exact or growing, key=len).append((line, number))
        else:
            chains.append([(line, number)])
    if not chains:
        return []

    def spread(c: list[tuple[int, int]]) -> float:
        return (c[-1][0] - c[0][0]) / max(1, len(c) - 1)

    best = max(reversed(chains), key=lambda c: (len(c), spread(c) >= 3, c[0][1] == 1))
    return [line for line, _ in best]


def _items(doc: DocumentText) -> list[tuple[int, int]]:
    """Start and end line of every numbered agenda item."""
    candidates = []
    for i, line in enumerate(doc.lines):
        match = ITEM_HEAD.match(line.text)
        # "1. at kommunen søger …" is a point of the recommendation, not an item: titles start upper-case
        if match and not DATE_LIKE.match(line.text[:14]) and not (match.group(4) and match.group(4)[:1].islower()):
            candidates.append((i, int(match.group(1) or match.group(3))))
    starts = _agenda_chain(candidates)
    return [(s, starts[k + 1] if k + 1 < len(starts) else len(doc.lines)) for k, s in enumerate(starts)]


def topic_score(text: str, fuzzy: bool = False) -> float:
    """How surely a text is about the Task Force offer: weighted terms, each counted once, and (for a
    title) the best fuzzy match of the programme's names."""
    lowered = text.lower()
    score = sum(weight for stems, pattern, weight in TOPIC_TERMS
                if any(stem in lowered for stem in stems) and pattern.search(lowered))
    if fuzzy and score < 4:
        score += max((w for name, w in TOPIC_NAMES if fuzz.partial_ratio(name, lowered) >= FUZZY_MIN), default=0.0)
    return score


def _title(doc: DocumentText, start: int) -> tuple[int, str]:
    """The item's title line: the head itself (with its wrapped rest), or the line after a bare "Punkt 7",
    or the line before a bare "Sag nr. 130" (a council's style: title, then the case number)."""
    text = doc.lines[start].text
    if not BARE_ITEM.fullmatch(text):
        return start, _wrapped(doc, start)
    after = _wrapped(doc, start + 1) if start + 1 < len(doc.lines) else ""
    before = doc.lines[start - 1].text if start > 0 else ""
    if before and topic_score(before, fuzzy=True) > topic_score(after, fuzzy=True):
        return start - 1, before
    return start, f"{text} {after}".strip()


def _wrapped(doc: DocumentText, index: int) -> str:
    """A title with the rest of it that wrapped onto the next lines: a line that goes on in lower case,
    or the rest of the same table cell."""
    line = doc.lines[index]
    parts = [line.text]
    cell = getattr(line, "cell", None)
    for following in doc.lines[index + 1 : index + 3]:
        same_cell = cell is not None and getattr(following, "cell", None) == cell
        if not (same_cell or following.text[:1].islower()) or STOP_LABEL.match(following.text):
            break
        parts.append(following.text)
    return " ".join(parts)


def _item_score(doc: DocumentText, start: int, end: int) -> float:
    _, title = _title(doc, start)
    body = " ".join(line.text for line in doc.lines[start + 1 : min(end, start + ITEM_TEXT_LINES)])
    return 2 * topic_score(title, fuzzy=True) + 0.5 * topic_score(body)


def _task_force_items(doc: DocumentText) -> list[tuple[int, int]]:
    """The items about the Task Force, best first; without numbered items, the first passage that
    names it."""
    scored = [(_item_score(doc, s, e), s, e) for s, e in _items(doc)]
    chosen = sorted(((sc, s, e) for sc, s, e in scored if sc >= ITEM_THRESHOLD), key=lambda t: -t[0])
    if chosen:
        return [(s, e) for _, s, e in chosen]
    mentions = [i for i, line in enumerate(doc.lines) if TASK_FORCE.search(line.text) or topic_score(line.text) >= 3]
    return [(i, min(len(doc.lines), i + 25)) for i in mentions[:1]]


# --------------------------------------------------------------------------- an item's decision


def _label_section(doc: DocumentText, at: int, end: int, rest: str) -> list[tuple[int, str]]:
    """The lines under one decision label: until the next section label, decision label or item end;
    attendance notes ("Fraværende: …") and page footers are skipped, not taken for the end."""
    words = [(at, rest)] if rest else []
    for j in range(at + 1, end):
        text = doc.lines[j].text
        if STOP_LABEL.match(text) or decision_label(text) is not None or len(words) >= MAX_DECISION_LINES:
            break
        if ATTENDANCE.match(text) or TRAILER.match(text) or doc.lines[j].image:
            continue
        if not words and _label_goes_on(doc.lines[at], doc.lines[j]):
            continue
        words.append((j, text))
    return words


def _label_goes_on(label: Line, line: Line) -> bool:
    """The wrapped rest of a label ("Beslutning i Byrådet" / "den 12-02-2025"), not the decision: the
    rest of the label's own table cell, or a date, that decides nothing."""
    if classify_decision(line.text) != "none":
        return False
    cell = getattr(label, "cell", None)
    if cell is not None and getattr(line, "cell", None) == cell:
        return True
    return bool(LABEL_REST.fullmatch(line.text.strip()))


def _section_decision(doc: DocumentText, at: int, words: list[tuple[int, str]]) -> tuple[Decision, Evidence]:
    """A label section's verdict and its evidence: the deciding sentence, cited at the line where it
    starts (a sentence may wrap onto the next line)."""
    text, starts = "", []
    for j, w in words:
        starts.append((len(text), j))
        text += w.strip() + " "
    decision, sentence = decisive_sentence(text)
    if decision == "none":
        return "none", doc.evidence(words[0][0] if words else at)
    offset = text.find(sentence)
    line = max((j for pos, j in starts if pos <= offset), default=words[0][0])
    return decision, doc.evidence(line, sentence if len(sentence) <= 240 else sentence[:237] + "…")


def _labelled_decision(doc: DocumentText, start: int, end: int) -> tuple[Decision, Evidence] | None:
    """The decision under the item's labels.  Where a council's item quotes the committees' decisions
    before its own, the last label that decides anything is the latest word; None without labels."""
    found: list[tuple[Decision, Evidence]] = []
    for i in range(start, end):
        rest = decision_label(doc.lines[i].text)
        if rest is None or (i == start and ITEM_HEAD.match(doc.lines[i].text)):
            continue
        found.append(_section_decision(doc, i, _label_section(doc, i, end, rest)))
    if not found:
        return None
    decided = [f for f in found if f[0] != "none"]
    return decided[-1] if decided else found[0]


def _closing_decision(doc: DocumentText, start: int, end: int) -> tuple[Decision, Evidence | None]:
    """A protocol written as prose: the item's closing sentences, not the administration's proposal."""
    body = [j for j in range(start + 1, end) if not TRAILER.match(doc.lines[j].text)]
    closing = [j for j in body[-2:] if not PROPOSAL.match(doc.lines[j].text)]
    for j in reversed(closing):
        decision, sentence = decisive_sentence(doc.lines[j].text)
        if decision != "none":
            return decision, doc.evidence(j)
    return "none", None


def _decision_in(doc: DocumentText, start: int, end: int, referat: bool) -> tuple[Decision, Evidence | None]:
    labelled = _labelled_decision(doc, start, end)
    if labelled is not None:
        return labelled
    if not referat:
        return "none", None
    return _closing_decision(doc, start, end)


def _table_rows(doc: DocumentText) -> dict[int, dict[int, dict[int, list[int]]]]:
    """The lines of every table: table -> row -> column -> line indexes."""
    tables: dict[int, dict[int, dict[int, list[int]]]] = {}
    for i, line in enumerate(doc.lines):
        if line.cell and not line.image:
            t, r, c = line.cell
            tables.setdefault(t, {}).setdefault(r, {}).setdefault(c, []).append(i)
    return tables


def _table_decision(doc: DocumentText) -> tuple[Decision, Evidence, Evidence] | None:
    """Minutes written as one table, an item a row ("Pkt. | Sagsnr. | Sag | Beslutning"): the column
    whose header is a decision label holds each item's decision; the Task Force item is the row that is
    about it."""
    best: tuple[float, tuple[Decision, Evidence, Evidence]] | None = None
    for rows in _table_rows(doc).values():
        column = None
        for r in sorted(rows):
            cells = rows[r]
            if column is None:
                column = next((c for c, idx in cells.items() if decision_label(" ".join(doc.lines[i].text for i in idx)) == ""), None)
                continue
            topic = [i for c, idx in cells.items() if c != column for i in idx]
            decided = cells.get(column, [])
            score = topic_score(" ".join(doc.lines[i].text for i in topic), fuzzy=True)
            if not decided or not topic or score < TABLE_ROW_THRESHOLD or (best and best[0] >= score):
                continue
            words = " ".join(doc.lines[i].text for i in decided)
            title = next((i for i in topic if topic_score(doc.lines[i].text, fuzzy=True) > 0), topic[0])
            best = (score, (classify_decision(words), doc.evidence(title), doc.evidence(decided[0], words)))
    return best[1] if best else None


def read_minutes(doc: DocumentText) -> MinutesFacts:
    kind = _kind(doc)
    if kind is None:
        return MinutesFacts(doc.filename, None)
    best: tuple[Decision, Evidence | None, Evidence | None] = ("none", None, None)
    for start, end in _task_force_items(doc):
        decision, evidence = _decision_in(doc, start, end, kind == "referat")
        at, title = _title(doc, start)
        # the best-scoring item that was decided; a table of contents lists it without a decision
        if best[1] is None or (decision != "none" and best[0] == "none"):
            best = (decision, doc.evidence(at, title), evidence)
    if best[0] == "none":
        tabled = _table_decision(doc)  # the decision stands in the item's row of a table of items
        if tabled is not None and tabled[0] != "none":
            best = (tabled[0], tabled[1], tabled[2])
    decision, item, evidence = best
    if kind == "dagsorden" and decision == "none":
        evidence = None
    return MinutesFacts(doc.filename, kind, _body(doc), _meeting_date(doc), item, decision, evidence)
