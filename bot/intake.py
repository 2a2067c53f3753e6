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
from bot.classify import message_kind
from bot.dossier import read_attachments
from bot.loops import hold_reason, own_address
from bot.mailboxes import IncomingMail, Mailbox
from bot.routing import route
from bot.replies import CHECK_NAMES, Answered, Notice, ReceivedFile, environment, record
from config.settings import Round, Settings
from parsers.message import MessageFacts, parse_message, topmost_received
from parsers.documents import ReadOptions
from parsers.reading import member_bytes, read_documents
from storage.db import first_start, make_engine, migrate
from storage.files import FileStore
from storage.models import Application, Attachment, InformationRequest, Message, Reply
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
    facts = parse_message(rt.store.get(row.sha256))  # row.received_at was settled by store_incoming
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
        found = read_documents(a.filename, a.content_type, a.data, digest, options)
        inner = member_bytes(a.filename, a.content_type, a.data) if any(r.filename != a.filename for r in found) else {}
        for reading in found:
            if reading.sha256 and reading.sha256 in seen:
                continue  # mail-parser also surfaces the attachments of a forwarded message/rfc822 part
            seen.add(reading.sha256)
            readings.append(reading)
            data = inner.get(reading.filename)  # a document inside a container is kept as a file of its own
            session.add(Attachment(message_id=row.id, filename=reading.filename, content_type=reading.content_type or a.content_type,
                                   sha256=rt.store.put(data) if data is not None else digest,
                                   size=len(data if data is not None else a.data), role=reading.role, problem=reading.problem or ""))
    routing = route(rt.settings.rounds, facts.recipients, row.received_at)
    row.round_id = routing.round.id if routing.round else None
    automatic = facts.automatic or own_address(rt.settings, facts.sender)  # RFC 3834 robots, our own mail
    if automatic:
        row.kind, row.automatic_reason, row.answered = "automatic", automatic, "not_needed"
        return None
    if routing.round is None:
        row.kind, row.answered = "unrouted", "not_needed"
        return None
    assignment = assign_application(session, routing.round, row, facts, readings, now)
    application = assignment.application
    # a supplement needs an application to supplement: an earlier question (an inquiry) is none
    row.kind = message_kind(facts, readings, not assignment.created and application.kind == "application")
    if row.kind in ("application", "supplement") and application.kind == "inquiry":
        application.kind = "application"
    row.late = late_supplement(session, routing.round, application, row, assignment.created)
    session.add(row)
    session.flush()
    return _answer(session, rt, routing.round, routing.open, application, row, facts, readings, assignment.created, now)


def _answer(session: Session, rt: Runtime, round_: Round, round_open: bool, application: Application, row: Message,
            facts: MessageFacts, readings: list, created: bool, now: dt.datetime, force: bool = False) -> Reply | None:
    """Re-assess the application after this message and record the reply it calls for."""
    if row.kind not in ("application", "supplement"):
        if application.kind == "inquiry":
            application.status = "inquiry"
        return _reply(session, rt, round_open, None, application, row, facts, now, force=force)
    if row.late == "refused":
        return _reply(session, rt, True, ("late", "late_supplement"), application, row, facts, now, files=readings, force=force)
    previous = _latest_statuses(session, application)
    dossier = load_dossier(session, rt.store, round_, application, rt.settings.trust_roots)
    assessment = assess(dossier, now)
    _record_assessment(session, application, row, assessment, now)
    changes = tuple(CHECK_NAMES[c.name] for c in assessment.checks
                    if c.status == "ok" and previous.get(c.name) not in (None, "ok", "late"))
    supplement = not created and assessment.reply != "late"
    kind_and_template = (assessment.reply, "supplement_received" if supplement else assessment.reply)
    return _reply(session, rt, round_open, kind_and_template, application, row, facts, now, assessment=assessment,
                  files=tuple(d.reading for d in dossier.documents), changes=changes, force=force)


