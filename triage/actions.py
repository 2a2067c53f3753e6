"""The secretariat's actions on an application.  Each one is written together with its audit event,
in one transaction: there is no action without a trace of who did it and when."""
from __future__ import annotations

import datetime as dt
import re
import secrets
from email.message import EmailMessage

from sqlmodel import Session, select

from bot.intake import answer_held
from bot.overrides import decision_in_force
from bot.runtime import Runtime
from bot.replies import Answered, Notice, compose, record
from bot.steering import CRITERION_NAMES, NOT_SCORED, Criterion, parse_value, scores_in_force
from bot.states import HELD_FOR_SECRETARIAT, ApplicationKind, AuditAction, CheckName, CheckStatus, ReplyKind, ReplyTemplate
from bot.states import Decision as DecisionValue
from config.settings import Round
from storage.models import (Application, AuditEvent, CheckOverride, Decision, InformationRequest, InquiryAnswered, Message,
                            Note, Reply, Score)
from triage.labels import CHECK_NAMES, CHECK_STATUS_NAMES, DECISION_NAMES


class ActionError(ValueError):
    """The action was refused; the message (Danish) is shown to the user."""


def audit(session: Session, actor: str, action: AuditAction, now: dt.datetime, detail: str = "", application: Application | None = None) -> None:
    session.add(AuditEvent(application_id=application.id if application else None, actor=actor, action=str(action), detail=detail,
                           created_at=now))


def override_check(session: Session, app: Application, check: str, status: str, reason: str, actor: str, now: dt.datetime) -> None:
    reason = reason.strip()
    if check not in tuple(CheckName):
        raise ActionError("Ukendt tjek.")
    if status not in tuple(CheckStatus):
        raise ActionError("Ukendt status.")
    if not reason:
        raise ActionError("En overstyring kræver en begrundelse.")
    session.add(CheckOverride(application_id=app.id, check_name=check, status=status, reason=reason, by=actor, created_at=now))
    audit(session, actor, AuditAction.OVERRIDE, now, f"{CHECK_NAMES[CheckName(check)]}: {CHECK_STATUS_NAMES[CheckStatus(status)]} — {reason}", app)


def add_note(session: Session, app: Application, text: str, actor: str, now: dt.datetime) -> None:
    text = text.strip()
    if not text:
        raise ActionError("Noten er tom.")
    session.add(Note(application_id=app.id, text=text, by=actor, created_at=now))
    audit(session, actor, AuditAction.NOTE, now, text, app)


def decide(session: Session, app: Application, decision: str, comment: str, actor: str, now: dt.datetime) -> None:
    if decision not in tuple(DecisionValue):
        raise ActionError("Ukendt afgørelse.")
    session.add(Decision(application_id=app.id, decision=decision, comment=comment.strip(), by=actor, created_at=now))
    audit(session, actor, AuditAction.DECISION, now, DECISION_NAMES[DecisionValue(decision)] + (f" — {comment.strip()}" if comment.strip() else ""), app)


def mark_inquiry_answered(session: Session, app: Application, actor: str, now: dt.datetime) -> None:
    if app.kind != ApplicationKind.INQUIRY:
        raise ActionError("Kun henvendelser kan markeres som besvaret.")
    if session.exec(select(InquiryAnswered).where(InquiryAnswered.application_id == app.id)).first():
        return
    session.add(InquiryAnswered(application_id=app.id, by=actor, created_at=now))
    audit(session, actor, AuditAction.INQUIRY_ANSWERED, now, "", app)


def _answered(row: Message) -> Answered:
    return Answered(row.message_id, tuple(row.references.split()), row.sender, row.subject, row.received_at, row.sha256)


def _request_notice(round_: Round, app: Application, applicant: Message, token: str, text: str = "") -> Notice:
    return Notice(kind=ReplyKind.INFORMATION_REQUEST, template=ReplyTemplate.INFORMATION_REQUEST,
                  dedupe_key=f"information_request:{app.id}:{token}", round=round_, reference=app.reference, to=applicant.sender,
                  municipality=app.municipality, answered=_answered(applicant), text=text)


