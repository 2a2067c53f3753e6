"""The intake pipeline, top to bottom: mailbox -> stored message -> envelope -> documents read once and
stored -> decision (bot/decision.py, pure) -> reply row -> delivery.

Each message is stored (raw bytes in the file store, then its row) before anything else happens, and
processed in its own transaction: a failure marks that message `failed` with the reason, it is tried
again later from the stored copy (bot/quarantine.py) and the loop goes on (Mailman's shunt queue, in a
column).  Documents are read in reader processes (bot/readers.py), a few mails ahead of the decision."""
from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import email.policy
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser

from pebble import ProcessExpired
from sqlmodel import Session, select

from bot import claims
from bot import events
from bot.applications import (Reader, assign_application, dossier_messages, find_application, message_links, stored_documents,
                              unread_documents)
from bot.assessment import Assessment
from bot.decision import Incoming, Outcome, Standing, decide, opens_attachments, past_deadline, screen
from bot.loops import hold_reason, own_address
from bot.mailboxes import IncomingMail, Mailbox
from bot.outbox import RetryPolicy
from bot.readers import MEGABYTE, Read, Reading
from bot.replies import Answered, Notice, record
from bot.routing import route
from bot.states import HELD_FOR_SECRETARIAT, SETTLED, AnswerState, MessageState
from bot.runtime import Runtime
from config.settings import LimitSettings, Round
from parsers.message import Attachment as MailAttachment
from parsers.message import MessageFacts, header_text, parse_message, topmost_received
from parsers.authentication import SenderAuthentication, read_authentication
from parsers.municipalities import by_domain
from parsers.documents import problems
from parsers.reading import DocumentReading, Found, is_container, is_pending, unreadable
from storage.db import first_start
from storage.files import sha256
from storage.models import Application, Attachment, InformationRequest, Message, Reply
from storage.models import Assessment as AssessmentRow
from storage.readings import newest_reading, read_before, store_readings, stored_reading

log = logging.getLogger(__name__)


@dataclass
class RunSummary:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    processed: int = 0
    failed: int = 0
    retried: int = 0  # failed before, tried again from the stored copy (bot/quarantine.py)
    elsewhere: int = 0  # in hand of another worker (bot/claims.py): left to it, not moved by this one
    replies_queued: int = 0
    replies_sent: int = 0
    closed: int = 0
    reminders: int = 0
    errors: list[str] = field(default_factory=list)


def store_incoming(session: Session, rt: Runtime, mail: IncomingMail, now: dt.datetime) -> tuple[Message, bool]:
    """Keep the raw bytes, then a row with the received time.  Returns the row and whether it is new;
    the same bytes seen again (a resend by the mailbox, a re-run, another worker storing them at the
    same moment: `claims.insert_new`) return the existing row."""
    digest = sha256(mail.raw)
    existing = session.exec(select(Message).where(Message.sha256 == digest)).first()
    if existing is not None and existing.state == MessageState.ERASED:
        return existing, False  # erased for its sender: its bytes are not stored again
    rt.store.put(mail.raw)
    if existing is not None:
        return existing, False
    headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(header_block(mail.raw))  # the body is parsed once, later
    stamped = topmost_received(headers)
    when, source = mail.internal_date, "imap-internaldate"
    if when is None:
        when, source = (stamped, "received-header") if stamped else (mail.file_time, "file-mtime")
    if when is None:
        when, source = now, "stored-at"
    authenticity = read_authentication(headers, rt.settings.mailbox.trusted_authserv_id)
    row = Message(sha256=digest, mailbox_key=mail.key, received_at=when, received_source=source, stored_at=now,
                  auth_verdict=authenticity.verdict, auth_flags=json.dumps(auth_flags(authenticity), ensure_ascii=False),
                  subject=header_text(headers, "Subject")[:500], sender=header_text(headers, "From")[:300],
                  message_id=header_text(headers, "Message-ID")[:500])  # findable before it is processed
    inserted = claims.insert_new(session, row)
    if inserted is None:  # another worker stored the same bytes a moment ago
        return session.exec(select(Message).where(Message.sha256 == digest)).one(), False
    return inserted, True


