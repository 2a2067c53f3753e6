"""Stored readings: a document's typed facts as JSON, and back.

A reading is a tree of frozen dataclasses (parsers/reading.py `DocumentReading`: the text lines with
their places, the form's fields, the signature block, the minutes' decision, all with evidence).
pydantic's TypeAdapter walks those dataclasses by their type hints, so what is stored is exactly what
the reader returned, and a field added to a reader is stored without a line here."""
from __future__ import annotations

import datetime as dt
from functools import cache

from pydantic import TypeAdapter
from sqlmodel import Session, select

from parsers.reading import READER_VERSION, DocumentReading
from storage.models import Document


@cache
def _adapter() -> TypeAdapter[DocumentReading]:
    return TypeAdapter(DocumentReading)


def dump_reading(reading: DocumentReading) -> bytes:
    return _adapter().dump_json(reading)


def load_reading(data: bytes | str) -> DocumentReading:
    return _adapter().validate_json(data)


def stored_reading(session: Session, sha256: str, version: str = READER_VERSION) -> DocumentReading | None:
    """The reading of these bytes made by this version of the readers, if there is one."""
    row = session.exec(select(Document).where(Document.sha256 == sha256, Document.reader_version == version)).first()
    return load_reading(row.reading) if row is not None else None


def newest_reading(session: Session, sha256: str) -> DocumentReading | None:
    """The newest stored reading of these bytes by any reader version: the facts kept when the file
    itself is gone (`retention apply` deletes the files, not the readings' facts).  None if there is none
    or it no longer loads into today's dataclasses."""
    row = session.exec(select(Document).where(Document.sha256 == sha256).order_by(Document.created_at.desc(), Document.reader_version.desc())).first()  # type: ignore[attr-defined]
    if row is None:
        return None
    try:
        return load_reading(row.reading)
    except ValueError:  # pydantic's ValidationError: a reading from a reader too old to load
        return None


def has_reading(session: Session, sha256: str, version: str = READER_VERSION) -> bool:
    return session.exec(select(Document.id).where(Document.sha256 == sha256, Document.reader_version == version)).first() is not None


def store_reading(session: Session, reading: DocumentReading, read_ms: int, now: dt.datetime,
                  version: str = READER_VERSION, replace: bool = False) -> Document:
    """Keep one reading, once per content and version: the first one stays, unless `replace` (a
    deliberate re-read) puts the new one in its place."""
    row = session.exec(select(Document).where(Document.sha256 == reading.sha256, Document.reader_version == version)).first()
    if row is not None and not replace:
        return row
    if row is None:
        row = Document(sha256=reading.sha256, reader_version=version, filename=reading.filename, role=reading.role, reading="",
                       created_at=now)
    row.role, row.problem, row.format = reading.role, reading.problem or "", reading.text.format
    row.parts = ", ".join(f"{role} {a}-{b}" if b > a else f"{role} {a}" for role, a, b in reading.parts)
    row.reading, row.read_ms, row.created_at = dump_reading(reading).decode(), read_ms, now
    session.add(row)
    session.flush()
    return row
