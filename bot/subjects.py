"""One person's data, found by their mail address (GDPR art. 15 and 17):
`taskforce-intake subject export ADDRESS [--out FILE]` and `taskforce-intake subject erase ADDRESS [--yes]`.

What is "about" an address (compared without regard to case, on the bare address of a From header):
- the mails they sent (`message.sender`): the row, the raw mail, every attachment file and its stored reading;
- the replies sent to them (`reply.to`): the row and the mail as sent;
- the applications they wrote in or were answered in, each with its assessments, the steering group's
  decisions, the secretariat's overrides and notes, and the requests for information;
- every note, override, decision comment, request, assessment and audit event elsewhere whose text names
  the address;
- other senders' mails that name the address (as a recipient or in the text) are listed by id and date
  only: they are someone else's correspondence, for the secretariat to judge (art. 15(4)).

Erasure keeps the record of the municipality's application and of the agency's decisions (the agency's
duty to document a decision: the rows stay) and removes the person from it: their mails' raw bytes,
files, text and subject, the replies' bytes and subject, the reading's text (bot/retention.py `Purge`,
a file another sender also sent stays), and the address itself, replaced everywhere by a pseudonym
(`slettet-<16 hex>@pseudonym.invalid`, an HMAC of the address under a key kept in the database: the same
address always gives the same pseudonym, so a second request is recognised, and the address cannot be
read back).  A reply to them not sent yet is cancelled.  Other senders' mails are not changed."""
from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
import io
import json
import logging
import re
import secrets
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from bot.retention import Purge, Removal, chunks
from bot.runtime import Runtime
from bot.states import AuditAction, MessageState, ReplyState
from storage.models import (Application, Assessment, Attachment, AuditEvent, CheckOverride, Decision, Document, InformationRequest, Message,
                            Note, Reply, ServiceState)

EXPORT_ACTION = AuditAction.SUBJECT_EXPORT  # auditevent.action
ERASE_ACTION = AuditAction.SUBJECT_ERASE
ERASED_BODY = "(slettet efter anmodning fra afsenderen)"
CANCELLED = "annulleret: modtageren er slettet efter anmodning (GDPR art. 17)"
UNPROCESSABLE = MessageState.ERASED  # message.state of an erased mail that was never processed: never processed again
PSEUDONYM_KEY = "pseudonym_key"  # ServiceState: the HMAC key of the pseudonyms
log = logging.getLogger(__name__)
Row = TypeVar("Row", bound=SQLModel)


class AddressError(ValueError):
    pass


def normalise(address: str) -> str:
    """`Mette Hansen <MeHa@Slagelse.dk>` -> `meha@slagelse.dk`."""
    bare = email.utils.parseaddr(address)[1] or address
    bare = bare.strip().lower()
    if bare.count("@") != 1 or bare.startswith("@") or bare.endswith("@") or any(c.isspace() for c in bare):
        raise AddressError(f"{address!r} er ikke en mailadresse")
    return bare


def _key(session: Session, create: bool) -> bytes | None:
    row = session.get(ServiceState, PSEUDONYM_KEY)
    if row is None and create:
        row = ServiceState(key=PSEUDONYM_KEY, value=secrets.token_hex(32))
        session.add(row)
        session.flush()
    return bytes.fromhex(row.value) if row is not None else None


def pseudonym_with(key: bytes, address: str) -> str:
    return f"slettet-{hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:16]}@pseudonym.invalid"


def _contains(column: Any, address: str) -> Any:
    """A case-insensitive LIKE on any database (the address's `_` and `%` taken literally)."""
    return func.lower(column).contains(address, autoescape=True)


def _naming(session: Session, model: type[Row], column: Any, address: str) -> list[Row]:
    return [r for r in session.exec(select(model).where(_contains(column, address))).all() if address in str(getattr(r, column.key)).lower()]


@dataclass
class Found:
    """Everything about one address (the module's docstring says what that is)."""

    address: str
    messages: list[Message] = field(default_factory=list)
    attachments: dict[int, list[Attachment]] = field(default_factory=dict)  # message id -> its attachments
    replies: list[Reply] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    overrides: list[CheckOverride] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    requests: list[InformationRequest] = field(default_factory=list)
    audit: list[AuditEvent] = field(default_factory=list)
    mentioned: list[tuple[Message, str]] = field(default_factory=list)  # other senders' mails naming the address: where