def information_request_draft(rt: Runtime, round_: Round, app: Application, applicant: Message, now: dt.datetime) -> EmailMessage:
    """The Danish template (`information_request.txt.j2`) as a mail to the applicant, in reply to their
    newest message.  Each request is its own occasion, so it can be asked more than once."""
    return compose(rt.templates, _request_notice(round_, app, applicant, "draft"), rt.settings.timezone, now)


def draft_text(msg: EmailMessage) -> str:
    return str(msg.get_content())


def request_information(session: Session, rt: Runtime, round_: Round, app: Application, applicant: Message | None,
                        text: str, actor: str, now: dt.datetime) -> Reply:
    """Record the edited request as a reply (kind `information_request`, the secretariat's text as its
    body) through `bot.replies.record`, like every outgoing mail, and open the window in which a
    supplement is welcome even after the deadline."""
    text = text.replace("\r\n", "\n").strip()
    if applicant is None or not applicant.sender:
        raise ActionError("Der er ingen afsender at skrive til.")
    if not text:
        raise ActionError("Teksten er tom.")
    notice = _request_notice(round_, app, applicant, secrets.token_hex(12), text)
    reply = record(session, rt.templates, notice, rt.settings.timezone, now, app.id)
    session.add(InformationRequest(application_id=app.id, text=text, requested_by=actor, reply_id=reply.id, open=True, created_at=now))
    summary = f"{text[:160]}…" if len(text) > 160 else text
    audit(session, actor, AuditAction.INFORMATION_REQUEST, now, f"Til {applicant.sender}: {summary}", app)
    return reply


def close_request(session: Session, app: Application, request_id: int, actor: str, now: dt.datetime) -> None:
    """Close a request for information: from now on a supplement after the deadline is refused again."""
    request = session.get(InformationRequest, request_id)
    if request is None or request.application_id != app.id:
        raise ActionError("Anmodningen findes ikke.")
    if not request.open:
        return
    request.open, request.closed_at = False, now
    session.add(request)
    audit(session, actor, AuditAction.INFORMATION_REQUEST_CLOSED, now, f"Anmodning af {request.created_at:%d.%m.%Y} lukket", app)


def send_held_reply(session: Session, rt: Runtime, app: Application, message_id: int, actor: str, now: dt.datetime) -> Reply | None:
    """Record the reply the bot held back (`HELD_FOR_SECRETARIAT`: before `answer_from`, an unknown sender,
    a supplement whose sender failed authentication), the way the service records every reply
    (`bot.intake.answer_held` -> `bot.replies.record`); the caller sends it."""
    row = session.get(Message, message_id)
    if row is None or row.application_id != app.id or row.answered not in HELD_FOR_SECRETARIAT:
        raise ActionError("Mailen venter ikke på et svar.")
    reply = answer_held(session, rt, row, now)
    session.add(row)
    what = f"{reply.kind} til {reply.to}" if reply else "intet svar (mailen kræver ikke svar)"
    audit(session, actor, AuditAction.HELD_REPLY_SENT, now, f"Svar på mail modtaget {row.received_at:%d.%m.%Y %H:%M}: {what}", app)
    return reply


# --- Toward the steering group (issue 13): scoring and the decision letters --------------------------


def score(session: Session, app: Application, given: dict[str, tuple[str, str]], actor: str, now: dt.datetime) -> list[Score]:
    """The form's five criteria (criterion -> (value, note)) in one submit: a new row for each one that
    differs from the score in force, so the history shows what changed, by whom, when."""
    if app.kind != ApplicationKind.APPLICATION:
        raise ActionError("Kun ansøgninger vurderes.")
    in_force = scores_in_force(session, app.id or 0)
    written: list[Score] = []
    for criterion in Criterion:
        raw, note = given.get(criterion, ("", ""))
        try:
            value = parse_value(raw)
        except ValueError:
            raise ActionError(f"{CRITERION_NAMES[criterion]}: vælg et point fra 1 til 5 eller \"{NOT_SCORED}\".") from None
        note = note.replace("\r\n", "\n").strip()
        old = in_force.get(criterion)
        if (old is None and value is None and not note) or (old is not None and (old.value, old.note) == (value, note)):
            continue
        written.append(Score(application_id=app.id or 0, criterion=criterion, value=value, note=note, actor=actor, created_at=now))
    if not written:
        raise ActionError("Vurderingen er uændret.")
    session.add_all(written)
    detail = "; ".join(f"{CRITERION_NAMES[Criterion(s.criterion)]}: {s.value if s.value is not None else NOT_SCORED}"
                       + (f" ({s.note[:80]})" if s.note else "") for s in written)
    audit(session, actor, AuditAction.SCORE, now, detail, app)
    return written


