"""Personal data is kept no longer than the case needs it (issue 11): `taskforce-intake retention apply`.

`[retention] after_close_days` (default 365) after a case ended, its mails' content goes:

- the raw mail (.eml) and every attachment file in the file store (and the file of a container as it was
  sent, a ZIP whose members are kept as files of their own), unless a message that is still kept refers to
  the same bytes: blobs are content-addressed, so a file sent in two rounds stays until both have gone;
- the text kept on the `message` row (`body`, replaced by a marker, and `links`);
- the text of the stored readings (`document.reading`): the document's lines and the director's phone and
  e-mail.  What the assessment rests on stays (role, pages, the form's fields, the signature block, the
  minutes' decision, each with its short evidence quote), so the record can be read and assessed again
  with the same outcome, and a later mail in the thread is still judged;
- the raw bytes of the replies sent (`reply.raw`), once they are sent or given up (a pending one waits).

Kept, as the record of the case: the rows (`message` metadata: sender, subject, times, kind, state;
`attachment` metadata: name, type, size, role, sha256; `application`, `assessment`, `decision`,
`checkoverride`, `note`, `informationrequest`, `reply` metadata, `auditevent`).

When a case ends: for a round with a deadline, when the round closed (`ServiceState closed:<round>`, the
service's closing pass), or when its last mail arrived if that was later (a late mail waits its full
time); for a rolling round, when the newest decision is `approved` or `declined` (or an inquiry was
answered); mail that reached no round, and robots' mail in a rolling round, when it arrived.  A message
that is not processed (`stored`, `failed`) is kept: the intake still needs its raw mail.

Idempotent: a second run finds nothing to do and writes no audit event.  Each run that removed something
writes one `auditevent` (action `retention`) with counts and references (message ids, references, sha256),
and one per application on its page."""
from __future__ import annotations

import datetime as dt
import getpass
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TypeVar

from sqlmodel import Session, col, select

from bot.runtime import Runtime
from bot.states import Decision as DecisionValue
from bot.states import AuditAction, MessageState, ReplyState
from config.settings import Settings
from parsers.message import parse_message
from storage.files import FileStore, sha256
from storage.models import Application, Attachment, AuditEvent, Decision, Document, InquiryAnswered, Message, Picture, Reply, ServiceState
from storage.readings import dump_reading, load_reading

log = logging.getLogger(__name__)

RETENTION_ACTION = AuditAction.RETENTION  # auditevent.action (shown as it is on the web app's audit pages)
PURGED_BODY = "(slettet: opbevaringsfristen er udløbet)"
SETTLED_REPLIES = (ReplyState.SENT, ReplyState.FAILED, ReplyState.IN_DOUBT)  # no longer waiting to be sent
CHUNK = 500  # ids or digests per IN (...) query


def actor(by: str | None) -> str:
    """Who ran a command: `--by`, else the operating system's user."""
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container with an arbitrary uid)
        return f"uid {os.getuid()}"


T = TypeVar("T")


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- removing the content of a set of messages: shared by retention and erasure (bot/subjects.py) -------


@dataclass
class Removal:
    """What one purge removed (or, in a dry run, would remove): counts and references, never content."""

    messages: list[int] = field(default_factory=list)  # message ids whose content went (text, raw mail or files)
    blobs: list[str] = field(default_factory=list)  # sha256 of the files deleted from the store
    bytes: int = 0
    shared: list[str] = field(default_factory=list)  # files kept because a message still kept refers to them
    readings: int = 0  # document readings reduced to their facts
    pictures: int = 0  # evidence pictures and viewer pages of the documents whose files went (bot/pictures.py)
    replies: list[int] = field(default_factory=list)  # reply ids whose raw bytes went
    pending_replies: list[int] = field(default_factory=list)  # not sent yet: kept until they are

    def __bool__(self) -> bool:
        return bool(self.messages or self.blobs or self.readings or self.replies)

    def counts(self) -> dict[str, int]:
        return {"messages": len(self.messages), "files": len(self.blobs), "bytes": self.bytes, "shared_files_kept": len(self.shared),
                "readings": self.readings, "pictures": self.pictures, "replies": len(self.replies),
                "pending_replies_kept": len(self.pending_replies)}


