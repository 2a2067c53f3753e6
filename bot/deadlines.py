"""Reminders before the deadline and the closing of a round at it, on the service's one clock.

Both run on every pass (`run --once` and the scheduler), after the intake, so mail received before the
deadline is judged before the round closes.  Both are idempotent: a reminder is recorded once per
application and moment, a round is closed once.  A service that was down catches up on its next
pass: the closing runs with the same outcome, and of the reminders due only the latest is sent, and
none once the deadline has passed."""
from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from bot.states import NOT_WRITTEN_TO, MessageState

from bot.applications import load_dossier
from bot.assessment import assess
from bot.intake import answer_from, stored_reader
from bot.runtime import Runtime
from bot.replies import Answered, Notice, record
from config.settings import Round
from storage.models import Application, Message, Reply, ServiceState


def reminder_moments(round_: Round) -> list[dt.datetime]:
    """`reminder_time` local time, `reminders` days before the deadline day (summer time included)."""
    if round_.deadline is None:
        return []
    tz = round_.deadline.tzinfo
    day = round_.deadline.date()
    return sorted(dt.datetime.combine(day - delta, round_.reminder_time, tzinfo=tz) for delta in round_.reminders)


def due_reminder(round_: Round, now: dt.datetime) -> dt.datetime | None:
    """The latest reminder moment that has come while the deadline has not."""
    if round_.deadline is None or now > round_.deadline:
        return None
    due = [moment for moment in reminder_moments(round_) if moment <= now < round_.deadline]
    return due[-1] if due else None


def _latest_inbound(session: Session, app: Application) -> Message | None:
    return session.exec(select(Message).where(
        Message.application_id == app.id, Message.kind.in_(("application", "supplement")), Message.late != "refused",
        Message.answered.not_in(NOT_WRITTEN_TO),  # type: ignore[attr-defined]  # a stranger or a spoofed sender: the secretariat answers first
    ).order_by(Message.received_at.desc(), Message.id.desc())).first()


def _notice(session: Session, rt: Runtime, round_: Round, app: Application, kind: str, key: str, now: dt.datetime) -> bool:
    """Record a reminder or closing notice to the application's latest sender, in its thread."""
    message = _latest_inbound(session, app)
    if message is None or session.exec(select(Reply.id).where(Reply.dedupe_key == key)).first() is not None:
        return False  # recorded already: the dossier is not assessed again on every pass
    assessment = assess(load_dossier(session, round_, app, stored_reader(session, rt, now)), now)
    if not assessment.missing:
        return False
    answered = Answered(message.message_id, tuple(message.references.split()), message.sender, message.subject,
                        message.received_at, message.sha256)
    notice = Notice(kind=kind, template=kind, dedupe_key=key, round=round_, reference=app.reference, to=message.sender,
                    municipality=app.municipality, answered=answered, assessment=assessment)
    record(session, rt.templates, notice, rt.settings.timezone, now, app.id, None)
    return True


def _open_applications(session: Session, round_: Round) -> list[Application]:
    return list(session.exec(select(Application).where(
        Application.round_id == round_.id, Application.kind == "application", Application.closed == False,  # noqa: E712
    ).order_by(Application.id)))


def send_reminders(rt: Runtime, now: dt.datetime) -> int:
    """Reminders to every incomplete application of every round with a reminder due."""
    sent = 0
    with Session(rt.engine) as session:
        start = answer_from(session, rt, now)
        for round_ in rt.settings.rounds:
            moment = due_reminder(round_, now)
            if moment is None or moment < start:
                continue
            for app in _open_applications(session, round_):
                if app.status == "incomplete":
                    sent += _notice(session, rt, round_, app, "reminder", f"reminder:{app.id}:{moment.isoformat()}", now)
        session.commit()
    return sent


STUCK = dt.timedelta(minutes=15)  # a stored mail unprocessed for longer is stuck (it fails and is retried): it holds up no round


def _still_to_judge(session: Session, deadline: dt.datetime, now: dt.datetime) -> bool:
    """A mail received before the deadline is stored but not processed yet: another worker has it in
    its lookahead (bot/claims.py), or this one will take it on its next pass.  Its round is not closed
    before it is judged, or its application would stay open and never be closed."""
    return session.exec(select(Message.id).where(Message.state == MessageState.STORED, Message.received_at <= deadline,
                                                 Message.stored_at > now - STUCK).limit(1)).first() is not None


def close_rounds(rt: Runtime, now: dt.datetime) -> int:
    """Close every round whose deadline has passed: incomplete applications become
    `incomplete_at_deadline` and get a final notice (none for a round that ended before the bot
    was switched on)."""
    closed = 0
    with Session(rt.engine) as session:
        start = answer_from(session, rt, now)
        for round_ in rt.settings.rounds:
            key = f"closed:{round_.id}"
            if round_.deadline is None or now <= round_.deadline or session.get(ServiceState, key):
                continue
            if _still_to_judge(session, round_.deadline, now):
                continue  # the next run closes it, once that mail is judged
            for app in _open_applications(session, round_):
                if app.status == "incomplete":
                    app.status = "incomplete_at_deadline"
                    if round_.deadline >= start:
                        _notice(session, rt, round_, app, "closing", f"closing:{app.id}", now)
                app.closed, app.closed_at = True, now
                session.add(app)
                closed += 1
            session.add(ServiceState(key=key, value=now.isoformat()))
        session.commit()
    return closed