def header_block(raw: bytes) -> bytes:
    """The mail up to its first empty line: the stdlib's header parser would otherwise read the whole
    body line by line only to skip it (a third of a backlog mail's own time)."""
    ends = [i for i in (raw.find(b"\n\n"), raw.find(b"\r\n\r\n")) if i >= 0]
    return raw[: min(ends) + 2] if ends else raw


def auth_flags(authenticity: SenderAuthentication) -> list[str]:
    """What the secretariat is shown about the sender: a failed authentication with its reasons, and a
    From whose municipality domain differs from the envelope sender's."""
    flags = [f"Afsenderens ægthed kunne ikke godkendes: {'; '.join(authenticity.reasons)}"] if authenticity.verdict == "fail" else []
    if authenticity.mismatch is not None:
        flags.append(authenticity.mismatch.reason)
    return flags


def answer_from(session: Session, rt: Runtime, now: dt.datetime) -> dt.datetime:
    """Mail received before this is queued, never answered automatically (default: first start)."""
    return rt.settings.mailbox.answer_from or first_start(session, now)


Started = dict[str, Reading]  # attachment sha256 -> its documents being read (the lookahead)


def process_message(session: Session, rt: Runtime, row: Message, now: dt.datetime, facts: MessageFacts,
                    started: Started | None = None) -> Reply | None:
    """One stored message, top to bottom: its envelope, then (unless a robot, unrouted or a refused late
    supplement) its documents read once and stored, then the decision, then the reply row.  `facts` is
    the mail parsed in a reader process (the lookahead's, `intake`, or `stored_facts` for a retry),
    `started` the lookahead's documents already being read."""
    with session.no_autoflush:  # nothing is written (no SQLite write lock held) while documents are read
        return _process(session, rt, row, facts, now, started or {})


def _process(session: Session, rt: Runtime, row: Message, facts: MessageFacts, now: dt.datetime,
             started: Started) -> Reply | None:
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
    documents = _read(session, rt, row, facts, now, started) if opened else _keep(session, rt, row, facts)
    claims.decide_alone(session, round_.id)  # one decision per round at a time across workers, till the commit
    assignment = assign_application(session, round_, row, facts, list(documents) if opened else [], now,
                                    with_documents=None if opened else True)
    standing = _standing(session, assignment.application, assignment.created, row, stored_reader(session, rt, now))
    incoming = Incoming(row.received_at, documents if opened else (), facts.links, opened, by_domain(facts.sender) is not None,
                        spoofed=row.auth_verdict == "fail")
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


def _read(session: Session, rt: Runtime, row: Message, facts: MessageFacts, now: dt.datetime,
          started: Started) -> tuple[DocumentReading, ...]:
    """Every document of the message read once, in the reader processes (containers unpacked once, each
    inner document kept as a file of its own), and its reading stored; bytes read before are not read
    again, and an attachment over the size limits is not read at all."""
    readings: list[DocumentReading] = []
    new: list[tuple[DocumentReading, int]] = []
    seen: set[str] = set()
    for a, too_large in zip(facts.attachments, oversized(rt.settings.limits, facts.attachments)):
        digest = rt.store.put(a.data)
        read = _documents(session, rt, a, digest, started, too_large)
        for item in read.found:
            reading = item.reading
            if reading.sha256 and reading.sha256 in seen:
                continue  # mail-parser also surfaces the attachments of a forwarded message/rfc822 part
            seen.add(reading.sha256)
            readings.append(reading)
            data = item.data if item.data is not None else a.data  # the attachment itself, or the container of a lost member
            session.add(Attachment(message_id=row.id, filename=reading.filename, content_type=reading.content_type or a.content_type,
                                   sha256=rt.store.put(item.data) if item.data is not None else digest, size=len(data),
                                   role=reading.role, problem=reading.problem or "", problem_detail=reading.detail or None))
            if reading.role != "unreadable" and reading.sha256 not in read.stored:
                new.append((reading, read.ms))
    store_readings(session, new, now)  # once all are read; the same document read by another worker at once is kept once
    return tuple(readings)