def sent_files(raw: bytes) -> set[str]:
    """The sha256 of every attachment of a raw mail as the intake stored it (`rt.store.put(a.data)`),
    containers included, which no `attachment` row names (their members have rows of their own)."""
    try:
        return {sha256(a.data) for a in parse_message(raw).attachments}
    except Exception:  # noqa: BLE001 - a mail that cannot be parsed again has no more files to find
        return set()


def still_referred(session: Session, digests: set[str], leaving: set[int]) -> set[str]:
    """The digests that a message outside `leaving` (its raw mail or one of its attachments) refers to."""
    kept: set[str] = set()
    for batch in chunks(sorted(digests)):
        kept |= {d for d, m in session.exec(select(Message.sha256, Message.id).where(col(Message.sha256).in_(batch))) if m not in leaving}
        kept |= {d for d, m in session.exec(select(Attachment.sha256, Attachment.message_id).where(col(Attachment.sha256).in_(batch)))
                 if m not in leaving}
    return kept


def reduce_reading(text: str, scrub: Callable[[str], str] | None = None) -> str | None:
    """A stored reading without the document's text and the director's phone and e-mail: the facts the
    assessment rests on, each with its evidence.  The text as it is when there is nothing left to remove
    (dumping again is not byte-stable: a set's order), None when it cannot be loaded (an older reader's shape)."""
    try:
        reading = load_reading(text)
    except ValueError:  # pydantic's ValidationError is one
        return None
    form = reading.form
    if not reading.text.lines and (form is None or (form.director_phone is None and form.director_email is None)):
        return scrub(text) if scrub else text
    form = replace(form, director_phone=None, director_email=None) if form is not None else None
    reduced = dump_reading(replace(reading, text=replace(reading.text, lines=()), form=form)).decode()
    return scrub(reduced) if scrub else reduced


@dataclass
class Purge:
    """Removes the content of `messages` (and the raw bytes of `replies`); the rows stay.  Database changes
    go into the session; the files are deleted by `delete_files` after the caller has committed, so a crash
    in between leaves files that the next run deletes, never a row that names content already gone."""

    store: FileStore
    messages: set[int]
    marker: str  # what `message.body` says instead
    scrub: Callable[[str], str] | None = None  # erasure: the address replaced in what is kept
    removal: Removal = field(default_factory=Removal)
    _files: list[str] = field(default_factory=list)

    def run(self, session: Session, replies: Iterable[Reply], dry_run: bool) -> Removal:
        own: set[str] = set()  # every file of these messages
        documents: set[str] = set()  # the attachments' files: their readings go with them
        touched: dict[int, set[str]] = {}  # message id -> its files
        rows = [m for batch in chunks(sorted(self.messages)) for m in session.exec(select(Message).where(col(Message.id).in_(batch)))]
        for message in rows:
            files = {message.sha256}
            if self.store.exists(message.sha256):
                files |= sent_files(self.store.get(message.sha256))
            touched[message.id or 0] = files
        for batch in chunks(sorted(self.messages)):
            for message_id, digest in session.exec(select(Attachment.message_id, Attachment.sha256).where(col(Attachment.message_id).in_(batch))):
                touched[message_id].add(digest)
                documents.add(digest)
        for files in touched.values():
            own |= files
        kept = still_referred(session, own, self.messages)
        present = {d for d in own if self.store.exists(d)}
        self._files = sorted(present - kept)
        self.removal.blobs = list(self._files)
        self.removal.shared = sorted(present & kept)
        self.removal.bytes = sum(self.store.path(d).stat().st_size for d in self._files)
        gone = set(self._files)
        for message in rows:
            text_left = message.body != self.marker or message.links not in (None, "[]")
            if text_left or touched[message.id or 0] & gone:
                self.removal.messages.append(message.id or 0)
                if not dry_run:
                    message.body, message.links = self.marker, "[]"
                    session.add(message)
        self.removal.readings = self._readings(session, documents - kept, dry_run)
        self.removal.pictures = self._pictures(session, documents & gone, dry_run)
        for reply in replies:
            if reply.state not in SETTLED_REPLIES:
                self.removal.pending_replies.append(reply.id or 0)
            elif reply.raw:
                self.removal.replies.append(reply.id or 0)
                if not dry_run:
                    reply.raw = b""
                    session.add(reply)
        return self.removal

    def _readings(self, session: Session, digests: set[str], dry_run: bool) -> int:
        changed = 0
        for batch in chunks(sorted(digests)):
            for row in session.exec(select(Document).where(col(Document.sha256).in_(batch))):
                reduced = reduce_reading(row.reading, self.scrub)
                if reduced == row.reading:
                    continue
                changed += 1
                if dry_run:
                    continue
                if reduced is None:
                    session.delete(row)  # a reading by an older reader that cannot be reduced: only a cache
                else:
                    row.reading = reduced
                    session.add(row)
        return changed

    def _pictures(self, session: Session, digests: set[str], dry_run: bool) -> int:
        """The pictures of documents whose files go: they show the same content (a signature, a page).
        Their images go with them unless a picture of a document kept shows the very same image."""
        rows = [p for batch in chunks(sorted(digests)) for p in session.exec(select(Picture).where(col(Picture.document_sha256).in_(batch)))]
        images = {p.image_sha256 for p in rows if p.image_sha256}
        shown = {i for batch in chunks(sorted(images)) for i, d in session.exec(select(Picture.image_sha256, Picture.document_sha256).where(
            col(Picture.image_sha256).in_(batch))) if d not in digests}
        leaving = sorted(i for i in images - shown if self.store.exists(i))
        self._files += leaving
        self.removal.blobs += leaving
        self.removal.bytes += sum(self.store.path(i).stat().st_size for i in leaving)
        if not dry_run:
            for row in rows:
                session.delete(row)
        return sum(1 for p in rows if p.image_sha256)

    def delete_files(self) -> int:
        """After the commit: the files no kept message refers to."""
        return sum(self.store.delete(digest) for digest in self._files)


