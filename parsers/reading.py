"""One attachment read end to end: its text, what it is (form, minutes, other, unreadable) and its facts.

Containers (ZIP, a forwarded .eml or message/rfc822 part, Outlook .msg, winmail.dat) are expanded once by
`expand` into one reading per document inside, each with its own bytes, named "<container>/<member>"; the container's
own text (a forwarded mail's body) is a reading too.  Identical bytes reached twice (mail-parser
already surfaces the attachments of a message/rfc822 part) are read once (`read_attachments`).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Callable, Literal

from parsers.documents import ReadOptions, extract_text, problems
from parsers.documents.archive import is_zip, unpack_zip
from parsers.documents.limits import Limits
from parsers.documents.containers import Unpacked
from parsers.documents.mailparts import is_eml, is_msg, is_tnef, unpack_eml, unpack_msg, unpack_tnef
from parsers.form import FormFacts, form_score, read_form
from parsers.minutes import MinutesFacts, read_minutes
from parsers.parts import Part, split_parts
from parsers.text import DocumentText

Role = Literal["application_form", "minutes", "other", "unreadable"]
# The readers' version, stored with every reading (storage: the `document` table).  Raise it with any
# change that reads a document differently: the service then reads each stored document again the next
# time its application is assessed, and `taskforce-intake reread` does it for a whole round at once.
READER_VERSION = "2026.12.2"
MAX_DEPTH = 3  # a ZIP in a forwarded mail in a .msg is as deep as it goes (`Limits.depth`'s default)

CONTAINERS: tuple[tuple[str, Callable[[str, str, bytes], bool], Callable[[str, bytes, Limits], Unpacked]], ...] = (
    ("zip", is_zip, unpack_zip),
    ("tnef", is_tnef, unpack_tnef),
    ("msg", is_msg, unpack_msg),
    ("eml", is_eml, unpack_eml),
)


@dataclass(frozen=True)
class DocumentReading:
    filename: str
    content_type: str
    sha256: str
    role: Role
    text: DocumentText
    form: FormFacts | None = None
    minutes: MinutesFacts | None = None
    parts: tuple[tuple[str, int, int], ...] = ()  # (role, first page, last page) of a combined document
    # What the library said when the document could not be read (or was read only in part), for the log
    # and the secretariat's web app; `problem` is the Danish sentence the municipality is told
    detail: str = ""

    @property
    def problem(self) -> str | None:
        """Why it could not be read: one Danish sentence of a fixed set naming the file
        (parsers/documents/problems.py), never a library's words (those are in `detail`)."""
        return self.text.unreadable


def _best_minutes(found: list[MinutesFacts]) -> MinutesFacts | None:
    """Of several minutes in one document (the committee's, then the council's), the one the political
    backing rule would settle on: an approved item first, then one still to be read by a person."""
    wants: tuple[Callable[[MinutesFacts], bool], ...] = (
        lambda m: m.kind == "referat" and m.decision == "approved" and m.item is not None,
        lambda m: m.kind == "referat" and m.decision in ("approved", "none"))
    for wanted in wants:
        chosen = [m for m in found if wanted(m)]
        if chosen:
            return chosen[-1]
    return found[0] if found else None  # nothing decided: the whole document's reading, when it was made


def _from_parts(text: DocumentText, parts: tuple[Part, ...], content_type: str, sha256: str) -> DocumentReading | None:
    """A document made of several (form pages, then minutes pages, then an org chart): the form read
    from its own pages, the minutes from theirs.  None when no part is the form or minutes."""
    form_parts = [p for p in parts if p.role == "application_form"]
    found = [m for m in (read_minutes(p.text) for p in parts if p.role == "minutes") if m.is_minutes]
    if not form_parts and not found:
        return None
    if not form_parts:
        # minutes and annexes only: the whole document as one reading competes too, in case a page
        # the split took for an annex still belonged to the minutes
        whole = read_minutes(text)
        found = ([whole] if whole.is_minutes else []) + found
    form = None
    if form_parts:
        lines = tuple(line for p in form_parts for line in p.text.lines)
        form = read_form(replace(text, lines=lines))  # the pages of the form only; its signatures stay
    role: Role = "application_form" if form else "minutes"
    spans = tuple((p.role, p.first_page, p.last_page) for p in parts)
    return DocumentReading(text.filename, content_type, sha256, role, text, form=form, minutes=_best_minutes(found), parts=spans)