def _documents(session: Session, rt: Runtime, a: MailAttachment, digest: str, started: Started, too_large: str | None) -> Read:
    """One attachment's documents: too large to read, being read already (the lookahead), read before
    (a stored reading of the same bytes), or read now."""
    if too_large:
        return Read([Found(unreadable(a.filename, a.content_type, a.data, too_large), None)], 0)
    container = is_container(a.filename, a.content_type, a.data)
    if digest in started:
        read = started.pop(digest).result()
    elif container:
        read = rt.readers.read(a.filename, a.content_type, a.data, unpack_only=True, keep=rt.store).result()
    else:
        before = stored_reading(session, digest)
        if before is not None:  # the same bytes sent before, maybe under another name: this one's
            return Read([Found(dataclasses.replace(before, filename=a.filename), None)], 0, frozenset({digest}))
        return rt.readers.read(a.filename, a.content_type, a.data, keep=rt.store).result()
    return _unpacked(session, rt, read) if container else read


def _unpacked(session: Session, rt: Runtime, unpacked: Read) -> Read:
    """A container's documents: each one read before from its stored reading, the others read now (all
    at once in the reader processes)."""
    waiting: dict[int, Reading] = {}
    found = list(unpacked.found)
    stored: set[str] = set()
    for index, item in enumerate(found):
        if item.data is None or not is_pending(item.reading):
            continue
        before = stored_reading(session, item.reading.sha256)
        if before is not None:
            found[index] = Found(dataclasses.replace(before, filename=item.reading.filename), item.data)
            stored.add(item.reading.sha256)
        else:
            waiting[index] = rt.readers.read(item.reading.filename, "", item.data, keep=rt.store)
    ms = unpacked.ms
    for index, reading in waiting.items():
        read = reading.result()
        if read.found:  # one document: the member's reading, with the member's bytes (the reader sent none back)
            found[index] = Found(read.found[0].reading, found[index].data)
        ms = max(ms, read.ms)
    return Read(found, ms, frozenset(stored))


def oversized(limits: LimitSettings, attachments: Sequence[MailAttachment]) -> list[str | None]:
    """For each attachment, in order, the Danish reason not to read it, or None: each one over
    `attachment_mb`, and all of them when together they are over `message_mb` (the sender is asked to
    split them)."""
    each_limit, mail_limit = limits.attachment_mb * MEGABYTE, limits.message_mb * MEGABYTE
    total = sum(len(a.data) for a in attachments if len(a.data) <= each_limit)  # one video over the limit does not leave the form unread
    return [problems.too_large(a.filename, len(a.data), each_limit) if len(a.data) > each_limit
            else problems.mail_too_large(a.filename, total, mail_limit) if total > mail_limit else None for a in attachments]


def start_reading(session: Session, rt: Runtime, facts: MessageFacts, received_at: dt.datetime, started: Started) -> None:
    """The lookahead: a mail that will be read (routed to a round, no robot, not after the deadline)
    has its attachments handed to the reader processes now, while the mails before it are decided."""
    routing = route(rt.settings.rounds, facts.recipients, received_at)
    if routing.round is None or past_deadline(routing.round, received_at):
        return
    if screen(facts, own_address(rt.settings, facts.sender), routing) is not None:
        return
    digests = [sha256(a.data) for a in facts.attachments]
    before = read_before(session, digests)  # one query for the mail's attachments
    for a, digest, too_large in zip(facts.attachments, digests, oversized(rt.settings.limits, facts.attachments)):
        if too_large or digest in started:
            continue
        container = is_container(a.filename, a.content_type, a.data)
        if not container and digest in before:
            continue
        started[digest] = rt.readers.read(a.filename, a.content_type, a.data, unpack_only=container,
                                          keep=rt.store)  # a container: unpacked only


def read_again(rt: Runtime, attachment: Attachment) -> DocumentReading | None:
    """A stored attachment's file read again in a reader process (None: a member that cannot be unpacked)."""
    found = rt.readers.read(attachment.filename, attachment.content_type, rt.store.get(attachment.sha256)).result().found
    return next((f.reading for f in found if f.reading.filename == attachment.filename), None)