# --- retention ------------------------------------------------------------------------------------------


@dataclass
class RetentionReport:
    now: dt.datetime
    after_close_days: int
    dry_run: bool
    removal: Removal
    applications: list[str] = field(default_factory=list)  # references of the applications whose content went
    rounds: dict[str, dt.datetime] = field(default_factory=dict)  # closed rounds: when
    waiting: int = 0  # processed messages whose time has not come yet
    unprocessed: int = 0  # stored or failed messages: kept, the intake still needs them

    def to_json(self) -> dict[str, object]:
        return {"now": self.now.isoformat(), "after_close_days": self.after_close_days, "dry_run": self.dry_run,
                **self.removal.counts(), "applications": self.applications, "waiting": self.waiting, "unprocessed": self.unprocessed,
                "rounds_closed": {r: when.isoformat() for r, when in sorted(self.rounds.items())}}


@dataclass(frozen=True)
class _MessageKey:
    id: int
    application_id: int | None
    round_id: str | None
    received_at: dt.datetime
    state: str


def closed_rounds(session: Session) -> dict[str, dt.datetime]:
    """When each round was closed by the service (bot/deadlines.py `close_rounds`)."""
    rows = session.exec(select(ServiceState).where(ServiceState.key.startswith("closed:"))).all()
    return {row.key.removeprefix("closed:"): dt.datetime.fromisoformat(row.value) for row in rows}


def case_ends(session: Session, settings: Settings, messages: list[_MessageKey]) -> tuple[dict[int, dt.datetime | None], dict[str, dt.datetime]]:
    """When each application's case ended (None: it has not), and when the rounds closed."""
    closed = closed_rounds(session)
    rolling = {r.id for r in settings.rounds if r.deadline is None}
    last: dict[int, dt.datetime] = {}
    for m in messages:
        if m.application_id is not None:
            last[m.application_id] = max(m.received_at, last.get(m.application_id, m.received_at))
    decided: dict[int, tuple[str, dt.datetime]] = {}
    for row in session.exec(select(Decision).order_by(col(Decision.id))):
        decided[row.application_id] = (row.decision, row.created_at)  # the newest is in force
    answered = dict(session.exec(select(InquiryAnswered.application_id, InquiryAnswered.created_at)).all())
    ends: dict[int, dt.datetime | None] = {}
    for app in session.exec(select(Application)):
        app_id = app.id or 0
        end = app.closed_at or closed.get(app.round_id)
        if end is None and app.round_id in rolling:
            newest = decided.get(app_id)
            if newest is not None and newest[0] in (DecisionValue.APPROVED, DecisionValue.DECLINED):
                end = newest[1]
            elif app_id in answered:
                end = answered[app_id]
        ends[app_id] = max(end, last[app_id]) if end is not None and app_id in last else end
    return ends, closed


