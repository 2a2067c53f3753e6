"""The intake pipeline, top to bottom: mailbox -> stored message -> parsed facts -> assessment ->
reply row -> delivery.

Each message is stored (raw bytes in the file store, then its row) before anything else happens, and
processed in its own transaction: a failure marks that message `failed` with the reason and the loop
goes on (Mailman's shunt queue, in a column)."""
from __future__ import annotations

import datetime as dt
import email
import json
import email.policy
import logging
from dataclasses import dataclass, field

from jinja2 import Environment
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.applications import assign_application, load_dossier
from bot.assessment import Assessment, assess
from bot.check import received_time
from bot.classify import message_kind
from bot.mailboxes import IncomingMail, Mailbox
from bot.routing import route
from bot.replies import Answered, ReceivedFile, compose, environment
from config.settings import Settings
from parsers.message import parse_message, topmost_received
from parsers.documents import ReadOptions
from parsers.reading import read_documents
from storage.db import first_start, make_engine, migrate
from storage.files import FileStore
from storage.models import Application, Attachment, Message, Reply
from storage.models import Assessment as AssessmentRow

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """The service's edges, opened once: settings, database, file store, templates."""

    settings: Settings
    engine: Engine
    store: FileStore
    templates: Environment

    @classmethod
    def open(cls, settings: Settings) -> "Runtime":
        engine = make_engine(settings.database_url)
        migrate(engine)
        return cls(settings, engine, FileStore(settings.files), environment(settings.templates))


@dataclass
class RunSummary:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    processed: int = 0
    failed: int = 0
    replies_queued: int = 0
    replies_sent: int = 0
    errors: list[str] = field(default_factory=list)


def store_incoming(session: Session, rt: Runtime, mail: IncomingMail, now: dt.datetime) -> tuple[Message, bool]:
    """Keep the raw bytes, then a row with the received time.  Returns the row and whether it is new;
    the same bytes seen again (a resend by the mailbox, a re-run) return the existing row."""
    digest = rt.store.put(mail.raw)
    existing = session.exec(select(Message).where(Message.sha256 == digest)).first()
    if existing is not None:
        return existing, False
    headers = email.message_from_bytes(mail.raw, policy=email.policy.compat32)
    stamped = topmost_received(headers)
    when, source = mail.internal_date, "imap-internaldate"
    if when is None:
        when, source = (stamped, "received-header") if stamped else (mail.file_time, "file-mtime")
    if when is None:
        when, source = now, "stored-at"
    row = Message(sha256=digest, mailbox_key=mail.key, received_at=when, received_source=source, stored_at=now,
                  subject=str(headers.get("Subject", ""))[:500], sender=str(headers.get("From", ""))[:300])
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, True


def answer_from(session: Session, rt: Runtime, now: dt.datetime) -> dt.datetime:
    """Mail received before this is queued, never answered automatically (default: first start)."""
    return rt.settings.mailbox.answer_from or first_start(session, now)


