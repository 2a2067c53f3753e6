"""Which application a message belongs to, and the dossier of all its documents.

A later mail joins an application when its In-Reply-To / References reach it, when it names the
reference, or (failing both) when it comes from the same municipality, by the form's CVR or the sender's
domain, while the application is open."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlmodel import Session, func, select

from bot.dossier import read_attachments
from bot.rules import Dossier, ReceivedDocument
from config.settings import Round
from parsers.message import MessageFacts, parse_message
from parsers.municipalities import by_domain
from parsers.reading import DocumentReading
from storage.files import FileStore
from storage.models import Application, Message, Reply


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
    query = select(Application).where(Application.round_id == round_.id, Application.kind == "application", Application.closed == False)  # noqa: E712
    for app in session.exec(query.order_by(Application.id)):
        if (cvr and app.cvr == cvr) or (domain and app.sender_domain == domain):
            return app
    return None


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


def assign_application(session: Session, round_: Round, row: Message, facts: MessageFacts,
                       readings: list[DocumentReading], now: dt.datetime) -> Assignment:
    """The application this message joins, and how it was found, or a new one."""
    name, cvr, domain = identify(facts, readings)
    found: list[tuple[str, Application | None]] = [
        ("thread", _by_thread(session, round_, facts)),
        ("reference", _by_reference(session, round_, facts)),
    ]
    if readings:
        found.append(("municipality", _by_municipality(session, round_, cvr, domain)))
    by, app = next(((b, a) for b, a in found if a is not None), ("new", None))
    if app is None:
        app = _new(session, round_, "application" if readings else "inquiry", row, now)
    if name and (not app.municipality or any(r.form for r in readings)):
        app.municipality, app.cvr = name, cvr or app.cvr
    app.sender_domain = app.sender_domain or domain
    row.application_id = app.id
    session.add(app)
    return Assignment(app, by == "new", by)


def load_dossier(session: Session, store: FileStore, round_: Round, app: Application, trust_roots: tuple[bytes, ...] = ()) -> Dossier:
    """All documents of all the application's messages, re-read from the file store, in arrival order."""
    messages = session.exec(select(Message).where(
        Message.application_id == app.id, Message.kind != "automatic", Message.late != "refused",
    ).order_by(Message.received_at, Message.id)).all()
    documents: list[ReceivedDocument] = []
    facts_list: list[MessageFacts] = []
    for message in messages:
        facts = parse_message(store.get(message.sha256))
        facts_list.append(facts)
        for reading in read_attachments(facts, trust_roots):
            documents.append(ReceivedDocument(reading, message.received_at))
    first = messages[0].received_at if messages else app.received_at
    return Dossier(round=round_, received_at=first, documents=tuple(documents), messages=tuple(facts_list))
