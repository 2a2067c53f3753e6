"""The triage queue: one item per application or inquiry, with its newest assessment."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlmodel import Session, func, select

from bot.overrides import decision_in_force, effective_status, overrides_in_force
from bot.states import HELD_FOR_SECRETARIAT, AnswerState
from config.settings import Settings
from parsers.municipalities import sender_mismatch
from storage.models import Application, Assessment, Message


@dataclass(frozen=True)
class QueueItem:
    reference: str
    round: str
    kind: str
    municipality: str
    cvr: str
    status: str
    received_at: dt.datetime
    messages: int
    checks: dict[str, dict]
    unanswered: int
    bot_status: str = ""
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    decision: str = ""
    application_id: int = 0
    sender_domain: str = ""
    unknown_sender: bool = False  # a mail of it waits as "ukendt afsender" (no automatic reply: bot/decision.py)
    sender_flags: tuple[str, ...] = ()  # a failed sender authentication, a From/envelope mismatch (Danish)

    def check_statuses(self) -> dict[str, str]:
        """Each check's status as the queue shows it: the secretariat's override where there is one."""
        statuses = {name: str(check.get("status", "")) for name, check in self.checks.items()}
        statuses.update({name: override["status"] for name, override in self.overrides.items()})
        return statuses

    def to_json(self, tz: dt.tzinfo) -> dict[str, object]:
        return {
            "reference": self.reference, "round": self.round, "kind": self.kind, "municipality": self.municipality,
            "cvr": self.cvr, "status": self.status, "received_at": self.received_at.astimezone(tz).isoformat(),
            "messages": self.messages, "checks": self.checks, "not_answered": self.unanswered,
            "bot_status": self.bot_status, "overrides": self.overrides, "decision": self.decision or None,
            "municipality_mismatch": self.municipality_mismatch,
            "unknown_sender": "ukendt afsender: ikke besvaret automatisk, venter på sekretariatet" if self.unknown_sender else None,
            "sender_flags": list(self.sender_flags),
        }

    @property
    def municipality_mismatch(self) -> str | None:
        """The sender's domain belongs to another municipality than the form's (the form wins)."""
        other = sender_mismatch(self.cvr, self.sender_domain)
        return f"afsenderens domæne {self.sender_domain} hører til {other.name}" if other else None


def queue(session: Session, settings: Settings) -> list[QueueItem]:
    """Rounds in configured order; a deadline round by reference, a rolling round in arrival order
    (first come, first served)."""
    items: list[QueueItem] = []
    for round_ in settings.rounds:
        apps = session.exec(select(Application).where(Application.round_id == round_.id).order_by(Application.received_at, Application.id)).all()
        for app in apps:
            latest = session.exec(select(Assessment).where(Assessment.application_id == app.id).order_by(Assessment.id.desc())).first()
            count = session.exec(select(func.count()).select_from(Message).where(Message.application_id == app.id)).one()
            unanswered = session.exec(select(func.count()).select_from(Message).where(
                Message.application_id == app.id, Message.answered.in_(HELD_FOR_SECRETARIAT))).one()  # type: ignore[attr-defined]
            stranger = session.exec(select(Message.id).where(
                Message.application_id == app.id, Message.answered == AnswerState.UNKNOWN_SENDER)).first() is not None
            flags = tuple(dict.fromkeys(flag for raw in session.exec(select(Message.auth_flags).where(Message.application_id == app.id))
                                        for flag in json.loads(raw or "[]")))
            checks = json.loads(latest.checks_json) if latest else {}
            overrides = overrides_in_force(session, app.id)
            decision = decision_in_force(session, app.id)
            items.append(QueueItem(
                app.reference, app.round_id, app.kind, app.municipality, app.cvr, effective_status(app.status, checks, overrides),
                app.received_at, count, checks, unanswered, bot_status=app.status,
                overrides={n: {"status": o.status, "reason": o.reason, "by": o.by} for n, o in overrides.items()},
                decision=decision.decision if decision else "", application_id=app.id or 0,
                sender_domain=app.sender_domain, unknown_sender=stranger, sender_flags=flags,
            ))
    return items


def unrouted_messages(session: Session) -> int:
    """Mail that matched no round's address (stored, never answered): the operator should add an alias."""
    return session.exec(select(func.count()).select_from(Message).where(Message.kind == "unrouted")).one()


@dataclass(frozen=True)
class FailedMail:
    """A mail whose processing failed (tried again later) or was given up (quarantined): it is in no
    application, so the queue lists it on its own, with the error, until it is processed."""

    id: int
    round: str
    state: str
    received_at: dt.datetime
    sender: str
    subject: str
    attempts: int
    next_attempt_at: dt.datetime | None
    error: str

    def reason(self, tz: dt.tzinfo) -> str:
        """Danish, for the secretariat and the operator (the error itself is the program's)."""
        if self.state == "quarantined":
            return (f"Behandlingen fejlede {self.attempts} gange og er opgivet (karantæne); ret fejlen og kør "
                    f"`taskforce-intake retry {self.id}`. Fejl: {self.error}")
        when = self.next_attempt_at.astimezone(tz).strftime("%d.%m.%Y %H:%M") if self.next_attempt_at else "ved næste kørsel"
        return f"Behandlingen fejlede (forsøg {self.attempts}); prøves igen {when}. Fejl: {self.error}"

    def to_json(self, tz: dt.tzinfo) -> dict[str, object]:
        """The queue's item shape (reference, round, kind, status …) with kind "message"."""
        return {
            "reference": f"mail-{self.id}", "round": self.round, "kind": "message", "municipality": "", "cvr": "",
            "status": self.state, "received_at": self.received_at.astimezone(tz).isoformat(), "messages": 1, "checks": {},
            "message_id": self.id, "sender": self.sender, "subject": self.subject, "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at.astimezone(tz).isoformat() if self.next_attempt_at else None,
            "reason": self.reason(tz),
        }


def failed_mail(session: Session) -> list[FailedMail]:
    """Failed and quarantined mail, oldest first."""
    rows = session.exec(select(Message).where(Message.state.in_(("failed", "quarantined")))  # type: ignore[attr-defined]
                        .order_by(Message.received_at, Message.id)).all()
    return [FailedMail(r.id or 0, r.round_id or "", r.state, r.received_at, r.sender, r.subject, r.attempts or 0,
                       r.next_attempt_at, r.error) for r in rows]