def classify(text: DocumentText, content_type: str = "", sha256: str = "") -> DocumentReading:
    """Minutes often mention the application, so a document whose title says referat/dagsorden is
    minutes unless it carries most of the form's landmarks too.  A document that is several documents
    (`split_parts`) is read part by part."""
    filename = text.filename
    if text.unreadable:
        return DocumentReading(filename, content_type, sha256, "unreadable", text)
    parts = split_parts(text)
    if len(parts) > 1:
        combined = _from_parts(text, parts, content_type, sha256)
        if combined is not None:
            return combined
    score = form_score(text.text)
    form = read_form(text)  # read once: which of the form's questions it asks decides with its landmarks
    if form.asks_the_forms_questions:  # whatever its title or a mention of "vedlagte referat" says
        return DocumentReading(filename, content_type, sha256, "application_form", text, form=form)
    minutes = read_minutes(text) if score < 6 else None  # with most of the form's landmarks it is the form
    if score >= 4 and not (minutes and minutes.is_minutes and score < 6):
        return DocumentReading(filename, content_type, sha256, "application_form", text, form=form)
    if minutes and minutes.is_minutes:
        return DocumentReading(filename, content_type, sha256, "minutes", text, minutes=minutes)
    return DocumentReading(filename, content_type, sha256, "other", text)


def read_document(filename: str, content_type: str, data: bytes, sha256: str = "", options: ReadOptions = ReadOptions()) -> DocumentReading:
    """Read one document (not a container)."""
    text, detail = extract_text(filename, content_type, data, options)
    reading = classify(text, content_type, sha256 or hashlib.sha256(data).hexdigest())
    return replace(reading, detail=detail) if detail else reading


def _container(filename: str, content_type: str, data: bytes) -> tuple[str, Callable[[str, bytes, Limits], Unpacked]] | None:
    kind = (content_type or "").split(";")[0].strip().lower()
    return next(((name, unpack) for name, test, unpack in CONTAINERS if test(filename, kind, data)), None)


@dataclass(frozen=True)
class Found:
    """One document of an attachment with its own bytes, so the service keeps each document inside a
    container as a file.  None: no bytes of its own -- the attachment itself (the service's reader
    processes do not send back what they were given), or a member that could not be unpacked."""

    reading: DocumentReading
    data: bytes | None


Known = Callable[[str, str], DocumentReading | None]  # (sha256, filename) -> a reading made before, or None


def _unreadable(filename: str, fmt: str, problem: str, content_type: str, sha256: str = "", detail: str = "") -> DocumentReading:
    reading = classify(DocumentText(filename, fmt, unreadable=problem), content_type, sha256)
    return replace(reading, detail=detail) if detail else reading


class _Budget:
    """The documents one attachment may still give, all its containers together (a ZIP of ZIPs)."""

    def __init__(self, documents: int, attachment: str) -> None:
        self.left, self.limit, self.attachment = documents, documents, attachment


def unreadable(filename: str, content_type: str, data: bytes, problem: str, detail: str = "") -> DocumentReading:
    """An attachment no reader finished (the service's time and memory limits), with the reason."""
    fmt = filename.rsplit(".", 1)[-1].lower() if "." in filename else "unknown"
    return _unreadable(filename, fmt, problem, content_type, hashlib.sha256(data).hexdigest(), detail)


PENDING = "pending"  # DocumentText.format of a document unpacked from a container but not read (`unpack`)