# each decision's letter: its own X-Taskforce-Reply kind and its own template of the same name
LETTERS: dict[str, tuple[ReplyKind, ReplyTemplate]] = {
    DecisionValue.APPROVED: (ReplyKind.DECISION_APPROVED, ReplyTemplate.DECISION_APPROVED),
    DecisionValue.DECLINED: (ReplyKind.DECISION_DECLINED, ReplyTemplate.DECISION_DECLINED),
    DecisionValue.WAITING_LIST: (ReplyKind.DECISION_WAITING_LIST, ReplyTemplate.DECISION_WAITING_LIST),
}


def letter_key(app: Application, decision: Decision) -> str:
    """One letter per recorded decision: sending it twice finds the row already there."""
    return f"decision_letter:{app.id}:{decision.id}"


def _letter_notice(round_: Round, app: Application, decision: Decision, applicant: Message, text: str = "") -> Notice:
    kind, template = LETTERS[decision.decision]
    return Notice(kind=kind, template=template, dedupe_key=letter_key(app, decision), round=round_, reference=app.reference,
                  to=applicant.sender, municipality=app.municipality, answered=_answered(applicant), text=text)


def decision_letter_draft(rt: Runtime, round_: Round, app: Application, decision: Decision, applicant: Message, now: dt.datetime) -> str:
    """The decision's template (`decision_<decision>.txt.j2`) as the text the caseworker edits in the page."""
    return draft_text(compose(rt.templates, _letter_notice(round_, app, decision, applicant), rt.settings.timezone, now))


def letter_sent(session: Session, app: Application, decision: Decision | None) -> Reply | None:
    if decision is None:
        return None
    return session.exec(select(Reply).where(Reply.dedupe_key == letter_key(app, decision))).first()


UNFILLED = re.compile(r"\[[^\]]*(?:skriv her|Begrundelse)[^\]]*\]")  # a template's place for the caseworker's own words


def send_decision_letter(session: Session, rt: Runtime, round_: Round, app: Application, applicant: Message | None,
                         decision_id: int, text: str, actor: str, now: dt.datetime) -> Reply:
    """Record the edited letter for the decision in force as a reply of the decision's kind (through
    `bot.replies.record`, like every outgoing mail); the caller sends it through the outbox.  The page
    names the decision it showed, so a decision changed meanwhile is not answered with the old letter."""
    decision = decision_in_force(session, app.id or 0)
    text = text.replace("\r\n", "\n").strip()
    if decision is None:
        raise ActionError("Der er ikke truffet en afgørelse, der kan skrives et brev om.")
    if decision.id != decision_id:
        raise ActionError("Afgørelsen er ændret, siden siden blev vist. Se det nye udkast igennem, før brevet sendes.")
    if letter_sent(session, app, decision) is not None:
        raise ActionError("Brevet om denne afgørelse er allerede sendt.")
    if applicant is None or not applicant.sender:
        raise ActionError("Der er ingen afsender at skrive til.")
    if not text:
        raise ActionError("Brevet er tomt.")
    if UNFILLED.search(text):
        raise ActionError("Brevet har stadig en tekst i [firkantede parenteser], der skal skrives færdig, før det sendes.")
    reply = record(session, rt.templates, _letter_notice(round_, app, decision, applicant, text), rt.settings.timezone, now, app.id)
    audit(session, actor, AuditAction.DECISION_LETTER, now, f"{DECISION_NAMES[DecisionValue(decision.decision)]}: til {applicant.sender}", app)
    return reply
