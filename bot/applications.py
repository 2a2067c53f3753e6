"""Which application a message belongs to, and the dossier of all its documents.

A later mail joins an application when its In-Reply-To / References reach it, when it names the
reference, or (failing both) when it comes from the same municipality, by the form's CVR or the sender's
domain, while the application is open."""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlmodel import Session, func, or_, select

from bot.states import AnswerState
from bot.rules import Dossier, ReceivedDocument
from config.settings import Round
from parsers.message import MessageFacts
from parsers.municipalities import by_domain
from parsers.reading import DocumentReading
from parsers.text import DocumentText
from storage.models import Application, Attachment, Message, Reply
from storage.readings import read_before, stored_reading


def _by_thread(session: Session, round_: Round, facts: MessageFacts) -> Application | None:
    ids = [i for i in (facts.in_reply_to, *facts.references) if i]
    if not ids:
        return None
    for model in (Reply, Message):
        app_id = session.exec(select(model.application_id).where(model.message_id.in_(ids), model.application_id.is_not(None))).first()
        if app_id is not None:
            app = session.get(Application, app_id)
            if app and app.round_id == round_.id:
                return app
    return None


def _by_reference(session: Session, round_: Round, facts: MessageFacts) -> Application | None:
    pattern = rf"\b{re.escape(round_.reference_prefix)}-(\d{{4}})\b"
    match = re.search(pattern, facts.subject) or re.search(pattern, facts.body)
    if not match:
        return None
    return session.exec(select(Application).where(Application.reference == match.group(0))).first()


def _by_municipality(session: Session, round_: Round, cvr: str, domain: str) -> Application | None:
    same = [test for test in (Application.cvr == cvr if cvr else None, Application.sender_domain == domain if domain else None)
            if test is not None]
    if not same:
        return None
    query = select(Application).where(Application.round_id == round_.id, Application.kind == "application",
                                      Application.closed == False, or_(*same))  # noqa: E712
    return session.exec(query.order_by(Application.id)).first()


def identify(facts: MessageFacts, readings: list[DocumentReading]) -> tuple[str, str, str]:
    """Municipality name, CVR and sender domain: the form wins over the mail domain."""
    domain = facts.sender.rsplit("@", 1)[-1] if "@" in facts.sender else ""
    form = next((r.form for r in reversed(readings) if r.form), None)
    record = form.municipality_record if form else None
    if record is None:
        record = by_domain(domain) if domain else None
    if record:
        return record.name, record.cvr, domain
    return "", (form.cvr.value if form and form.cvr else ""), domain


def _new(session: Session, round_: Round, kind: str, row: Message, now: dt.datetime) -> Application:
    last = session.exec(select(func.max(Application.sequence)).where(Application.round_id == round_.id)).one()
    sequence = (last or 0) + 1
    app = Application(reference=f"{round_.reference_prefix}-{sequence:04d}", round_id=round_.id, sequence=sequence,
                      kind=kind, received_at=row.received_at, updated_at=now)
    session.add(app)
    session.flush()
    return app


@dataclass(frozen=True)
class Assignment:
    application: Application
    created: bool
    by: str  # thread | reference | municipality | new


def find_application(session: Session, round_: Round, facts: MessageFacts, cvr: str, domain: str,
                     with_documents: bool) -> tuple[str, Application | None]:
    """The application a message joins and how it was found: its thread, the reference it names, or
    (a mail with documents only) the same municipality's open application."""
    for by, app in (("thread", _by_thread(session, round_, facts)), ("reference", _by_reference(session, round_, facts))):
        if app is not None:
            return by, app
    if with_documents:
        app = _by_municipality(session, round_, cvr, domain)
        if app is not None:
            return "municipality", app
    return "new", None


