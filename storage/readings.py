"""Stored readings: a document's typed facts as JSON, and back.

A reading is a tree of frozen dataclasses (parsers/reading.py `DocumentReading`: the text lines with
their places, the form's fields, the signature block, the minutes' decision, all with evidence).
pydantic's TypeAdapter walks those dataclasses by their type hints, so what is stored is exactly what
the reader returned, and a field added to a reader is stored without a line here."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache

from pydantic import TypeAdapter
from sqlmodel import Session, col, select

from parsers.reading import READER_VERSION, DocumentReading
from storage.db import insert_skipping
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


def read_before(session: Session, digests: Iterable[str], version: str = READER_VERSION) -> set[str]:
    """Which of these contents have a reading by this version of the readers (one query)."""
    wanted = set(digests)
    if not wanted:
        return set()
    return set(session.exec(select(Document.sha256).where(col(Document.sha256).in_(wanted), Document.reader_version == version)).all())


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
    for name, value in _columns(reading, read_ms, now).items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return row


def store_readings(session: Session, readings: Iterable[tuple[DocumentReading, int]], now: dt.datetime,
                   version: str = READER_VERSION) -> None:
    """Keep each of these readings (with the ms it took) that is not kept yet, in one statement: the first
    reading of a content and version stays, another worker's stored a moment ago included (ON CONFLICT
    waits for that worker's commit and then skips: no error, no savepoint).  The rows go in the order of
    their digests, so two workers writing the same new documents take their locks in one order, never
    in a deadlock."""
    rows = [{"sha256": r.sha256, "reader_version": version, "filename": r.filename, **_columns(r, ms, now)}
            for r, ms in sorted(readings, key=lambda item: item[0].sha256)]
    if rows:
        statement = insert_skipping(session, Document).on_conflict_do_nothing(index_elements=["sha256", "reader_version"])
        session.connection().execute(statement, rows)


def _columns(reading: DocumentReading, read_ms: int, now: dt.datetime) -> dict[str, object]:
    """What a `document` row says of a reading, besides its content, version and first name."""
    return {"role": reading.role, "problem": reading.problem or "", "format": reading.text.format,
            "parts": ", ".join(f"{role} {a}-{b}" if b > a else f"{role} {a}" for role, a, b in reading.parts),
            "reading": dump_reading(reading).decode(), "read_ms": read_ms, "created_at": now}
