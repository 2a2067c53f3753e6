"""The intake pipeline, top to bottom: mailbox -> stored message -> envelope -> documents read once and
stored -> decision (bot/decision.py, pure) -> reply row -> delivery.

Each message is stored (raw bytes in the file store, then its row) before anything else happens, and
processed in its own transaction: a failure marks that message `failed` with the reason and the loop
goes on (Mailman's shunt queue, in a column)."""
from __future__ import annotations

import datetime as dt
import email.policy
import json
from email.parser import BytesHeaderParser
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import time

from sqlmodel import Session, select

from bot.applications import (Reader, assign_application, dossier_messages, find_application, message_links, stored_documents,
                              unread_documents)
from bot.assessment import Assessment
from bot.decision import Incoming, Outcome, Standing, decide, opens_attachments, past_deadline, screen
from bot.loops import hold_reason, own_address
from bot.mailboxes import IncomingMail, Mailbox
from bot.replies import Answered, Notice, record
from bot.routing import route
from bot.runtime import Runtime
from config.settings import Round
from parsers.message import MessageFacts, parse_message, topmost_received
from parsers.reading import DocumentReading, expand
from storage.db import first_start
from storage.models import Application, Attachment, InformationRequest, Message, Reply
from storage.models import Assessment as AssessmentRow
from storage.readings import store_reading, stored_reading

log = logging.getLogger(__name__)


@dataclass
class RunSummary:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    processed: int = 0
    failed: int = 0
    replies_queued: int = 0
    replies_sent: int = 0
    closed: int = 0
    reminders: int = 0
    errors: list[str] = field(default_factory=list)


def store_incoming(session: Session, rt: Runtime, mail: IncomingMail, now: dt.datetime) -> tuple[Message, bool]:
    """Keep the raw bytes, then a row with the received time.  Returns the row and whether it is new;
    the same bytes seen again (a resend by the mailbox, a re-run) return the existing row."""
    digest = rt.store.put(mail.raw)
    existing = session.exec(select(Message).where(Message.sha256 == digest)).first()
    if existing is not None:
        return existing, False
    headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(mail.raw)  # the headers only: the body is parsed once, later
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
    """One stored message, top to bottom: its envelope, then (unless a robot, unrouted or a refused late
    supplement) its documents read once and stored, then the decision, then the reply row."""
    facts = parse_message(rt.store.get(row.sha256))  # row.received_at was settled by store_incoming
    with session.no_autoflush:  # nothing is written (no SQLite write lock held) while documents are read
        return _process(session, rt, row, facts, now)


def _process(session: Session, rt: Runtime, row: Message, facts: MessageFacts, now: dt.datetime) -> Reply | None:
    _envelope(row, facts)
    routing = route(rt.settings.rounds, facts.recipients, row.received_at)
    row.round_id = routing.round.id if routing.round else None
    screened = screen(facts, own_address(rt.settings, facts.sender), routing)
    if screened is not None or routing.round is None:
        _keep(session, rt, row, facts)
        row.kind, row.answered = screened.kind if screened else "unrouted", "not_needed"
        row.automatic_reason = screened.reason if screened else ""
        return None
    round_ = routing.round
    opened = _worth_reading(session, round_, row, facts)
    documents = _read(session, rt, row, facts, now) if opened else _keep(session, rt, row, facts)
    assignment = assign_application(session, round_, row, facts, list(documents) if opened else [], now,
                                    with_documents=None if opened else True)
    standing = _standing(session, assignment.application, assignment.created, row, stored_reader(session, rt, now))
    incoming = Incoming(row.received_at, documents if opened else (), facts.links, opened)
    outcome = decide(incoming, standing, round_, routing.open, answer_from(session, rt, now), now)
    return _write(session, rt, round_, assignment.application, row, outcome, now)


def _envelope(row: Message, facts: MessageFacts) -> None:
    """What the service and the web app need from the mail itself, kept so nothing parses it again."""
    row.message_id = facts.message_id
    row.in_reply_to = facts.in_reply_to or ""
    row.references = " ".join(facts.references)
    row.sender, row.subject = facts.sender, facts.subject[:500]
    row.recipients = ",".join(facts.recipients)
    row.body = facts.body
    row.links = json.dumps(list(facts.links))


