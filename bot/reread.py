"""`taskforce-intake reread [--round R]`: read the stored documents again with the readers as they are
now, store the new readings, assess the applications again, and report what changed.

The service does this lazily (a reading made by an older `READER_VERSION` is replaced the next time its
application is assessed); this is the deliberate run after an upgrade, so the secretariat sees which
verdicts the new readers change before a municipality writes again.  No mail is sent: a re-read is not
an answer to anyone."""
from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field

from sqlmodel import Session, select

from bot.applications import load_dossier
from bot.assessment import assess
from bot.intake import read_again
from bot.runtime import Runtime
from storage.models import Application, Attachment, Message
from storage.models import Assessment as AssessmentRow
from storage.models import Document
from storage.readings import dump_reading, load_reading, newest_reading, store_reading


@dataclass(frozen=True)
class DocumentChange:
    reference: str
    filename: str
    before: str  # role (and version) before
    after: str
    facts_changed: bool


@dataclass(frozen=True)
class StatusChange:
    reference: str
    before: str
    after: str
    checks: tuple[tuple[str, str, str], ...]  # (check, before, after)


@dataclass
class RereadReport:
    documents: int = 0
    changed_documents: list[DocumentChange] = field(default_factory=list)
    applications: int = 0
    changed_applications: list[StatusChange] = field(default_factory=list)


def _latest(session: Session, sha256: str) -> Document | None:
    return session.exec(select(Document).where(Document.sha256 == sha256).order_by(Document.id.desc())).first()


def _statuses(checks_json: str) -> dict[str, str]:
    return {name: str(check.get("status", "")) for name, check in json.loads(checks_json).items()}


def reread(rt: Runtime, now: dt.datetime, round_id: str | None = None) -> RereadReport:
    """Every read document of every application (of one round) read again; applications re-assessed."""
    report = RereadReport()
    rounds = {r.id: r for r in rt.settings.rounds}
    with Session(rt.engine) as session:
        query = select(Application).where(Application.kind == "application")
        if round_id is not None:
            query = query.where(Application.round_id == round_id)
        for app in session.exec(query.order_by(Application.id)).all():
            round_ = rounds.get(app.round_id)
            if round_ is None:
                continue
            attachments = session.exec(select(Attachment).join(Message, Attachment.message_id == Message.id)
                                       .where(Message.application_id == app.id, Attachment.role != "unread")
                                       .order_by(Attachment.id)).all()
            for attachment in attachments:
                if not rt.store.path(attachment.sha256).exists():
                    continue
                before = _latest(session, attachment.sha256)
                start = time.perf_counter()
                reading = read_again(rt, attachment)
                read_ms = round((time.perf_counter() - start) * 1000)
                if reading is None:
                    continue  # a member that could not be unpacked: its row says why
                report.documents += 1
                old = load_reading(before.reading) if before is not None else None
                label = f"{before.role} (læser {before.reader_version})" if before is not None else attachment.role
                facts_changed = old is None or dump_reading(old) != dump_reading(reading)
                if reading.role != attachment.role or facts_changed:
                    report.changed_documents.append(DocumentChange(app.reference, attachment.filename, label, reading.role, facts_changed))
                attachment.role, attachment.problem = reading.role, reading.problem or ""
                session.add(attachment)
                if reading.role != "unreadable":
                    store_reading(session, reading, read_ms, now, replace=True)
            session.flush()
            report.applications += 1
            latest = session.exec(select(AssessmentRow).where(AssessmentRow.application_id == app.id).order_by(AssessmentRow.id.desc())).first()
            kept = lambda a: newest_reading(session, a.sha256)  # noqa: E731  a file retention deleted: its kept facts
            assessment = assess(load_dossier(session, round_, app, kept), now)
            before_checks = _statuses(latest.checks_json) if latest else {}
            after_checks = {c.name: c.status for c in assessment.checks}
            changed = tuple((n, before_checks.get(n, ""), s) for n, s in after_checks.items() if before_checks.get(n) != s)
            old_status = app.status
            status = app.status if (app.closed and assessment.status != "complete") else assessment.status
            if not changed and status == old_status:
                continue
            app.status = status
            app.updated_at = now
            session.add(app)
            session.add(AssessmentRow(application_id=app.id, message_id=None, complete=assessment.complete, status=assessment.status,
                                      reply=assessment.reply, created_at=now,
                                      checks_json=json.dumps({c.name: c.to_json() for c in assessment.checks}, ensure_ascii=False)))
            report.changed_applications.append(StatusChange(app.reference, old_status, app.status, changed))
        session.commit()
    return report