def _union(rows: list[Row], more: list[Row]) -> list[Row]:
    seen = {id(r) for r in rows}
    out = rows + [r for r in more if id(r) not in seen]
    return sorted(out, key=lambda r: getattr(r, "id", 0) or 0)


def find(session: Session, address: str) -> Found:
    found = Found(address)
    found.messages = [m for m in session.exec(select(Message).where(_contains(Message.sender, address)).order_by(col(Message.id)))
                      if email.utils.parseaddr(m.sender)[1].lower() == address]
    ids = [m.id or 0 for m in found.messages]
    for batch in chunks(ids):
        for a in session.exec(select(Attachment).where(col(Attachment.message_id).in_(batch)).order_by(col(Attachment.id))):
            found.attachments.setdefault(a.message_id, []).append(a)
    found.replies = list(session.exec(select(Reply).where(func.lower(Reply.to) == address).order_by(col(Reply.id))))
    app_ids = sorted({m.application_id for m in found.messages if m.application_id is not None}
                     | {r.application_id for r in found.replies if r.application_id is not None})

    def of_applications(model: type[Row], column: Any) -> list[Row]:
        return [r for batch in chunks(app_ids) for r in session.exec(select(model).where(col(column).in_(batch)).order_by(col(getattr(model, "id"))))]

    found.applications = of_applications(Application, Application.id)
    found.assessments = _union(of_applications(Assessment, Assessment.application_id), _naming(session, Assessment, Assessment.checks_json, address))
    found.decisions = _union(of_applications(Decision, Decision.application_id), _naming(session, Decision, Decision.comment, address))
    found.overrides = _union(of_applications(CheckOverride, CheckOverride.application_id), _naming(session, CheckOverride, CheckOverride.reason, address))
    found.notes = _union(of_applications(Note, Note.application_id), _naming(session, Note, Note.text, address))
    found.requests = _union(of_applications(InformationRequest, InformationRequest.application_id),
                            _naming(session, InformationRequest, InformationRequest.text, address))
    found.audit = _naming(session, AuditEvent, AuditEvent.detail, address)
    own = set(ids)
    for m in session.exec(select(Message).where(_contains(Message.recipients, address) | _contains(Message.body, address)).order_by(col(Message.id))):
        if (m.id or 0) in own:
            continue
        where = [w for w, text in (("recipients", m.recipients), ("body", m.body or "")) if address in text.lower()]
        if where:
            found.mentioned.append((m, ", ".join(where)))
    return found


# --- export (art. 15) -------------------------------------------------------------------------------------


def _time(value: dt.datetime | None, tz: dt.tzinfo) -> str | None:
    return value.astimezone(tz).isoformat() if value is not None else None


def _safe(name: str) -> str:
    name = re.sub(r"[\\/:\x00-\x1f]+", "_", name).strip(". ") or "fil"
    return name[:120]


@dataclass
class ExportReport:
    address: str
    out: Path
    counts: dict[str, int]


def export(rt: Runtime, address: str, out: Path | None, now: dt.datetime, by: str) -> ExportReport:
    """A zip of everything about `address` with `index.json` describing it; audited."""
    address = normalise(address)
    tz = rt.settings.timezone
    out = out or Path(f"indsigt-{_safe(address)}-{now.astimezone(tz):%Y%m%d}.zip")
    with Session(rt.engine) as session:
        found = find(session, address)
        references = {a.id: a.reference for a in session.exec(select(Application)).all()}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            index = _index(session, rt, found, archive, references, now, by)
            archive.writestr("index.json", json.dumps(index, ensure_ascii=False, indent=2))
        counts = {k: len(v) for k, v in index.items() if isinstance(v, list)}
        detail = {"address": address, "file": str(out), **counts}
        session.add(AuditEvent(actor=by, action=EXPORT_ACTION, detail=json.dumps(detail, ensure_ascii=False), created_at=now))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(buffer.getvalue())  # written before the audit row commits: no event for a file that is not there
        session.commit()
    log.info("subject export by %s: %s", by, json.dumps(counts))
    return ExportReport(address, out, counts)