def _worth_reading(session: Session, round_: Round, row: Message, facts: MessageFacts) -> bool:
    """A supplement after the deadline is refused without reading it: only its arrival counts."""
    if not facts.attachments or not past_deadline(round_, row.received_at):
        return True
    domain = facts.sender.rsplit("@", 1)[-1] if "@" in facts.sender else ""
    _, found = find_application(session, round_, facts, "", domain, with_documents=True)
    joins = found is not None and found.kind == "application"
    return opens_attachments(True, round_, row.received_at, joins, joins and _information_requested(session, found))


def _information_requested(session: Session, app: Application | None) -> bool:
    if app is None:
        return False
    return session.exec(select(InformationRequest.id).where(
        InformationRequest.application_id == app.id, InformationRequest.open == True)).first() is not None  # noqa: E712


def _keep(session: Session, rt: Runtime, row: Message, facts: MessageFacts) -> tuple[DocumentReading, ...]:
    """The attachments kept as files, not read (a robot's, an unrouted or a refused late mail)."""
    for a in facts.attachments:
        session.add(Attachment(message_id=row.id, filename=a.filename, content_type=a.content_type,
                               sha256=rt.store.put(a.data), size=len(a.data), role="unread"))
    return ()


def _read(session: Session, rt: Runtime, row: Message, facts: MessageFacts, now: dt.datetime) -> tuple[DocumentReading, ...]:
    """Every document of the message read once (containers unpacked once, each inner document kept
    as a file of its own) and its reading stored; bytes read before are not read again."""
    readings: list[DocumentReading] = []
    new: list[tuple[DocumentReading, int]] = []
    seen: set[str] = set()
    for a in facts.attachments:
        digest = rt.store.put(a.data)
        start = time.perf_counter()
        found = expand(a.filename, a.content_type, a.data, rt.options, lambda sha, _name: stored_reading(session, sha))
        read_ms = round((time.perf_counter() - start) * 1000 / max(len(found), 1))
        for item in found:
            reading = item.reading
            if reading.sha256 and reading.sha256 in seen:
                continue  # mail-parser also surfaces the attachments of a forwarded message/rfc822 part
            seen.add(reading.sha256)
            readings.append(reading)
            data = item.data if item.data is not None else a.data  # a member that could not be unpacked: its container
            session.add(Attachment(message_id=row.id, filename=reading.filename, content_type=reading.content_type or a.content_type,
                                   sha256=rt.store.put(data) if item.data is not None else digest, size=len(data),
                                   role=reading.role, problem=reading.problem or ""))
            if reading.role != "unreadable":
                new.append((reading, read_ms))
    for reading, read_ms in new:  # written once all are read
        store_reading(session, reading, read_ms, now)
    return tuple(readings)


def stored_reader(session: Session, rt: Runtime, now: dt.datetime) -> Reader:
    """Reads a stored attachment again when its reading is from an older reader version, and stores it."""
    def read(attachment: Attachment) -> DocumentReading | None:
        data = rt.store.get(attachment.sha256)
        found = expand(attachment.filename, attachment.content_type, data, rt.options)
        reading = next((f.reading for f in found if f.reading.filename == attachment.filename), None)
        if reading is not None and reading.role != "unreadable":
            store_reading(session, reading, 0, now)
        return reading
    return read


def _standing(session: Session, app: Application, created: bool, row: Message, reader: Reader | None) -> Standing:
    """The application as it stood before this message: its stored readings (one by an older reader
    version is made again by `reader`), checks and requests."""
    earlier = [] if created else dossier_messages(session, app, before=row)
    return Standing(
        created=created, kind=app.kind, closed=app.closed, information_requested=_information_requested(session, app),
        previous=_latest_statuses(session, app), earlier=stored_documents(session, earlier, reader),
        links=message_links(earlier), first_received=earlier[0].received_at if earlier else None,
    )


