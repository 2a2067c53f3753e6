"""Committee and council minutes ("referat"): which body met, when, the Task Force item, its decision.

An agenda ("dagsorden") is not minutes; an item that was postponed ("udsat") or rejected is not backing.
The Task Force item is found by its title and text among the meeting's other items, and only *its*
decision counts.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from parsers.dates import find_dates
from parsers.text import DocumentText, Evidence

Decision = Literal["approved", "postponed", "rejected", "none"]

BODY = re.compile(
    r"\b((?:[A-ZÆØÅ][\wæøå]*-,?\s+)?(?:[A-ZÆØÅ][\wæøå]*-\s+og\s+)?[A-ZÆØÅ][\wæøå-]*udvalg(?:et)?"
    r"|Byråd(?:et)?|Kommunalbestyrelse(?:n)?|Borgerrepræsentation(?:en)?)\b"
)
TASK_FORCE = re.compile(r"task\s?-?\s?force|taskforcen", re.I)
ITEM_HEAD = re.compile(
    r"^(?:(?:ad\s+)?(?:punkt|pkt\.?|sag(?:\s+nr\.?)?)\s*(\d{1,3})\b[.):]?\s*(?:[–-]\s*)?(.{0,150})"
    r"|(\d{1,3})[.)]\s+(\S.{2,150}))$", re.I)
PROPOSAL = re.compile(r"^(indstilling\s*:?$|indstilling:|forslag\b|det indstilles|\S*forvaltningen indstiller)", re.I)
DECISION_LABEL = re.compile(r"^(beslutning|afgørelse|udvalgets beslutning|byrådets beslutning)\b.*?:?", re.I)
STOP_LABEL = re.compile(r"^(bilag|fraværende|sagsfremstilling|indstilling|resumé|sagsnr|økonomi|lovgrundlag|beslutningskompetence|høring)\b", re.I)
REJECTED = re.compile(r"ikke\s+(godkendt|tiltrådt|anbefal\w*|bevilget|vedtaget)|afvist|afslået|forkastet|kunne ikke anbefale|faldt", re.I)
POSTPONED = re.compile(r"\budsat\b|\budsættes\b|\bblev udsat\b|genoptages|udskudt", re.I)
# what follows the last item: page footers, the meeting's end, the chair's signature
TRAILER = re.compile(r"^(side \d+(?: af \d+)?|mødet (?:sluttede|hævet|afsluttet|slut)\b.*|[^,]{3,60},\s*(?:formand|næstformand|borgmester|referent)\b.*)$", re.I)
APPROVED = re.compile(r"godkend|tiltrådt|tiltræd|anbefal|besluttede at|vedtaget|vedtog|bifald|indstillingen følges|enig i indstillingen", re.I)


@dataclass(frozen=True)
class MinutesFacts:
    filename: str
    kind: Literal["referat", "dagsorden"] | None
    body: str | None = None
    meeting_date: dt.date | None = None
    item: Evidence | None = None
    decision: Decision = "none"
    decision_evidence: Evidence | None = None

    @property
    def is_minutes(self) -> bool:
        return self.kind is not None


def classify_decision(text: str) -> Decision:
    """Rejection before postponement before approval: "ikke godkendt" holds "godkendt"."""
    if not text.strip():
        return "none"
    if REJECTED.search(text):
        return "rejected"
    if POSTPONED.search(text):
        return "postponed"
    if APPROVED.search(text):
        return "approved"
    return "none"


def _kind(doc: DocumentText) -> Literal["referat", "dagsorden"] | None:
    head = "\n".join(line.text for line in doc.lines[:25])
    if re.search(r"\b(referat|beslutningsprotokol|protokol)\b", head, re.I):
        return "referat"
    if re.search(r"\bdagsorden\b", head, re.I):
        return "dagsorden"
    if re.search(r"\bmøde(dato|sted|tidspunkt)?\b", head, re.I) and re.search(r"\bbeslutning\b", doc.text, re.I):
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
        return re.sub(r"\s+", " ", match.group(1)).strip()
    for line in doc.lines:
        match = re.search(r"beslutning i (.+?) den", line.text, re.I)
        if match and BODY.search(match.group(1)):
            return BODY.search(match.group(1)).group(1)
    return None


def _agenda_chain(candidates: list[tuple[int, int]]) -> list[int]:
    """The lines that start the meeting's items.  Items are numbered 1, 2, 3 …; numbered lists inside
    an item (its "Bilag"), or a wrapped line that starts "85. Det er …" (servicelovens § 85), make
    short chains of their own.  The longest chain wins; of two equal ones (a table of contents, then
    the items) the later."""
    chains: list[list[tuple[int, int]]] = []
    for line, number in candidates:
        growing = [c for c in chains if c[-1][1] < number <= c[-1][1] + 3]
        exact = [c for c in growing if c[-1][1] == number - 1]
        if exact or growing:
            max(exact or growing, key=len).append((line, number))
        elif number == 1:
            chains.append([(line, number)])
    if not chains:
        return []
    best = max(reversed(chains), key=len)
    return [line for line, _ in best]


def _items(doc: DocumentText) -> list[tuple[int, int]]:
    """Start and end line of every numbered agenda item."""
    candidates = []
    for i, line in enumerate(doc.lines):
        match = ITEM_HEAD.match(line.text)
        if match and not find_dates(line.text[:14]):
            candidates.append((i, int(match.group(1) or match.group(3))))
    starts = _agenda_chain(candidates)
    return [(s, starts[k + 1] if k + 1 < len(starts) else len(doc.lines)) for k, s in enumerate(starts)]


def _decision_in(doc: DocumentText, start: int, end: int, referat: bool) -> tuple[Decision, int | None]:
    """The decision of one item and the line it was read from: the text under its "Beslutning"
    label, or (a protocol written as prose) the item's closing sentences."""
    for i in range(start, end):
        text = doc.lines[i].text
        if not DECISION_LABEL.match(text):
            continue
        rest = re.sub(r"^.*?(?:\bden\s+\d{1,2}[.\-/ ]\s?\S+(?:[.\-/ ]\s?\d{4})?|:)\s*", "", text, count=1)
        words = [(i, rest)] if rest and rest != text and not find_dates(rest) else []
        for j in range(i + 1, end):
            if STOP_LABEL.match(doc.lines[j].text) or DECISION_LABEL.match(doc.lines[j].text) or len(words) >= 4:
                break
            words.append((j, doc.lines[j].text))
        decision = classify_decision(" ".join(w for _, w in words))
        return decision, (words[0][0] if words else i)
    if not referat:
        return "none", None
    body = [j for j in range(start + 1, end) if not TRAILER.match(doc.lines[j].text)]
    closing = [j for j in body[-2:] if not PROPOSAL.match(doc.lines[j].text)]
    for j in reversed(closing):
        decision = classify_decision(doc.lines[j].text)
        if decision != "none":
            return decision, j
    return "none", None


