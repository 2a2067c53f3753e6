"""The triage queue: one item per application or inquiry, with its newest assessment."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlmodel import Session, func, select

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
    sender_domain: str = ""

    def to_json(self, tz: dt.tzinfo) -> dict[str, object]:
        return {
            "reference": self.reference, "round": self.round, "kind": self.kind, "municipality": self.municipality,
            "cvr": self.cvr, "status": self.status, "received_at": self.received_at.astimezone(tz).isoformat(),
            "messages": self.messages, "checks": self.checks, "not_answered": self.unanswered,
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
            items.append(QueueItem(app.reference, app.round_id, app.kind, app.municipality, app.cvr, app.status,
                                   app.received_at, count, json.loads(latest.checks_json) if latest else {}, unanswered,
                                   app.sender_domain))
    return items