def stored_reader(session: Session, rt: Runtime, now: dt.datetime) -> Reader:
    """Reads a stored attachment again when its reading is from an older reader version, and stores it
    (a file that retention deleted keeps its newest reading)."""
    def read(attachment: Attachment) -> DocumentReading | None:
        if not rt.store.exists(attachment.sha256):  # deleted by `retention apply`: its kept facts
            return newest_reading(session, attachment.sha256)
        reading = read_again(rt, attachment)
        if reading is not None and reading.role != "unreadable":
            store_readings(session, [(reading, 0)], now)
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
    if outcome.no_reply == AnswerState.UNAUTHENTICATED:
        row.automatic_reason = "; ".join(json.loads(row.auth_flags or "[]"))[:2000]
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
    """The secretariat sends the reply the bot held back (`HELD_FOR_SECRETARIAT`: the mail arrived before
    `answer_from`, came from an unknown sender, or is a supplement whose sender failed authentication,
    which is merged into the application by this): the reply the bot would send for it, judged over the
    application as it is now, from the stored readings (nothing is parsed or read again)."""
    if row.answered not in HELD_FOR_SECRETARIAT or row.application_id is None:
        raise ValueError("mailen venter ikke på et svar")
    claims.decide_alone(session, row.round_id or "")
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


@dataclass
class Arrival:
    """A mail stored, being parsed in a reader process, then (when it will be read) its documents handed
    to them: what the lookahead keeps for the mails after the one being decided."""

    mail: IncomingMail
    row_id: int
    processed: bool  # stored and processed before (the mailbox offered it again)
    received_at: dt.datetime
    facts: MessageFacts | None = None
    started: Started = field(default_factory=dict)
    failure: Exception | None = None  # parsing it failed: the message is marked failed in its turn
    parsing: concurrent.futures.Future[MessageFacts] | None = None  # parse_message in a reader process


# A mail up to this size is parsed in a reader process (its facts, attachments included, come back as
# one pickle: a quarter of a millisecond for a backlog mail); a larger one here, so two copies of a
# mail of 50 MB never sit in two processes.
PARSED_AHEAD_BYTES = 10 * MEGABYTE


def _arrive(rt: Runtime, mail: IncomingMail, now: dt.datetime, summary: RunSummary) -> Arrival:
    with Session(rt.engine) as session:
        row, new = store_incoming(session, rt, mail, now)  # the raw mail is kept before anything else
        arrival = Arrival(mail, row.id, not new and row.state in SETTLED, row.received_at)
    summary.stored += int(new)
    if not arrival.processed and len(mail.raw) <= PARSED_AHEAD_BYTES:
        try:
            arrival.parsing = rt.readers.parse(mail.raw)
        except Exception:  # the reader processes could not be started: parsed here, in its turn
            log.warning("%s: the reader processes could not take the mail; it is parsed in the service", mail.key, exc_info=True)
    return arrival


def _open(rt: Runtime, arrival: Arrival) -> None:
    """The mail's facts (from its reader process, or parsed here when it could not be parsed there),
    and its documents handed to the reader processes (`start_reading`)."""
    if arrival.processed or arrival.facts is not None or arrival.failure is not None:
        return
    try:
        arrival.facts = _parsed(arrival)
        with Session(rt.engine) as session:
            start_reading(session, rt, arrival.facts, arrival.received_at, arrival.started)
    except Exception as exc:  # the message's own turn records it as failed
        arrival.failure = exc


def _parsed(arrival: Arrival) -> MessageFacts:
    return _limited(arrival.parsing, arrival.mail.raw, arrival.mail.key)


