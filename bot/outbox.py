"""Delivering recorded replies.  A reply row exists before any send is attempted; a send that fails
stays pending with the reason and its attempts, and is tried again on the next flush."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.delivery import Delivery, DeliveryError
from storage.models import Reply

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10


def flush(engine: Engine, delivery: Delivery, now: dt.datetime) -> tuple[int, int]:
    """Send every pending reply, oldest first.  Returns (sent, failed)."""
    sent = failed = 0
    with Session(engine) as session:
        pending = session.exec(select(Reply).where(Reply.state == "pending").order_by(Reply.id)).all()
        for reply in pending:
            reply.attempts += 1
            try:
                delivery.send(reply.raw, reply.sender, [reply.to])
            except (DeliveryError, OSError) as exc:
                permanent = isinstance(exc, DeliveryError) and exc.permanent
                reply.error = str(exc)
                if permanent or reply.attempts >= MAX_ATTEMPTS:
                    reply.state = "failed"
                failed += 1
                log.warning("reply %s not delivered (attempt %d): %s", reply.message_id, reply.attempts, exc)
            else:
                reply.state, reply.sent_at, reply.error = "sent", now, ""
                sent += 1
            session.add(reply)
            session.commit()
    return sent, failed
