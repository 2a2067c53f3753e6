"""The round page (`/rounds/ID`): the round's stored data gathered for triage/rounds.py, whose figures
are then laid out as the page's four charts (triage/charts.py).  Read only; the statuses are the
queue's own (`bot.queue.queue`), so the page and the queue never disagree."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.queue import queue
from bot.replies import CHECK_NAMES
from bot.runtime import Runtime
from bot.states import MessageKind, ReplyKind, ReplyState
from config.settings import Round
from storage.models import Assessment, CheckOverride, Message, Reply
from triage import charts
from triage.labels import STATUS_NAMES
from triage.rounds import NOT_COMPLETE, Assessed, History, NoticeSent, RoundFigures, figures

WRITTEN = (MessageKind.APPLICATION, MessageKind.SUPPLEMENT, MessageKind.INQUIRY)  # a person wrote it, not a robot


@dataclass(frozen=True)
class RoundPage:
    round: Round
    figures: RoundFigures
    received: charts.ColumnChart
    statuses: charts.RowChart
    checks: charts.RowChart
    completion: charts.ColumnChart


def round_page(rt: Runtime, round_id: str, now: dt.datetime) -> RoundPage | None:
    round_ = next((r for r in rt.settings.rounds if r.id == round_id), None)
    if round_ is None:
        return None
    with Session(rt.engine) as session:
        found = figures(round_, histories(session, rt, round_), now, rt.settings.timezone)
    return RoundPage(round_, found, *charts_of(found))


def histories(session: Session, rt: Runtime, round_: Round) -> list[History]:
    """The round's queue items, each with its verdicts, the municipality's mails, the missing-items
    notices sent and the newest override: four queries for the whole round besides the queue's."""
    items = [i for i in queue(session, rt.settings) if i.round == round_.id]
    ids = [i.application_id for i in items]
    assessed, written, notices = _assessed(session, ids), _written(session, ids), _notices(session, ids)
    overridden = _overridden(session, ids)
    return [History(i, tuple(assessed[i.application_id]), tuple(written[i.application_id]), tuple(notices[i.application_id]),
                    overridden.get(i.application_id)) for i in items]


def _assessed(session: Session, ids: list[int]) -> dict[int, list[Assessed]]:
    """The bot's verdicts, oldest first, each at the received time of the mail it judged (a re-read's at when it was made)."""
    found: dict[int, list[Assessed]] = defaultdict(list)
    rows = session.exec(select(Assessment.application_id, Assessment.status, Assessment.created_at, Message.received_at)
                        .join(Message, col(Assessment.message_id) == col(Message.id), isouter=True)
                        .where(col(Assessment.application_id).in_(ids)).order_by(col(Assessment.id)))
    for app_id, status, made, received in rows:
        found[app_id].append(Assessed(received or made, status))
    return found


def _written(session: Session, ids: list[int]) -> dict[int, list[dt.datetime]]:
    found: dict[int, list[dt.datetime]] = defaultdict(list)
    rows = session.exec(select(Message.application_id, Message.received_at)
                        .where(col(Message.application_id).in_(ids), col(Message.kind).in_(WRITTEN)))
    for app_id, received in rows:
        found[app_id or 0].append(received)
    return found


def _notices(session: Session, ids: list[int]) -> dict[int, list[NoticeSent]]:
    """The missing-items notices that went out, with the received time of the mail each answered."""
    found: dict[int, list[NoticeSent]] = defaultdict(list)
    rows = session.exec(select(Reply.application_id, Reply.sent_at, Reply.created_at, Message.received_at)
                        .join(Message, col(Reply.answers_message_id) == col(Message.id))
                        .where(col(Reply.application_id).in_(ids), col(Reply.kind) == ReplyKind.MISSING_ITEMS,
                               col(Reply.state) == ReplyState.SENT))
    for app_id, sent, made, received in rows:
        found[app_id or 0].append(NoticeSent(sent or made, received))
    return found


def _overridden(session: Session, ids: list[int]) -> dict[int, dt.datetime]:
    """When each application's checks were last overridden."""
    found: dict[int, dt.datetime] = {}
    for app_id, made in session.exec(select(CheckOverride.application_id, CheckOverride.created_at)
                                     .where(col(CheckOverride.application_id).in_(ids))):
        found[app_id] = max(made, found.get(app_id, made))
    return found


def charts_of(found: RoundFigures) -> tuple[charts.ColumnChart, charts.RowChart, charts.RowChart, charts.ColumnChart]:
    """The four charts: received per day, statuses, checks not met, time to complete."""
    received = charts.columns([(d.day.isoformat(), f"{d.day.day}.{d.day.month}", d.count, "bar") for d in found.received],
                              height=260, width=960)
    statuses = charts.rows([(s.status, STATUS_NAMES[s.status], [(s.status, s.count, f"bar status-{s.status}")])
                            for s in found.statuses])
    checks = charts.rows([(c.check, CHECK_NAMES.get(c.check, c.check), [("missing", c.missing, "bar missing"), ("review", c.review, "bar review")])
                          for c in found.checks])
    completion = charts.columns([(b.label, b.label, b.count, "bar muted-bar" if b.label == NOT_COMPLETE else "bar ok")
                                 for b in found.completion.buckets], height=180)
    return received, statuses, checks, completion
