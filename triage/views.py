"""What the pages show, gathered from the database and the file store (no HTML here)."""
from __future__ import annotations

import email
import email.policy
import json
import logging
from dataclasses import dataclass, field

from sqlmodel import Session, select

from bot.applications import load_dossier
from bot.runtime import Runtime
from bot.overrides import decision_in_force, effective_checks, effective_status, overrides_in_force
from bot.queue import FailedMail, QueueItem, failed_mail, queue
from config.settings import Round
from parsers.form import FormFacts
from storage.models import (Application, Assessment, Attachment, AuditEvent, CheckOverride, Decision, InformationRequest,
                            InquiryAnswered, Message, Note, Reply)
from triage.evidence import Evidence, evidence
from triage.labels import STATUSES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueFilter:
    round_id: str
    status: str = ""
    search: str = ""


@dataclass
class QueuePage:
    round: Round
    rounds: tuple[Round, ...]
    items: list[QueueItem]
    counts: dict[str, int]
    total: int
    answered_inquiries: set[str]
    filter: QueueFilter
    failed: list[FailedMail] = field(default_factory=list)  # mail that could not be processed (any round)


def queue_page(rt: Runtime, wanted: QueueFilter) -> QueuePage:
    """One round's queue: counts per status over the whole round, the items after filter and search.
    Deadline rounds and rolling (handicap) rounds alike in arrival order: first come, first served."""
    round_ = next((r for r in rt.settings.rounds if r.id == wanted.round_id), rt.settings.rounds[0])
    with Session(rt.engine) as session:
        items = [i for i in queue(session, rt.settings) if i.round == round_.id]
        failed = failed_mail(session)
        answered = set(session.exec(select(Application.reference).join(InquiryAnswered, InquiryAnswered.application_id == Application.id)
                                    .where(Application.round_id == round_.id)).all())
    counts = {s: sum(1 for i in items if i.status == s) for s in STATUSES}
    shown = [i for i in items if not wanted.status or i.status == wanted.status]
    if wanted.search.strip():
        needle = wanted.search.strip().casefold()
        shown = [i for i in shown if needle in i.municipality.casefold() or needle in i.reference.casefold()]
    return QueuePage(round_, rt.settings.rounds, shown, counts, len(items), answered, QueueFilter(round_.id, wanted.status, wanted.search),
                     failed)


@dataclass
class MessageView:
    row: Message
    attachments: list[Attachment]
    body: str

    @property
    def sender_flags(self) -> list[str]:
        """A failed sender authentication, a From/envelope mismatch (bot/intake.py `auth_flags`)."""
        return list(json.loads(self.row.auth_flags or "[]"))


@dataclass
class ReplyView:
    row: Reply
    body: str


@dataclass
class ApplicationPage:
    app: Application
    round: Round
    status: str
    checks: dict[str, dict]
    effective: dict[str, str]
    overrides: dict[str, CheckOverride]
    override_history: list[CheckOverride]
    form: FormFacts | None
    form_problem: str
    messages: list[MessageView]
    replies: list[ReplyView]
    requests: list[InformationRequest]
    notes: list[Note]
    decision: Decision | None
    inquiry_answered: InquiryAnswered | None
    audit: list[AuditEvent] = field(default_factory=list)
    evidence: Evidence = field(default_factory=Evidence)  # the citations' pictures (triage/evidence.py)

    @property
    def applicant(self) -> Message | None:
        """The newest message from the municipality (not a robot's): where a request for information goes."""
        people = [m.row for m in self.messages if m.row.kind not in ("automatic", "unrouted") and m.row.sender]
        return people[-1] if people else None


def _reply_body(raw: bytes) -> str:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    part = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
    try:
        return part.get_content() if part is not None else ""
    except (LookupError, KeyError):
        return ""


def find_application(session: Session, reference: str) -> Application | None:
    return session.exec(select(Application).where(Application.reference == reference)).first()


def application_page(rt: Runtime, reference: str) -> ApplicationPage | None:
    with Session(rt.engine) as session:
        app = find_application(session, reference)
        if app is None:
            return None
        round_ = next((r for r in rt.settings.rounds if r.id == app.round_id), None)
        if round_ is None:
            return None
        latest = session.exec(select(Assessment).where(Assessment.application_id == app.id).order_by(Assessment.id.desc())).first()
        checks: dict[str, dict] = json.loads(latest.checks_json) if latest else {}
        overrides = overrides_in_force(session, app.id)
        history = list(session.exec(select(CheckOverride).where(CheckOverride.application_id == app.id).order_by(CheckOverride.id)).all())
        messages = []
        for row in session.exec(select(Message).where(Message.application_id == app.id).order_by(Message.received_at, Message.id)).all():
            attachments = list(session.exec(select(Attachment).where(Attachment.message_id == row.id).order_by(Attachment.id)).all())
            messages.append(MessageView(row, attachments, row.body if row.body is not None else "(mailen er ikke behandlet endnu)"))
        rows = session.exec(select(Reply).where(Reply.application_id == app.id).order_by(Reply.created_at, Reply.id)).all()
        replies = [ReplyView(r, _reply_body(r.raw)) for r in rows]
        form, problem = None, ""
        if app.kind == "application" and messages:
            dossier = load_dossier(session, round_, app)  # stored readings only: a page never reads a document
            form = dossier.form
            if form is None and any(a.role == "application_form" for m in messages for a in m.attachments):
                problem = "skemaet er læst af en ældre version af læseren og læses igen ved næste kørsel (taskforce-intake reread)"
        return ApplicationPage(
            app=app, round=round_, status=effective_status(app.status, checks, overrides), checks=checks,
            effective=effective_checks(checks, overrides), overrides=overrides, override_history=history,
            form=form, form_problem=problem, messages=messages, replies=replies,
            requests=list(session.exec(select(InformationRequest).where(InformationRequest.application_id == app.id).order_by(InformationRequest.id)).all()),
            notes=list(session.exec(select(Note).where(Note.application_id == app.id).order_by(Note.id)).all()),
            decision=decision_in_force(session, app.id),
            inquiry_answered=session.exec(select(InquiryAnswered).where(InquiryAnswered.application_id == app.id)).first(),
            audit=list(session.exec(select(AuditEvent).where(AuditEvent.application_id == app.id).order_by(AuditEvent.id)).all()),
            evidence=evidence(session, checks, [f for m in messages for f in m.attachments], rt.store.exists),
        )


def audit_log(rt: Runtime, limit: int = 500) -> list[tuple[AuditEvent, str]]:
    """The newest events first, each with the reference of its application (if any)."""
    with Session(rt.engine) as session:
        rows = session.exec(select(AuditEvent, Application.reference).join(Application, AuditEvent.application_id == Application.id, isouter=True)
                            .order_by(AuditEvent.id.desc()).limit(limit)).all()
        return [(event, reference or "") for event, reference in rows]


