"""The triage queue: one item per application or inquiry, with its newest assessment."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlmodel import Session, func, select

from bot.overrides import decision_in_force, effective_status, overrides_in_force
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

    def to_json(self, tz: dt.tzinfo) -> dict[str, object]:
        return {
            "reference": self.reference, "round": self.round, "kind": self.kind, "municipality": self.municipality,
            "cvr": self.cvr, "status": self.status, "received_at": self.received_at.astimezone(tz).isoformat(),
            "messages": self.messages, "checks": self.checks, "not_answered": self.unanswered,
            "bot_status": self.bot_status, "overrides": self.overrides, "decision": self.decision or None,
            "municipality_mismatch": self.municipality_mismatch,
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
                Message.application_id == app.id, Message.answered == "before_answer_from")).one()
            checks = json.loads(latest.checks_json) if latest else {}
            overrides = overrides_in_force(session, app.id)
            decision = decision_in_force(session, app.id)
            items.append(QueueItem(
                app.reference, app.round_id, app.kind, app.municipality, app.cvr, effective_status(app.status, checks, overrides),
                app.received_at, count, checks, unanswered, bot_status=app.status,
                overrides={n: {"status": o.status, "reason": o.reason, "by": o.by} for n, o in overrides.items()},
                decision=decision.decision if decision else "", application_id=app.id or 0,
                sender_domain=app.sender_domain,
            ))
    return items


def unrouted_messages(session: Session) -> int:
    """Mail that matched no round's address (stored, never answered): the operator should add an alias."""
    return session.exec(select(func.count()).select_from(Message).where(Message.kind == "unrouted")).one()
