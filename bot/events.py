"""The service's log events: one record per settled message, its fields for a log collector (see
bot/logs.py for the shape).  Only what identifies and classifies the message: its row id, the
application's reference, kind, outcome, how long it took — never the subject, body, addresses or
document text, and of an error only its type (an exception's text may quote the mail)."""
from __future__ import annotations

import logging
import time

from sqlalchemy.engine import Engine
from sqlalchemy import select
from sqlmodel import Session, col

from bot.logs import EVENTS_LOGGER
from storage.models import Application, Message

log = logging.getLogger(EVENTS_LOGGER)
MESSAGE_SETTLED = "message_settled"


def message_settled(engine: Engine, row_id: int, outcome: str, began: float) -> None:
    """`outcome`: processed | failed | duplicate; `began`: `time.perf_counter()` when the message's turn
    began.  Never raises: a log line must not fail a message."""
    if not log.isEnabledFor(logging.INFO):
        return  # no query when nobody listens
    fields: dict[str, object] = {"event": MESSAGE_SETTLED, "message_id": row_id, "outcome": outcome,
                                 "duration_ms": round((time.perf_counter() - began) * 1000)}
    try:
        fields.update(_facts(engine, row_id))
    except Exception:  # noqa: BLE001 - the database may be what failed the message
        fields["facts"] = "utilgængelige"
    log.info(MESSAGE_SETTLED, extra=fields)


def _facts(engine: Engine, row_id: int) -> dict[str, object]:
    with Session(engine) as session:
        found = session.execute(  # sqlalchemy's select: eight columns
            select(col(Message.kind), col(Message.state), col(Message.answered), col(Message.round_id), col(Message.sha256),
                   col(Message.attempts), col(Message.error), col(Application.reference))
            .outerjoin(Application, col(Message.application_id) == col(Application.id))
            .where(col(Message.id) == row_id)
        ).first()
    if found is None:
        return {}
    kind, state, answered, round_id, sha256, attempts, error, reference = found
    facts: dict[str, object] = {"reference": reference, "kind": kind, "state": state, "answered": answered or None,
                                "round": round_id, "sha256": sha256[:12]}  # as the pass's error lines name it
    if error:
        facts.update(error_type=error.split(":", 1)[0], attempts=attempts)
    return facts