def _message_end(m: _MessageKey, ends: dict[int, dt.datetime | None], closed: dict[str, dt.datetime], rolling: set[str]) -> dt.datetime | None:
    if m.application_id is not None:
        return ends.get(m.application_id)
    if m.round_id is not None and m.round_id in closed:
        return max(closed[m.round_id], m.received_at)
    if m.round_id is None or m.round_id in rolling:
        return m.received_at  # reached no round (or a robot's mail in a rolling round): its own arrival
    return None  # a robot's mail in a round still open


def apply_retention(rt: Runtime, now: dt.datetime, by: str, dry_run: bool = False) -> RetentionReport:
    """Remove the content of every case that ended `after_close_days` or more before `now`."""
    days = rt.settings.retention.after_close_days
    limit = now - dt.timedelta(days=days)
    rolling = {r.id for r in rt.settings.rounds if r.deadline is None}
    with Session(rt.engine) as session:
        messages = [_MessageKey(m.id or 0, m.application_id, m.round_id, m.received_at, m.state) for m in session.exec(select(Message))]
        ends, closed = case_ends(session, rt.settings, messages)
        report = RetentionReport(now, days, dry_run, Removal(), rounds=closed)
        due: set[int] = set()
        for m in messages:
            end = _message_end(m, ends, closed, rolling)
            if m.state != MessageState.PROCESSED:
                report.unprocessed += 1
            elif end is not None and end <= limit:
                due.add(m.id)
            else:
                report.waiting += 1
        due_apps = {app_id for app_id, end in ends.items() if end is not None and end <= limit}
        reply_ids = [i for i, app_id, answers in session.exec(select(Reply.id, Reply.application_id, Reply.answers_message_id)
                                                              .where(Reply.raw != b""))
                     if app_id in due_apps or (app_id is None and answers in due)]
        replies = [r for batch in chunks(reply_ids) for r in session.exec(select(Reply).where(col(Reply.id).in_(batch)))]
        purge = Purge(rt.store, due, PURGED_BODY)
        removal = purge.run(session, replies, dry_run)
        report.removal = removal
        affected = _by_application(session, removal)
        report.applications = sorted(affected)
        if dry_run or not removal:
            session.rollback()
            return report
        summary = {"after_close_days": days, **removal.counts(), "applications": report.applications,
                   "message_ids": removal.messages, "reply_ids": removal.replies, "sha256": removal.blobs}
        session.add(AuditEvent(actor=by, action=RETENTION_ACTION, detail=json.dumps(summary, ensure_ascii=False), created_at=now))
        for reference, (app_id, n_messages, n_replies) in affected.items():
            end = ends.get(app_id)
            when = f" efter sagens afslutning {end.astimezone(rt.settings.timezone):%d.%m.%Y}" if end else ""
            session.add(AuditEvent(application_id=app_id, actor=by, action=RETENTION_ACTION, created_at=now,
                                   detail=f"Opbevaringsfristen ({days} dage{when}) er udløbet: indholdet af {n_messages} mails "
                                          f"og {n_replies} svar er slettet; sagens registreringer er bevaret"))
        session.commit()
    removal.bytes = purge.delete_files()
    log.info("retention (%s dage): %s; ansøgninger: %s", days, json.dumps(removal.counts()), ", ".join(report.applications) or "ingen")
    return report


def _by_application(session: Session, removal: Removal) -> dict[str, tuple[int, int, int]]:
    """reference -> (application id, messages, replies) of what was removed."""
    per: dict[int, list[int]] = {}
    for batch in chunks(removal.messages):
        for message in session.exec(select(Message).where(col(Message.id).in_(batch))):
            if message.application_id is not None:
                per.setdefault(message.application_id, [0, 0])[0] += 1
    for batch in chunks(removal.replies):
        for reply in session.exec(select(Reply).where(col(Reply.id).in_(batch))):
            if reply.application_id is not None:
                per.setdefault(reply.application_id, [0, 0])[1] += 1
    out: dict[str, tuple[int, int, int]] = {}
    for batch in chunks(sorted(per)):
        for app in session.exec(select(Application).where(col(Application.id).in_(batch))):
            counts = per[app.id or 0]
            out[app.reference] = (app.id or 0, counts[0], counts[1])
    return out