def _index(session: Session, rt: Runtime, found: Found, archive: zipfile.ZipFile, references: dict[int | None, str],
           now: dt.datetime, by: str) -> dict[str, Any]:
    tz = rt.settings.timezone
    store = rt.store

    def put(name: str, digest: str) -> str | None:
        if not store.exists(digest):
            return None  # deleted by retention or an earlier erasure
        archive.writestr(name, store.get(digest))
        return name

    messages = []
    readings: dict[tuple[str, str], str] = {}
    for m in found.messages:
        attachments = []
        for n, a in enumerate(found.attachments.get(m.id or 0, []), 1):
            attachments.append({"filename": a.filename, "content_type": a.content_type, "size": a.size, "role": a.role,
                                "problem": a.problem, "sha256": a.sha256, "file": put(f"messages/{m.id}/{n:02d}-{_safe(a.filename)}", a.sha256)})
            for doc in session.exec(select(Document).where(Document.sha256 == a.sha256)):
                name = f"readings/{doc.sha256}-{_safe(doc.reader_version)}.json"
                if (doc.sha256, doc.reader_version) not in readings:
                    archive.writestr(name, doc.reading)
                    readings[(doc.sha256, doc.reader_version)] = name
        messages.append({
            "id": m.id, "received_at": _time(m.received_at, tz), "sender": m.sender, "recipients": m.recipients, "subject": m.subject,
            "message_id": m.message_id, "in_reply_to": m.in_reply_to, "kind": m.kind, "state": m.state, "round": m.round_id,
            "application": references.get(m.application_id), "answered": m.answered, "late": m.late, "body": m.body,
            "links": json.loads(m.links or "[]"), "raw": put(f"messages/{m.id}.eml", m.sha256), "attachments": attachments,
        })
    replies = []
    for r in found.replies:
        name = f"replies/{r.id}.eml"
        if r.raw:
            archive.writestr(name, r.raw)
        replies.append({"id": r.id, "kind": r.kind, "template": r.template, "to": r.to, "from": r.sender, "subject": r.subject,
                        "state": r.state, "created_at": _time(r.created_at, tz), "sent_at": _time(r.sent_at, tz),
                        "application": references.get(r.application_id), "answers_message": r.answers_message_id,
                        "raw": name if r.raw else None})
    key = _key(session, create=False)
    erased = []
    if key is not None:
        mark = pseudonym_with(key, found.address)
        erased = [_time(e.created_at, tz) for e in session.exec(select(AuditEvent).where(
            AuditEvent.action == ERASE_ACTION, col(AuditEvent.application_id).is_(None))) if mark in e.detail]
    return {
        "address": found.address, "exported_at": _time(now, tz), "exported_by": by,
        "about": "mails sent from the address, replies sent to it, the applications it wrote in (with assessments, decisions, "
                 "overrides, notes and requests), and every other text in the database that names the address",
        "erased_at": erased,
        "messages": messages,
        "replies": replies,
        "applications": [{"reference": a.reference, "round": a.round_id, "kind": a.kind, "municipality": a.municipality, "cvr": a.cvr,
                          "status": a.status, "closed": a.closed, "received_at": _time(a.received_at, tz), "closed_at": _time(a.closed_at, tz)}
                         for a in found.applications],
        "assessments": [{"application": references.get(a.application_id), "message": a.message_id, "created_at": _time(a.created_at, tz),
                         "status": a.status, "complete": a.complete, "reply": a.reply, "checks": json.loads(a.checks_json or "{}")}
                        for a in found.assessments],
        "decisions": [{"application": references.get(d.application_id), "decision": d.decision, "comment": d.comment, "by": d.by,
                       "created_at": _time(d.created_at, tz)} for d in found.decisions],
        "overrides": [{"application": references.get(o.application_id), "check": o.check_name, "status": o.status, "reason": o.reason,
                       "by": o.by, "created_at": _time(o.created_at, tz)} for o in found.overrides],
        "notes": [{"application": references.get(n.application_id), "text": n.text, "by": n.by, "created_at": _time(n.created_at, tz)}
                  for n in found.notes],
        "information_requests": [{"application": references.get(r.application_id), "text": r.text, "by": r.requested_by, "open": r.open,
                                  "created_at": _time(r.created_at, tz), "closed_at": _time(r.closed_at, tz)} for r in found.requests],
        "audit_events": [{"application": references.get(e.application_id), "actor": e.actor, "action": e.action, "detail": e.detail,
                          "created_at": _time(e.created_at, tz)} for e in found.audit],
        "readings": [{"sha256": sha, "reader_version": version, "file": name} for (sha, version), name in sorted(readings.items())],
        "mentioned_in": [{"message": m.id, "received_at": _time(m.received_at, tz), "application": references.get(m.application_id),
                          "where": where} for m, where in found.mentioned],
    }