def assign_application(session: Session, round_: Round, row: Message, facts: MessageFacts,
                       readings: list[DocumentReading], now: dt.datetime, with_documents: bool | None = None) -> Assignment:
    """The application this message joins, and how it was found, or a new one."""
    name, cvr, domain = identify(facts, readings)
    documents = bool(readings) if with_documents is None else with_documents
    by, app = find_application(session, round_, facts, cvr, domain, documents)
    if app is None:
        app = _new(session, round_, "application" if documents else "inquiry", row, now)
    if name and (not app.municipality or any(r.form for r in readings)):
        app.municipality, app.cvr = name, cvr or app.cvr
    app.sender_domain = app.sender_domain or domain
    row.application_id = app.id
    session.add(app)
    return Assignment(app, by == "new", by)


Reader = Callable[[Attachment], DocumentReading | None]  # reads one stored attachment again (the service only)


def attachment_reading(session: Session, attachment: Attachment, reader: Reader | None = None) -> DocumentReading | None:
    """The stored reading of one attachment.  A document that could not be read is told by its row
    alone; one whose reading was made by an older reader version is read again by `reader` (the
    service passes one; the web app does not, and shows the document as not yet read).  The files of a
    mail that was not read (a robot's, a refused late supplement) have no reading."""
    if attachment.role == "unread":
        return None
    if attachment.role == "unreadable":
        return DocumentReading(attachment.filename, attachment.content_type, attachment.sha256, "unreadable",
                               DocumentText(attachment.filename, "", unreadable=attachment.problem or "filen kunne ikke læses"))
    reading = stored_reading(session, attachment.sha256)
    if reading is None and reader is not None:
        reading = reader(attachment)
    if reading is not None and reading.filename != attachment.filename:
        reading = replace(reading, filename=attachment.filename)  # the same bytes, sent again under another name
    return reading


def dossier_messages(session: Session, app: Application, before: Message | None = None) -> list[Message]:
    """The application's messages that count (not robots', not refused as late, not a supplement held
    because its sender failed authentication), in arrival order."""
    query = select(Message).where(Message.application_id == app.id, Message.kind != "automatic", Message.late != "refused",
                                  Message.answered != AnswerState.UNAUTHENTICATED)
    if before is not None:
        query = query.where(Message.id != before.id)
    return list(session.exec(query.order_by(Message.received_at, Message.id)).all())


def stored_documents(session: Session, messages: list[Message], reader: Reader | None = None) -> tuple[ReceivedDocument, ...]:
    """The readings of the messages' documents, in arrival order, from the `document` table."""
    if not messages:
        return ()
    by_message: dict[int, list[Attachment]] = {}
    for attachment in session.exec(select(Attachment).where(Attachment.message_id.in_([m.id for m in messages])).order_by(Attachment.id)):
        by_message.setdefault(attachment.message_id, []).append(attachment)
    out: list[ReceivedDocument] = []
    for message in messages:
        for attachment in by_message.get(message.id or 0, []):
            reading = attachment_reading(session, attachment, reader)
            if reading is not None:
                out.append(ReceivedDocument(reading, message.received_at))
    return tuple(out)


def unread_documents(session: Session, messages: list[Message]) -> list[Attachment]:
    """The messages' documents that have no reading by the current reader version yet."""
    if not messages:
        return []
    attachments = session.exec(select(Attachment).where(Attachment.message_id.in_([m.id for m in messages]),
                                                        Attachment.role.not_in(("unread", "unreadable")))).all()
    read = read_before(session, [a.sha256 for a in attachments])
    return [a for a in attachments if a.sha256 not in read]


def message_links(messages: list[Message]) -> tuple[str, ...]:
    return tuple(link for m in messages for link in json.loads(m.links or "[]"))


def load_dossier(session: Session, round_: Round, app: Application, reader: Reader | None = None) -> Dossier:
    """All documents of all the application's messages, assembled from the stored readings."""
    messages = dossier_messages(session, app)
    first = messages[0].received_at if messages else app.received_at
    return Dossier(round=round_, received_at=first, documents=stored_documents(session, messages, reader),
                   links=message_links(messages))