def process_message(session: Session, rt: Runtime, row: Message, now: dt.datetime) -> Reply | None:
    """Parse, route, attach to an application, assess and queue the reply for one stored message."""
    facts = parse_message(rt.store.get(row.sha256))
    received_at, _ = received_time(facts, row.received_at if row.received_source == "imap-internaldate" else None, None)
    row.received_at = received_at or row.received_at
    row.message_id = facts.message_id
    row.in_reply_to = facts.in_reply_to or ""
    row.references = " ".join(facts.references)
    row.sender, row.subject = facts.sender, facts.subject[:500]
    row.recipients = ",".join(facts.recipients)
    readings = []
    options = ReadOptions(trust_roots=rt.settings.trust_roots)
    seen: set[str] = set()
    for a in facts.attachments:
        digest = rt.store.put(a.data)
        # a ZIP / forwarded mail / .msg / winmail.dat gives one reading per document inside
        for reading in read_documents(a.filename, a.content_type, a.data, digest, options):
            if reading.sha256 and reading.sha256 in seen:
                continue  # mail-parser also surfaces the attachments of a forwarded message/rfc822 part
            seen.add(reading.sha256)
            readings.append(reading)
            session.add(Attachment(message_id=row.id, filename=reading.filename, content_type=reading.content_type or a.content_type,
                                   sha256=digest, size=len(a.data), role=reading.role, problem=reading.problem or ""))
    routing = route(rt.settings.rounds, facts.recipients, row.received_at)
    row.round_id = routing.round.id if routing.round else None
    if facts.automatic:
        row.kind, row.automatic_reason, row.answered = "automatic", facts.automatic, "not_needed"
        return None
    if routing.round is None:
        row.kind, row.answered = "unrouted", "not_needed"
        return None
    application, reference_seen = assign_application(session, routing.round, row, facts, readings, now)
    row.kind = message_kind(facts, readings, reference_seen)
    if row.kind in ("application", "supplement") and application.kind == "inquiry":
        application.kind = "application"
    session.add(row)
    session.flush()
    assessment, everything = None, ()
    if application.kind == "application":
        dossier = load_dossier(session, rt.store, routing.round, application, rt.settings.trust_roots)
        assessment = assess(dossier, now)
        everything = tuple(d.reading for d in dossier.documents)
        _record_assessment(session, application, row, assessment, now)
    else:
        application.status = "inquiry"
    return _queue_reply(session, rt, routing, application, row, facts, readings, assessment, now, everything)


def _record_assessment(session: Session, application: Application, row: Message, assessment: Assessment, now: dt.datetime) -> None:
    application.status = assessment.status
    application.updated_at = now
    session.add(AssessmentRow(
        application_id=application.id, message_id=row.id, complete=assessment.complete, status=assessment.status,
        reply=assessment.reply, checks_json=json.dumps({c.name: c.to_json() for c in assessment.checks}, ensure_ascii=False),
        created_at=now,
    ))


def _queue_reply(session, rt, routing, application, row, facts, readings, assessment, now, dossier_readings=()) -> Reply | None:
    if row.received_at < answer_from(session, rt, now):
        row.answered = "before_answer_from"
        return None
    if not routing.open:
        kind = "not_open"
    elif row.kind not in ("application", "supplement") or assessment is None:
        row.answered = "not_needed"
        return None
    else:
        kind = assessment.reply
    existing = session.exec(select(Reply).where(Reply.answers_message_id == row.id, Reply.kind == kind)).first()
    if existing is not None:
        return existing
    answered = Answered(facts.message_id, facts.references, facts.sender, facts.subject, row.received_at, row.sha256)
    files = tuple(ReceivedFile(r.filename, r.role, r.problem or "") for r in (dossier_readings or readings))
    msg = compose(rt.templates, kind, routing.round, application.reference, answered, rt.settings.timezone, now,
                  assessment=assessment, files=files, municipality=application.municipality)
    reply = Reply(application_id=application.id, answers_message_id=row.id, kind=kind, message_id=msg["Message-ID"],
                  to=facts.sender, sender=routing.round.address, subject=str(msg["Subject"]), raw=bytes(msg), created_at=now)
    session.add(reply)
    row.answered = "auto"
    return reply


def intake(rt: Runtime, mailbox: Mailbox, now: dt.datetime, summary: RunSummary) -> None:
    """Store and process everything the mailbox holds; move each mail out once it is safely done."""
    for mail in mailbox.fetch():
        summary.fetched += 1
        with Session(rt.engine) as session:
            row, new = store_incoming(session, rt, mail, now)
            summary.stored += int(new)
            if not new and row.state == "processed":
                summary.duplicates += 1
                mailbox.done(mail.key)
                continue
            try:
                reply = process_message(session, rt, row, now)
                row.state, row.error = "processed", ""
                session.add(row)
                session.commit()
                summary.processed += 1
                summary.replies_queued += int(reply is not None)
            except Exception as exc:  # one bad mail must never stop the intake
                session.rollback()
                log.exception("message %s failed", row.sha256)
                failed = session.get(Message, row.id)
                failed.state, failed.error = "failed", f"{type(exc).__name__}: {exc}"
                session.add(failed)
                session.commit()
                summary.failed += 1
                summary.errors.append(f"{mail.key}: {failed.error}")
                continue
        mailbox.done(mail.key)