def _limited(parsing: concurrent.futures.Future[MessageFacts] | None, raw: bytes, name: str) -> MessageFacts:
    """A mail that took its reader process over the time or memory limit, or killed it, is not parsed
    again here without those limits: that is the mail's failure (kept, tried again later, quarantined
    at last).  Any other trouble of the reader processes (a broken pool, a pickling error) is theirs:
    the mail is parsed here (as a mail over `PARSED_AHEAD_BYTES` is)."""
    if parsing is not None:
        try:
            return parsing.result()
        except (concurrent.futures.TimeoutError, ProcessExpired, MemoryError) as exc:
            raise MailTooHard(f"mailen stoppede læserprocessen (over tids- eller hukommelsesgrænsen): {type(exc).__name__}: {exc}") from exc
        except Exception:
            log.warning("%s: parsed in the service, not in a reader process", name, exc_info=True)
    return parse_message(raw)


def stored_facts(rt: Runtime, sha256: str) -> MessageFacts:
    """A stored mail tried again (bot/quarantine.py, `retry`): parsed from its file in a reader process,
    under the same limits as in its first pass, so a mail that stopped its reader then never runs
    without them in the service."""
    raw = rt.store.get(sha256)
    parsing = None
    if len(raw) <= PARSED_AHEAD_BYTES:
        try:
            parsing = rt.readers.parse(raw)
        except Exception:  # the reader processes could not be started: parsed here
            log.warning("%s: the reader processes could not take the mail; it is parsed in the service", sha256[:12], exc_info=True)
    return _limited(parsing, raw, sha256[:12])


class MailTooHard(Exception):
    """Parsing the mail went over a reader process's limits (bot/readers.py)."""


def lookahead(limits: LimitSettings) -> int:
    """How many mails are stored and started ahead of the one being decided (two per reader process);
    also how many a worker claims from a shared mailbox at once (bot/claims.py)."""
    return 2 * limits.processes


def arrivals(rt: Runtime, mails: Iterable[IncomingMail], now: dt.datetime, summary: RunSummary) -> Iterator[Arrival]:
    """The mailbox's mails in order, each stored and parsed, and its documents started, a few mails
    before it is decided (two per reader process), so the reader processes work while the service
    decides: a mail's parse goes to them when it is stored, its documents as soon as the parse is back.
    The mails held ahead are also bounded by size (two of the largest mail `[limits] message_mb`
    allows), so a run of large mails is not all held in memory at once."""
    window: deque[Arrival] = deque()
    ahead, most = lookahead(rt.settings.limits), 2 * rt.settings.limits.message_mb * MEGABYTE
    held = 0
    for mail in mails:
        summary.fetched += 1
        window.append(_arrive(rt, mail, now, summary))
        held += len(mail.raw)
        for waiting in window:  # the parses that are back: their documents go to the readers now
            if waiting.parsing is None or waiting.parsing.done():
                _open(rt, waiting)
        while len(window) > ahead or (len(window) > 1 and held > most):
            done = window.popleft()
            held -= len(done.mail.raw)
            _open(rt, done)
            yield done
    while window:
        done = window.popleft()
        _open(rt, done)
        yield done


def intake(rt: Runtime, mailbox: Mailbox, now: dt.datetime, summary: RunSummary,
           replied: Callable[[], None] | None = None, settled: Callable[[], None] | None = None) -> None:
    """Store and process everything the mailbox holds; move each mail out once it is stored and
    settled (processed, or failed and kept for a retry from the stored copy: it never blocks the mail
    after it).  `replied` is told each time a mail's reply row is committed (the pass sends it without
    waiting for the rest of a backlog), `settled` each time a mail is done with, answered or not.  A
    mail another worker has in hand is left in the mailbox for that worker to move: if it dies, the
    mail is still there for the next pass."""
    for arrival in arrivals(rt, mailbox.fetch(), now, summary):
        if arrival.processed:
            summary.duplicates += 1
        else:
            elsewhere = summary.elsewhere
            reply = settle(rt, arrival.row_id, now, summary, arrival.facts, arrival.started, arrival.failure)
            if summary.elsewhere > elsewhere:
                continue
        mailbox.done(arrival.mail.key)
        if not arrival.processed and replied is not None and reply is not None:
            replied()
        if settled is not None:
            settled()
    mailbox.flush()  # the last mails (held in the lookahead after the mailbox's own fetch ended) moved out too