def _task_force_items(doc: DocumentText) -> list[tuple[int, int]]:
    items = _items(doc)
    chosen = [(s, e) for s, e in items if TASK_FORCE.search(" ".join(line.text for line in doc.lines[s : min(e, s + 3)]))]
    if chosen:
        return chosen
    mentions = [i for i, line in enumerate(doc.lines) if TASK_FORCE.search(line.text)]
    return [(i, min(len(doc.lines), i + 25)) for i in mentions[:1]]


def read_minutes(doc: DocumentText) -> MinutesFacts:
    kind = _kind(doc)
    if kind is None:
        return MinutesFacts(doc.filename, None)
    best: tuple[Decision, Evidence | None, Evidence | None] = ("none", None, None)
    for start, end in _task_force_items(doc):
        decision, at = _decision_in(doc, start, end, kind == "referat")
        title = doc.lines[start].text
        if re.fullmatch(r"(?:ad\s+)?(?:punkt|pkt\.?|sag(?:\s+nr\.?)?)\s*\d{1,3}[.):]?", title, re.I) and start + 1 < len(doc.lines):
            title = f"{title} {doc.lines[start + 1].text}"  # "Punkt 7" with its title on the next line
        item = doc.evidence(start, title)
        evidence = doc.evidence(at) if at is not None else None
        # a table of contents lists the item without a decision; the item itself comes later
        if best[1] is None or decision != "none":
            best = (decision, item, evidence)
    decision, item, evidence = best
    if kind == "dagsorden" and decision == "none":
        evidence = None
    return MinutesFacts(doc.filename, kind, _body(doc), _meeting_date(doc), item, decision, evidence)
