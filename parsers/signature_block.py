"""The director's signature block as a region: every line between the signature question and the next
section, each classified (place and date, name, title, "p.v.a." / "p.p." + name, filler), with the
pictures in it.  From those lines: who signed, in which role, and on whose behalf.

People write the block in many ways — "Slagelse, den 17. marts 2025" / "Mette Hansen" / "Direktør, Børn
og Familie" in one cell or as paragraphs, "Underskrift: Mette Kjær Hansen, direktør", "Lene M. Bak /
Direktør for Børn og Unge", "p.v.a. Mette Hansen / Lars Nielsen, afdelingschef" — so the lines are
read by what they are, not by their position under the label.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Literal

from parsers.dates import find_dates
from parsers.municipalities import find_in_text
from parsers.questions import is_instruction
from parsers.text import Line

Kind = Literal["picture", "filler", "place_date", "on_behalf", "name", "title", "other"]

ROLE = re.compile(
    r"\b(\w*direktør|\w*chef|\w*leder|borgmester|rådmand|konstitueret|fungerende|souschef|"
    r"sekretariatschef|konsulent|sagsbehandler|koordinator|formand)\b", re.I)
ROLE_FIRST = re.compile(r"^(\w*direktør|\w*chef|konstitueret direktør)\s+([A-ZÆØÅ].*)$", re.I)
AREA = re.compile(r"\b(Børn|Unge|Familie|Familier|Social|Sundhed|Voksne|Omsorg|Beskæftigelse|Kultur|Skole|Dagtilbud|Handicap|"
                  r"Psykiatri|Ældre|Velfærd|Uddannelse|Forvaltning|Område|Center|Afdeling)\w*\b")
NOT_DIRECTOR_ROLE = re.compile(r"\b(vicedirektør|\w*chef|\w*leder|konsulent|sagsbehandler|koordinator|souschef)\b", re.I)
ON_BEHALF = re.compile(r"^\s*(p\.?\s?v\.?\s?a\.?|p\.\s?p\.?|pp\.?|på vegne af|e\.\s?b\.?|efter bemyndigelse)(?=[\s:]|$)\s*:?\s*", re.I)
LABEL = re.compile(r"^(direktørens\s+|\w{6,14}ens\s+)?(underskrift|navn|dato|sted(?: og dato)?|titel|stilling|underskrevet af)\b\s*:?\s*", re.I)
FILLER = re.compile(r"^[_.\-–—\s:…x]*$", re.I)
NAME = re.compile(r"^[A-ZÆØÅ][a-zæøåéü'-]+(?:\s+(?:[A-ZÆØÅ][a-zæøåéü'-]+|[A-ZÆØÅ]\.|von|van|de|la))+$")
SMALL_WORDS = {"og", "for", "i", "på", "af", "med", "til", "den", "det", "de", "en", "et", "er", "om", "at", "ved"}
WORD_ENDINGS = ("es", "et", "ede", "ende", "lig", "ig", "ere", "ning", "hed", "tion", "isk")
PLACE_DATE = re.compile(r"^[A-ZÆØÅ][\wæøå.-]+(?:\s+[A-ZÆØÅ][\wæøå.-]+)?\s*,?\s*(?:den|d\.)?\s*\d")


@dataclass(frozen=True)
class BlockLine:
    index: int
    kind: Kind
    text: str
    names: tuple[str, ...] = ()
    title: str | None = None

    @property
    def name(self) -> str | None:
        return self.names[0] if self.names else None


def _capitalised(chunk: str) -> str:
    """A name typed, or read off a scan, partly in lower case ("susanne Jensen", "Susanne jensen"): the
    words capitalised, unless the chunk holds the small words of a phrase ("Børn og familie")."""
    words = chunk.split()
    if not 2 <= len(words) <= 4 or any(w.lower() in SMALL_WORDS for w in words) or not all(w.isalpha() for w in words):
        return chunk
    lower = [w for w in words if w.islower()]
    if len(lower) == len(words) or any(w.endswith(WORD_ENDINGS) for w in lower):
        return chunk  # "underskrives senere" is no name
    return " ".join(w[:1].upper() + w[1:] for w in words)


def names_and_title(text: str) -> tuple[tuple[str, ...], str | None]:
    """ "Mette Kjær Hansen, direktør" -> the name and the title; "p.v.a. Mette Hansen / Lars Nielsen,
    afdelingschef" -> both names and the title."""
    # a stray dot or quote from a scan ("Maja. Brandt Jørgensen", "\"Maribo") is no part of a word
    text = re.sub(r"(\w{2,})\.(?=\s+[A-ZÆØÅ])", r"\1", text).replace('"', " ")
    text = re.sub(r"(\s+[A-ZÆØÅ]{2,4}\b[^\w]*)+$", "", text)  # "Ole Nielsen HEN": a scan's specks read as capitals
    chunks = [c.strip(" ,;:()-–'»«") for c in re.split(r"\s*[,/;|]\s*|\s+[-–]\s+", text) if c.strip(" ,;:()-–'»«")]
    names: list[str] = []
    title = None
    for k, chunk in enumerate(chunks):
        role = ROLE.search(chunk)
        if role:
            before = chunk[: role.start()].strip()  # "Mette Hansen direktør": the role after the name
            after = ROLE_FIRST.match(chunk)  # "Direktør Mette Hansen": the role before it
            for bare in (before, after.group(2) if after else ""):
                if bare and NAME.match(bare) and not find_in_text(bare) and not AREA.search(bare) and len(bare.split()) <= 4:
                    names.append(bare)
            title = title or ", ".join(chunks[k:])
            continue
        candidate = _capitalised(chunk)
        if NAME.match(candidate) and not find_in_text(candidate) and len(candidate.split()) <= 5:
            names.append(candidate)
    return tuple(names), title