def settle(rt: Runtime, row_id: int, now: dt.datetime, summary: RunSummary, facts: MessageFacts | None = None,
           started: Started | None = None, failure: Exception | None = None, due: dt.datetime | None = None) -> Reply | None:
    """One stored message processed in its own transaction, which holds the row (`claims.take_message`):
    a row another worker holds is skipped and left to it (`summary.elsewhere`), its documents started
    ahead are cancelled; with `due` (bot/quarantine.py) also a failed one that is no longer due (another
    worker has just tried it again).  An unexpected failure (Mailman's shunt) rolls it back and records the error,
    the attempt and when to try again, so the loop goes on."""
    began = time.perf_counter()
    _finished(started)
    with Session(rt.engine) as session:
        row = claims.take_message(session, row_id, due)
        if row is None and session.get(Message, row_id) is not None:  # another worker is processing it
            summary.elsewhere += 1
            _cancel(started)
            return None
        if row is None or row.state in SETTLED:  # the same bytes twice in one pass: done by the first
            summary.duplicates += 1
            _cancel(started)
            events.message_settled(rt.engine, row_id, "duplicate", began)
            return None
        sha256 = row.sha256
        try:
            if failure is not None:
                raise failure
            if facts is None:  # tried again from its stored copy
                facts = stored_facts(rt, sha256)
            reply = process_message(session, rt, row, now, facts, started)
            row.state, row.error, row.next_attempt_at = "processed", "", None
            session.add(row)
            settled = events.facts_in_hand(session, row)  # before the commit expires the row
            session.commit()
        except Exception as exc:  # one bad mail must never stop the intake
            session.rollback()
            log.exception("message %s failed", sha256)
            _cancel(started)  # its documents started ahead no longer hold a reader process
            try:
                failed = record_failure(session, rt, row_id, exc, now)
            except Exception:  # the database itself is gone: the next pass finds the mail stored, not processed
                log.exception("message %s: the failure could not be recorded", sha256)
                summary.failed += 1
                return None
            summary.failed += 1
            summary.errors.append(f"{failed.mailbox_key or failed.sha256[:12]}: {failed.error}")
            events.message_settled(rt.engine, row_id, "failed", began)
            return None
    events.message_settled(rt.engine, row_id, "processed", began, settled)
    summary.processed += 1
    summary.replies_queued += int(reply is not None)
    return reply


def _finished(started: Started | None) -> None:
    """Waits for the documents the lookahead started before the row and its locks are taken, so a long
    read (a scan's OCR) never holds the transaction open -- nor, on PostgreSQL, the other workers'
    deadline jobs waiting for "no mail in hand" (bot/claims.py).  Only a container's members and a
    re-read after a reader upgrade are still read inside it."""
    if started:
        concurrent.futures.wait([reading.future for reading in started.values()])


def _cancel(started: Started | None) -> None:
    for reading in (started or {}).values():
        reading.cancel()


def record_failure(session: Session, rt: Runtime, row_id: int, exc: Exception, now: dt.datetime) -> Message:
    """The error kept on the message; tried again with backoff (the outbox's policy, with the mailbox's
    `failed_*` settings), quarantined after the last attempt.  The row is locked again first: after the
    rollback another worker may have taken it, and what it settled is kept."""
    settings = rt.settings.mailbox
    row = claims.lock_message(session, row_id)
    if row is not None and row.state in SETTLED:
        session.rollback()
        return row
    row.attempts = (row.attempts or 0) + 1
    row.error = f"{type(exc).__name__}: {exc}"[:2000]
    if row.attempts >= settings.failed_attempts:
        row.state, row.next_attempt_at = MessageState.QUARANTINED, None
    else:
        policy = RetryPolicy(dt.timedelta(seconds=settings.failed_retry_seconds), dt.timedelta(seconds=settings.failed_retry_max_seconds))
        row.state, row.next_attempt_at = MessageState.FAILED, policy.next_attempt(row.attempts, now)
    session.add(row)
    session.commit()
    session.refresh(row)
    return row