def _write(session: Session, rt: Runtime, round_: Round, app: Application, row: Message, outcome: Outcome,
           now: dt.datetime) -> Reply | None:
    """What the decision says, written: the message's kind, the application's state, the assessment
    row, and the reply row (unless the loop caps hold it back)."""
    row.kind, row.late = outcome.kind, outcome.late
    app.kind = outcome.application_kind
    if outcome.status is not None:
        app.status = outcome.status
    if outcome.assessment is not None:
        app.updated_at = now
        _record_assessment(session, app, row, outcome.assessment, now)
    session.add(row)
    session.flush()
    planned = outcome.notice
    if planned is None:
        row.answered = outcome.no_reply or "not_needed"
        return None
    held = hold_reason(session, rt.settings, row, app.id, now)  # loop and abuse caps
    if held:
        log.warning("reply to %s held back: %s", row.sha256, held)
        row.answered, row.automatic_reason = "held", held
        return None
    notice = Notice(
        kind=planned.kind, template=planned.template, dedupe_key=f"message:{row.sha256}", round=round_,
        reference=app.reference, to=row.sender, municipality=app.municipality,
        answered=Answered(row.message_id, tuple(row.references.split()), row.sender, row.subject, row.received_at, row.sha256),
        assessment=outcome.assessment, files=planned.files, changes=planned.changes, accepted_late=planned.accepted_late,
    )
    row.answered = "auto"
    return record(session, rt.templates, notice, rt.settings.timezone, now, app.id, row.id)


def answer_held(session: Session, rt: Runtime, row: Message, now: dt.datetime) -> Reply | None:
    """The secretariat sends the reply the bot did not send because the mail arrived before
    `answer_from` (an imported mailbox): the reply the bot would send for it, judged over the
    application as it is now, from the stored readings (nothing is parsed or read again)."""
    if row.answered != "before_answer_from" or row.application_id is None:
        raise ValueError("mailen venter ikke på et svar")
    app = session.get(Application, row.application_id)
    round_ = next(r for r in rt.settings.rounds if r.id == app.round_id)
    first = session.exec(select(Message.id).where(Message.application_id == app.id, Message.kind != "automatic")
                         .order_by(Message.received_at, Message.id)).first()
    if unread_documents(session, dossier_messages(session, app)):
        raise ValueError("ansøgningens dokumenter læses igen af en nyere version af læseren; prøv igen efter tjenestens næste kørsel")
    documents = tuple(d.reading for d in stored_documents(session, [row]))
    standing = _standing(session, app, first == row.id, row, None)  # a web request reads no document
    incoming = Incoming(row.received_at, documents, message_links([row]), row.late != "refused" or bool(documents))
    outcome = decide(incoming, standing, round_, round_.is_open_at(row.received_at), answer_from(session, rt, now), now, force=True)
    return _write(session, rt, round_, app, row, outcome, now)


def _latest_statuses(session: Session, application: Application) -> dict[str, str]:
    latest = session.exec(select(AssessmentRow).where(AssessmentRow.application_id == application.id)
                          .order_by(AssessmentRow.id.desc())).first()
    return {name: check["status"] for name, check in json.loads(latest.checks_json).items()} if latest else {}


def _record_assessment(session: Session, application: Application, row: Message, assessment: Assessment, now: dt.datetime) -> None:
    session.add(AssessmentRow(
        application_id=application.id, message_id=row.id, complete=assessment.complete, status=assessment.status,
        reply=assessment.reply, checks_json=json.dumps({c.name: c.to_json() for c in assessment.checks}, ensure_ascii=False),
        created_at=now,
    ))


def intake(rt: Runtime, mailbox: Mailbox, now: dt.datetime, summary: RunSummary,
           replied: Callable[[], None] | None = None) -> None:
    """Store and process everything the mailbox holds; move each mail out once it is safely done.
    `replied` is told each time a mail's reply row is committed (the pass sends it without waiting
    for the rest of a backlog)."""
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
        if replied is not None and reply is not None:
            replied()