def unpack(filename: str, content_type: str, data: bytes, options: ReadOptions = ReadOptions()) -> list[Found]:
    """A container's documents with their bytes, each not read but `PENDING` (the service reads those it
    has no stored reading of); what cannot be unpacked, and a forwarded mail's own text, as `expand` has
    them."""
    return expand(filename, content_type, data, options,
                  lambda sha, name: DocumentReading(name, "", sha, "other", DocumentText(name, PENDING)))


def is_pending(reading: DocumentReading) -> bool:
    return reading.text.format == PENDING


def is_container(filename: str, content_type: str, data: bytes) -> bool:
    """A ZIP, forwarded mail, .msg or winmail.dat: `expand` unpacks it instead of reading it."""
    return _container(filename, content_type, data) is not None


def expand(filename: str, content_type: str, data: bytes, options: ReadOptions = ReadOptions(),
           known: Known | None = None, depth: int = 0) -> list[Found]:
    """Every document in one attachment, each read once: itself, or what a container holds
    (recursively), unpacked once.  `known` returns a reading made before for the same bytes (the
    service's stored readings), so a document already read is not read again.  The containers'
    nesting and the documents of the attachment, all containers together, are limited
    (`options.limits`)."""
    return _expand(filename, content_type, data, options, known, depth, _Budget(options.limits.documents, filename))


def _expand(filename: str, content_type: str, data: bytes, options: ReadOptions, known: Known | None, depth: int,
            budget: _Budget) -> list[Found]:
    digest = hashlib.sha256(data).hexdigest()
    container = _container(filename, content_type, data)
    if container is None:
        if budget.left <= 0:
            problem = problems.too_many_documents(filename, budget.attachment, budget.limit)
            return [Found(_unreadable(filename, "unknown", problem, content_type, digest, f"more than {budget.limit} documents"), data)]
        budget.left -= 1
        before = known(digest, filename) if known else None
        return [Found(before or read_document(filename, content_type, data, digest, options), data)]
    fmt, unpack = container
    limit = options.limits.depth  # MAX_DEPTH by default
    if depth >= limit:
        return [Found(_unreadable(filename, fmt, problems.too_deep(filename, limit), content_type, digest), data)]
    unpacked = unpack(filename, data, options.limits)
    if unpacked.problem:
        return [Found(_unreadable(filename, fmt, unpacked.problem, content_type, digest, unpacked.detail), data)]
    out: list[Found] = []
    if unpacked.body is not None and unpacked.body.lines:
        # a mail's own text is correspondence ("Hermed referatet …"), never the form or the minutes
        out.append(Found(DocumentReading(filename, content_type, digest, "other", unpacked.body, detail=unpacked.detail), data))
    for member in unpacked.members:
        name = f"{filename}/{member.filename}"
        if member.problem:
            out.append(Found(_unreadable(name, "unknown", member.problem, member.content_type, detail=member.detail), None))
            continue
        out.extend(_expand(name, member.content_type, member.data, options, known, depth + 1, budget))
    if not out:
        return [Found(_unreadable(filename, fmt, problems.no_documents(filename), content_type, digest), data)]
    return out


def read_documents(filename: str, content_type: str, data: bytes, options: ReadOptions = ReadOptions()) -> list[DocumentReading]:
    """Every document in one attachment (`expand` without the bytes)."""
    return [found.reading for found in expand(filename, content_type, data, options)]


def read_attachments(attachments: Iterable[Any], options: ReadOptions = ReadOptions()) -> list[DocumentReading]:
    """The documents of a message's attachments (anything with filename, content_type, data), each
    distinct document once."""
    out: list[DocumentReading] = []
    seen: set[str] = set()
    for attachment in attachments:
        for reading in read_documents(attachment.filename, attachment.content_type, attachment.data, options):
            if reading.sha256:
                if reading.sha256 in seen:
                    continue
                seen.add(reading.sha256)
            out.append(reading)
    return out