# --- erasure (art. 17) ------------------------------------------------------------------------------------


@dataclass
class EraseReport:
    address: str
    pseudonym: str
    dry_run: bool
    removal: Removal
    replies: int = 0  # replies to them: bytes, subject and address gone
    cancelled: int = 0  # of those, not sent yet: cancelled
    texts: int = 0  # notes, overrides, comments, requests, assessments, audit events: the address replaced
    applications: list[str] = field(default_factory=list)
    mentioned: int = 0  # other senders' mails naming the address: kept as they are

    def counts(self) -> dict[str, int]:
        return {"messages": len(self.removal.messages), "files": len(self.removal.blobs), "bytes": self.removal.bytes,
                "shared_files_kept": len(self.removal.shared), "readings": self.removal.readings, "replies": self.replies,
                "cancelled_replies": self.cancelled, "texts": self.texts, "other_mails_naming_the_address": self.mentioned}


def erase(rt: Runtime, address: str, now: dt.datetime, by: str, dry_run: bool = False) -> EraseReport:
    """Remove `address` and what it sent; keep the record of the applications and decisions.  Audited."""
    address = normalise(address)
    pattern = re.compile(re.escape(address), re.IGNORECASE)
    with Session(rt.engine) as session:
        key = _key(session, create=True) or b""
        session.commit()  # the key, also in a dry run: the pseudonym it shows is the one a real run writes
        alias = pseudonym_with(key, address)

        def scrub(text: str) -> str:
            return pattern.sub(alias, text)

        found = find(session, address)
        purge = Purge(rt.store, {m.id or 0 for m in found.messages}, ERASED_BODY, scrub)
        removal = purge.run(session, [], dry_run)
        report = EraseReport(address, alias, dry_run, removal, replies=len(found.replies), mentioned=len(found.mentioned),
                             applications=[a.reference for a in found.applications])
        report.removal.messages = [m.id or 0 for m in found.messages]  # every one of them loses its sender, also one already purged
        report.cancelled = sum(r.state in (ReplyState.PENDING, ReplyState.CLAIMED) for r in found.replies)
        texts: list[tuple[SQLModel, str]] = [
            *((a, "checks_json") for a in found.assessments), *((d, "comment") for d in found.decisions),
            *((o, "reason") for o in found.overrides), *((n, "text") for n in found.notes), *((r, "text") for r in found.requests),
            *((e, "detail") for e in found.audit),
            *((m, "error") for m in _naming(session, Message, Message.error, address)),
            *((m, "automatic_reason") for m in _naming(session, Message, Message.automatic_reason, address)),
            *((r, "error") for r in _naming(session, Reply, Reply.error, address)),
        ]
        named = [(row, column) for row, column in texts if pattern.search(getattr(row, column) or "")]
        report.texts = len({(type(row).__name__, getattr(row, "id", None)) for row, _ in named})
        if dry_run:
            session.rollback()
            return report
        for row, column in named:
            setattr(row, column, scrub(getattr(row, column)))
            session.add(row)
        for m in found.messages:
            m.sender, m.subject = alias, ""
            m.error, m.automatic_reason = scrub(m.error), scrub(m.automatic_reason)
            if m.state != MessageState.PROCESSED:  # its stored copy is gone: never tried again (bot/quarantine.py)
                m.state, m.error = UNPROCESSABLE, ERASED_BODY
            session.add(m)
        for r in found.replies:
            if r.state in (ReplyState.PENDING, ReplyState.CLAIMED):
                r.state, r.error = ReplyState.FAILED, CANCELLED
            r.to, r.subject, r.raw = alias, "", b""
            session.add(r)
        counts = report.counts()
        session.add(AuditEvent(actor=by, action=ERASE_ACTION, created_at=now, detail=json.dumps(
            {"pseudonym": alias, **counts, "applications": report.applications, "message_ids": report.removal.messages,
             "reply_ids": [r.id for r in found.replies], "sha256": removal.blobs}, ensure_ascii=False)))
        for app in found.applications:
            session.add(AuditEvent(application_id=app.id, actor=by, action=ERASE_ACTION, created_at=now,
                                   detail=f"En afsenders personoplysninger er slettet efter anmodning (GDPR art. 17); afsenderen hedder nu {alias}"))
        session.commit()
    removal.bytes = purge.delete_files()
    log.info("subject erase by %s: an address is now %s; %s", by, alias, json.dumps(report.counts()))
    return report