def answer_held(session: Session, rt: Runtime, row: Message, now: dt.datetime) -> Reply | None:
    """The secretariat sends the reply the bot did not send because the mail arrived before
    `answer_from` (an imported mailbox): the reply the bot would send for it, judged over the
    application as it is now."""
    if row.answered != "before_answer_from" or row.application_id is None:
        raise ValueError("mailen venter ikke på et svar")
    application = session.get(Application, row.application_id)
    round_ = next(r for r in rt.settings.rounds if r.id == application.round_id)
    facts = parse_message(rt.store.get(row.sha256))
    first = session.exec(select(Message.id).where(Message.application_id == application.id, Message.kind != "automatic")
                         .order_by(Message.received_at, Message.id)).first()
    readings = read_attachments(facts, rt.settings.trust_roots)
    return _answer(session, rt, round_, round_.is_open_at(row.received_at), application, row, facts, readings,
                   created=first == row.id, now=now, force=True)


def late_supplement(session: Session, round_: Round, application: Application, row: Message, created: bool) -> str:
    """A mail with documents that joins an application after the round's deadline is refused, unless
    the secretariat has an open request for information to that application."""
    if created or round_.deadline is None or row.received_at <= round_.deadline or row.kind not in ("application", "supplement"):
        return ""
    requested = session.exec(select(InformationRequest).where(
        InformationRequest.application_id == application.id, InformationRequest.open == True)).first()  # noqa: E712
    return "accepted" if requested else "refused"


def _latest_statuses(session: Session, application: Application) -> dict[str, str]:
    latest = session.exec(select(AssessmentRow).where(AssessmentRow.application_id == application.id)
                          .order_by(AssessmentRow.id.desc())).first()
    return {name: check["status"] for name, check in json.loads(latest.checks_json).items()} if latest else {}


def _record_assessment(session: Session, application: Application, row: Message, assessment: Assessment, now: dt.datetime) -> None:
    if not (application.closed and assessment.status != "complete"):
        application.status = assessment.status  # a closed application keeps its final state unless now complete
    application.updated_at = now
    session.add(AssessmentRow(
        application_id=application.id, message_id=row.id, complete=assessment.complete, status=assessment.status,
        reply=assessment.reply, checks_json=json.dumps({c.name: c.to_json() for c in assessment.checks}, ensure_ascii=False),
        created_at=now,
    ))


def _reply(session: Session, rt: Runtime, round_open: bool, kind_and_template: tuple[str, str] | None,
           application: Application, row: Message, facts: MessageFacts, now: dt.datetime,
           assessment: Assessment | None = None, files=(), changes: tuple[str, ...] = (), force: bool = False) -> Reply | None:
    """Record the answer to one message, or why there is none (robots and inquiries get none; mail
    from before `answer_from` is queued for the secretariat instead, unless they `force` it)."""
    if not force and row.received_at < answer_from(session, rt, now):
        row.answered = "before_answer_from"
        return None
    if not round_open:
        kind_and_template = ("not_open", "not_open")
    if kind_and_template is None:
        row.answered = "not_needed"
        return None
    kind, template = kind_and_template
    held = hold_reason(session, rt.settings, row, application.id, now)  # loop and abuse caps
    if held:
        log.warning("reply to %s held back: %s", row.sha256, held)
        row.answered, row.automatic_reason = "held", held
        return None
    round_ = next(r for r in rt.settings.rounds if r.id == application.round_id)
    notice = Notice(
        kind=kind, template=template, dedupe_key=f"message:{row.sha256}", round=round_, reference=application.reference,
        to=facts.sender, municipality=application.municipality,
        answered=Answered(facts.message_id, facts.references, facts.sender, facts.subject, row.received_at, row.sha256),
        assessment=assessment, files=tuple(ReceivedFile(r.filename, r.role, r.problem or "") for r in files),
        changes=changes, accepted_late=row.late == "accepted",
    )
    row.answered = "auto"
    return record(session, rt.templates, notice, rt.settings.timezone, now, application.id, row.id)


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