def classify_line(index: int, line: Line) -> BlockLine:
    if line.image:
        return BlockLine(index, "picture", line.text)
    text = line.text.strip()
    behalf = ON_BEHALF.match(text)
    if behalf:
        names, title = names_and_title(text[behalf.end():])
        return BlockLine(index, "on_behalf", text, names, title)
    rest = text
    while label := LABEL.match(rest):  # "Dato: Underskrift: …": every leading label off
        rest = rest[label.end():]
    if FILLER.match(rest) or is_instruction(text):
        return BlockLine(index, "filler", text)
    if find_dates(rest, short_years=True) or PLACE_DATE.match(rest):
        names, title = names_and_title(re.sub(r"^.*?\d{4}\s*", "", rest)) if re.search(r"\d{4}\s+\S", rest) else ((), None)
        return BlockLine(index, "place_date", text, names, title)
    names, title = names_and_title(rest)
    if names:
        return BlockLine(index, "name", text, names, title)
    if title:
        return BlockLine(index, "title", text, (), title)
    return BlockLine(index, "other", text)


@dataclass(frozen=True)
class Signer:
    """Who signed the block, as the lines say."""

    name: str | None
    title: str | None
    on_behalf: bool
    behalf_of: str | None
    picture: int | None  # index of a picture line in the block
    at: int | None  # index of the line the signer was read from
    why: str


def read_block(lines: list[tuple[int, Line]], director: str | None, same_person: Callable[[str, str], bool]) -> Signer:
    """The signer of a block of lines.  The director's own name wins over other names (a witness, the
    place line); "p.v.a." marks that someone signed on the director's behalf."""
    classified = [classify_line(i, line) for i, line in lines]
    picture = next((b.index for b in classified if b.kind == "picture"), None)
    behalf = next((b for b in classified if b.kind == "on_behalf"), None)
    named = [(b, n) for b in classified if b.kind in ("name", "on_behalf", "place_date") for n in b.names]
    title = next((b.title for b in classified if b.title), None)
    if behalf is not None:
        # "p.v.a. <the director>" and the one who signed: the name that is not the director's
        others = [(b, n) for b, n in named if not (director and same_person(n, director))]
        signer_line, who = others[0] if others else (behalf, None)
        of = director or (behalf.name if behalf.name != who else None)
        role = signer_line.title if signer_line is not behalf or not who else None
        why = f"underskrevet »{behalf.text}«" + (f" af {who}" if who else "")
        return Signer(who, role, True, of, picture, signer_line.index, why)
    own = next(((b, n) for b, n in named if director and same_person(n, director)), None)
    chosen = own or (named[0] if named else None)
    if chosen is None:
        why = "et billede i underskriftsfeltet" if picture is not None else "intet navn i underskriftsfeltet"
        return Signer(None, title, False, None, picture, picture, why)
    line, name = chosen
    return Signer(name, line.title or title, False, None, picture, line.index, f"navnet »{name}« står i underskriftsfeltet")


def signed_by_other_role(title: str | None) -> bool:
    """A title that says the signer is not the director (a department head, a consultant)."""
    return bool(title and NOT_DIRECTOR_ROLE.search(title) and not re.search(r"(?<!vice)direktør", title, re.I))
