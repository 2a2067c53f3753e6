"""The evidence pictures, made by a job of their own (bot/scheduler.py; `run --once` after its pass),
never in a web request and never before a reply: the documents of processed messages that have none yet
are rendered from their stored readings (parsers/pictures.py) in a process of their own at a lower
priority than the readers (`Runtime.painters`, under the readers' time and memory limits), so a scan's
OCR for its pictures never holds up the reading of new mail; the PNGs are kept in the file store with a
`Picture` row each.

A document is done once per readers' version (a `done` row): a Word file has no pictures to make, a
PDF that makes PDFium fail is not tried again every pass.  Two workers on one database may render the
same document at once; the unique key keeps one set of rows and the other's are dropped."""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging

from pebble import ProcessExpired
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.runtime import Runtime
from parsers.documents import OcrEngine, problems
from parsers.pictures import Picture as Rendered
from parsers.pictures import PICTURED_FORMATS, document_pictures
from parsers.reading import READER_VERSION
from storage.models import Attachment, Document, Message, Picture
from storage.readings import load_reading

log = logging.getLogger(__name__)

DONE = "done"
LIMIT = 20  # documents one run renders at most (a few seconds; a scan's OCR takes longer): the rest wait for the next run


def render(reading_json: str, data: bytes, ocr: OcrEngine | None) -> list[Rendered]:
    """What a reader process runs: one document's pictures from its stored reading."""
    return document_pictures(load_reading(reading_json), data, ocr)


def waiting(session: Session, limit: int) -> list[Document]:
    """Readings (this readers' version) of documents of processed messages without their pictures,
    whose file is still kept, oldest first."""
    done = select(Picture.document_sha256).where(Picture.purpose == DONE, Picture.key == READER_VERSION)
    kept = select(Attachment.sha256).join(Message, col(Attachment.message_id) == Message.id).where(Message.state == "processed")
    return list(session.exec(select(Document).where(Document.reader_version == READER_VERSION, col(Document.sha256).in_(kept),
                                                    col(Document.sha256).not_in(done)).order_by(col(Document.id)).limit(limit)).all())


def make_pictures(rt: Runtime, now: dt.datetime, limit: int = LIMIT) -> int:
    """Render the pictures of up to `limit` documents waiting for them; returns how many documents were
    done (a Word file is done with no pictures), 0 when none waited.
    The documents are rendered one after the other in the painter process."""
    with Session(rt.engine) as session:
        documents = [(d.sha256, d.filename, d.format, d.reading) for d in waiting(session, limit)]
    started: list[tuple[str, str, concurrent.futures.Future[list[Rendered]] | None]] = []
    for sha256, filename, fmt, reading in documents:
        if fmt not in PICTURED_FORMATS or not rt.store.exists(sha256):
            started.append((sha256, filename, None))
            continue
        started.append((sha256, filename, rt.painters.run(render, reading, rt.store.get(sha256), rt.options.ocr)))
    for sha256, filename, future in started:
        pictures, problem = _result(filename, future)
        _store(rt, sha256, pictures, problem, now)
    return len(started)


def _result(filename: str, future: concurrent.futures.Future[list[Rendered]] | None) -> tuple[list[Rendered], str]:
    """The pictures, or none and why (for the row and the log; the web app shows that none were made)."""
    if future is None:
        return [], ""
    try:
        return future.result(), ""
    except concurrent.futures.TimeoutError:
        log.warning("%s: billederne blev ikke færdige inden for læsernes tidsgrænse", filename)
        return [], "tog for lang tid"
    except MemoryError:
        log.warning("%s: billederne løb tør for hukommelse", filename)
        return [], "for stor"
    except ProcessExpired as exc:
        log.warning("%s: processen, der lavede billederne, døde (%s)", filename, exc)
        return [], problems.detail_of(exc)
    except Exception as exc:  # PDFium or Pillow on a damaged file: that document gets no pictures
        log.warning("%s: billederne kunne ikke laves (%s)", filename, problems.detail_of(exc))
        return [], problems.detail_of(exc)


def _store(rt: Runtime, sha256: str, pictures: list[Rendered], problem: str, now: dt.datetime) -> None:
    """The PNGs into the file store, then the rows and the `done` row in one transaction."""
    if pictures and not rt.store.exists(sha256):  # retention or an erasure took the document while it was drawn
        pictures, problem = [], "dokumentet er slettet"
    rows = [Picture(document_sha256=sha256, purpose=p.purpose, page=p.page, key=p.key, image_sha256=rt.store.put(p.png),
                    width=p.width, height=p.height, created_at=now) for p in pictures]
    with Session(rt.engine) as session:
        have = {(r.purpose, r.page, r.key) for r in session.exec(select(Picture).where(Picture.document_sha256 == sha256)).all()}
        for row in rows:
            if (row.purpose, row.page, row.key) not in have:  # a page or a citation unchanged by a new reading
                session.add(row)
        session.add(Picture(document_sha256=sha256, purpose=DONE, key=READER_VERSION, problem=problem[:500], created_at=now))
        try:
            session.commit()
        except IntegrityError:  # another worker stored them first
            session.rollback()
