"""One attachment read end to end: its text, what it is (form, minutes, other, unreadable) and its facts.

Containers (ZIP, a forwarded .eml or message/rfc822 part, Outlook .msg, winmail.dat) are expanded by
`read_documents` into one reading per document inside, named "<container>/<member>"; the container's
own text (a forwarded mail's body) is a reading too.  Identical bytes reached twice (mail-parser
already surfaces the attachments of a message/rfc822 part) are read once (`read_attachments`).
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Callable, Literal

from parsers.documents import ReadOptions, extract
from parsers.documents.archive import is_zip, unpack_zip
from parsers.documents.containers import Unpacked
from parsers.documents.mailparts import is_eml, is_msg, is_tnef, unpack_eml, unpack_msg, unpack_tnef
from parsers.form import FormFacts, form_score, read_form
from parsers.minutes import MinutesFacts, read_minutes
from parsers.parts import Part, split_parts
from parsers.text import DocumentText

Role = Literal["application_form", "minutes", "other", "unreadable"]
MAX_DEPTH = 3  # a ZIP in a forwarded mail in a .msg is as deep as it goes

CONTAINERS: tuple[tuple[str, Callable[[str, str, bytes], bool], Callable[[str, bytes], Unpacked]], ...] = (
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

    @property
    def problem(self) -> str | None:
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


# The service re-reads an application's earlier documents with every new mail; a scan costs seconds a
# page to OCR, so readings are remembered by content (readings are immutable; no bytes are kept).
_READ_CACHE: OrderedDict[tuple[str, str, str, ReadOptions], DocumentReading] = OrderedDict()
READ_CACHE_SIZE = 256


def forget_readings() -> None:
    """Empty the memo of readings (benchmarks measure a first read, not a memo hit)."""
    _READ_CACHE.clear()


def read_document(filename: str, content_type: str, data: bytes, sha256: str = "", options: ReadOptions = ReadOptions()) -> DocumentReading:
    """Read one document (not a container)."""
    key = (sha256 or hashlib.sha256(data).hexdigest(), filename, content_type, options)
    cached = _READ_CACHE.get(key)
    if cached is not None:
        _READ_CACHE.move_to_end(key)
        return cached if cached.sha256 == sha256 else DocumentReading(**{**cached.__dict__, "sha256": sha256})
    reading = classify(extract(filename, content_type, data, options), content_type, sha256)
    if reading.role == "unreadable":
        return reading  # may depend on what is installed (LibreOffice, Tesseract): tried again next time
    _READ_CACHE[key] = reading
    if len(_READ_CACHE) > READ_CACHE_SIZE:
        _READ_CACHE.popitem(last=False)
    return reading


def _container(filename: str, content_type: str, data: bytes) -> tuple[str, Callable[[str, bytes], Unpacked]] | None:
    kind = (content_type or "").split(";")[0].strip().lower()
    return next(((name, unpack) for name, test, unpack in CONTAINERS if test(filename, kind, data)), None)


def read_documents(filename: str, content_type: str, data: bytes, sha256: str = "",
                   options: ReadOptions = ReadOptions(), depth: int = 0) -> list[DocumentReading]:
    """Every document in one attachment: itself, or what a container holds (recursively)."""
    digest = sha256 or hashlib.sha256(data).hexdigest()
    container = _container(filename, content_type, data)
    if container is None:
        return [read_document(filename, content_type, data, digest, options)]
    fmt, unpack = container
    if depth >= MAX_DEPTH:
        return [classify(DocumentText(filename, fmt, unreadable=f"for mange lag af pakkede filer (højst {MAX_DEPTH})"), content_type, digest)]
    unpacked = unpack(filename, data)
    if unpacked.problem:
        return [classify(DocumentText(filename, fmt, unreadable=unpacked.problem), content_type, digest)]
    out: list[DocumentReading] = []
    if unpacked.body is not None and unpacked.body.lines:
        # a mail's own text is correspondence ("Hermed referatet …"), never the form or the minutes
        out.append(DocumentReading(filename, content_type, digest, "other", unpacked.body))
    for member in unpacked.members:
        name = f"{filename}/{member.filename}"
        if member.problem:
            out.append(classify(DocumentText(name, "unknown", unreadable=member.problem), member.content_type))
            continue
        out.extend(read_documents(name, member.content_type, member.data, "", options, depth + 1))
    if not out:
        return [classify(DocumentText(filename, fmt, unreadable="filen indeholder ingen dokumenter"), content_type, digest)]
    return out


def member_bytes(filename: str, content_type: str, data: bytes, depth: int = 0) -> dict[str, bytes]:
    """The bytes of every document inside an attachment, under the nested name `read_documents` gives
    its reading ("bilag.zip/referat.pdf"), so the service can keep each one as a file of its own."""
    container = _container(filename, content_type, data)
    if container is None or depth >= MAX_DEPTH:
        return {filename: data}
    unpacked = container[1](filename, data)
    if unpacked.problem:
        return {filename: data}
    out: dict[str, bytes] = {}
    for member in unpacked.members:
        if not member.problem:
            out.update(member_bytes(f"{filename}/{member.filename}", member.content_type, member.data, depth + 1))
    return out


def read_attachments(attachments: Iterable[Any], options: ReadOptions = ReadOptions()) -> list[DocumentReading]:
    """The documents of a message's attachments (anything with filename, content_type, data), each
    distinct document once."""
    out: list[DocumentReading] = []
    seen: set[str] = set()
    for attachment in attachments:
        for reading in read_documents(attachment.filename, attachment.content_type, attachment.data, "", options):
            if reading.sha256:
                if reading.sha256 in seen:
                    continue
                seen.add(reading.sha256)
            out.append(reading)
    return out
