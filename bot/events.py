"""The service's log events: one record per settled message, its fields for a log collector (see
bot/logs.py for the shape).  Only what identifies and classifies the message: its row id, the
application's reference, kind, outcome, how long it took — never the subject, body, addresses or
document text, and of an error only its type (an exception's text may quote the mail)."""
from __future__ import annotations

import logging
import time

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.logs import EVENTS_LOGGER
from storage.models import Application, Message

log = logging.getLogger(EVENTS_LOGGER)
MESSAGE_SETTLED = "message_settled"


def message_settled(engine: Engine, row_id: int, outcome: str, began: float, facts: dict[str, object] | None = None) -> None:
    """`outcome`: processed | failed | duplicate; `began`: `time.perf_counter()` when the message's turn
    began; `facts`: `facts_of` the row as it was committed, when the caller has it in hand (else they
    are read).  Never raises: a log line must not fail a message."""
    if not log.isEnabledFor(logging.INFO):
        return  # no query when nobody listens
    fields: dict[str, object] = {"event": MESSAGE_SETTLED, "message_id": row_id, "outcome": outcome,
                                 "duration_ms": round((time.perf_counter() - began) * 1000)}
    try:
        fields.update(facts if facts is not None else _facts(engine, row_id))
    except Exception:  # noqa: BLE001 - the database may be what failed the message
        fields["facts"] = "utilgængelige"
    log.info(MESSAGE_SETTLED, extra=fields)


def facts_in_hand(session: Session, row: Message) -> dict[str, object] | None:
    """`facts_of` a row being committed, its application from the session (no query); None when nobody
    listens, or when they cannot be had (then `message_settled` reads them)."""
    if not log.isEnabledFor(logging.INFO):
        return None
    try:
        app = session.get(Application, row.application_id) if row.application_id is not None else None
        return facts_of(row, app.reference if app else None)
    except Exception:  # noqa: BLE001 - a log line must not fail a message
        return None


def facts_of(row: Message, reference: str | None) -> dict[str, object]:
    """What the event says of a message (and its application's reference): its classification, and of an
    error only its type."""
    facts: dict[str, object] = {"reference": reference, "kind": row.kind, "state": row.state, "answered": row.answered or None,
                                "round": row.round_id, "sha256": row.sha256[:12]}  # as the pass's error lines name it
    if row.error:
        facts.update(error_type=row.error.split(":", 1)[0], attempts=row.attempts)
    return facts


def _facts(engine: Engine, row_id: int) -> dict[str, object]:
    with Session(engine) as session:
        row = session.get(Message, row_id)
        if row is None:
            return {}
        app = session.get(Application, row.application_id) if row.application_id is not None else None
        return facts_of(row, app.reference if app else None)
