"""Prometheus metrics, read from the database at scrape time (a custom collector): every worker and
the web app share the database, so any process that serves /metrics tells the whole installation's
story.  A scrape costs four small queries, each a count grouped in SQL: messages by kind, state and
answer; replies by state; document readings by role and format; the last poll.  Labels are kinds and
states only, never an address, a municipality or a subject."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy import select as sa_select  # more columns than sqlmodel's select types
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from bot.health import first_start, health, last_poll
from bot.states import MessageState, ReplyState
from storage.models import Document, Message, Reply

PREFIX = "taskforce_intake"
OUTBOX = (ReplyState.PENDING, ReplyState.CLAIMED, ReplyState.SENDING)  # recorded, not yet handed over for good
QUARANTINE = (MessageState.FAILED, MessageState.QUARANTINED)  # kept, waiting for a retry or for `taskforce-intake retry`


@dataclass
class Counts:
    """What the database holds, as counts.  `readings`: (role, format) -> (count, seconds, slowest)."""

    messages: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (kind, state, answered)
    replies: dict[str, int] = field(default_factory=dict)
    readings: dict[tuple[str, str], tuple[int, float, float]] = field(default_factory=dict)
    last_poll: dt.datetime | None = None
    first_start: dt.datetime | None = None


def counts(session: Session) -> Counts:
    n = func.count()
    found = Counts(last_poll=last_poll(session), first_start=first_start(session))
    for kind, state, answered, count in session.exec(
            select(Message.kind, Message.state, Message.answered, n).group_by(Message.kind, Message.state, Message.answered)):
        found.messages[(kind, state, answered or "undecided")] = count
    for state, count in session.exec(select(Reply.state, n).group_by(Reply.state)):
        found.replies[state] = count
    # read_ms 0: a reading stored without a timing (a lazy re-read of an older reader's document)
    read_ms = col(Document.read_ms)
    timed = sa_select(col(Document.role), col(Document.format), n, func.sum(read_ms), func.max(read_ms)).where(
        read_ms > 0).group_by(col(Document.role), col(Document.format))
    for role, fmt, count, total, slowest in session.execute(timed):
        found.readings[(role, fmt or "ukendt")] = (count, (total or 0) / 1000, (slowest or 0) / 1000)
    return found


class IntakeCollector(Collector):
    """The metrics of one scrape.  `now` is the service's clock; `started` when this process started (the
    grace period of /healthz before the first poll)."""

    def __init__(self, engine: Engine, now: Callable[[], dt.datetime], limit: int, started: dt.datetime | None = None) -> None:
        self.engine, self.now, self.limit, self.started = engine, now, limit, started

    def collect(self) -> Iterator[Metric]:
        try:
            with Session(self.engine) as session:
                found: Counts | None = counts(session)
        except SQLAlchemyError:
            found = None
        yield _gauge("up", "1 when the database answered this scrape, else 0", int(found is not None))
        now = self.now()
        begun = max((t for t in (self.started, found.first_start if found else None) if t is not None), default=None)
        verdict = health(now, found.last_poll if found else None, found is not None, self.limit, begun)
        yield _gauge("healthy", "1 when /healthz answers 200 (the database answers, the last poll is recent)", int(verdict.healthy))
        yield _gauge("poll_stale_seconds", "[monitoring] poll_stale_seconds: a last poll older than this is unhealthy (0: not watched)",
                     self.limit)
        if found is None:
            return
        yield from _messages(found)
        yield from _replies(found)
        yield from _readings(found)
        if found.last_poll is not None:
            yield _gauge("last_poll_age_seconds", "Seconds since the last successful mailbox poll (any worker)", verdict.last_poll_age or 0.0)
            yield _gauge("last_poll_timestamp_seconds", "Unix time of the last successful mailbox poll", found.last_poll.timestamp())


def _gauge(name: str, documentation: str, value: float, unit: str = "") -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value, unit=unit)


def _messages(found: Counts) -> Iterator[Metric]:
    messages = GaugeMetricFamily(f"{PREFIX}_messages", "Stored mails by kind, outcome (message.state) and answer (message.answered)",
                                 labels=["kind", "outcome", "answered"])
    for (kind, state, answered), count in sorted(found.messages.items()):
        messages.add_metric([kind, state, answered], count)
    yield messages
    quarantined = sum(c for (_, state, _), c in found.messages.items() if state in QUARANTINE)
    yield _gauge("quarantine_size", "Mails whose processing failed: waiting for a retry (failed) or for `retry` (quarantined)", quarantined)


def _replies(found: Counts) -> Iterator[Metric]:
    replies = GaugeMetricFamily(f"{PREFIX}_replies", "Recorded replies by state (reply.state)", labels=["state"])
    for state in ReplyState:
        replies.add_metric([state.value], found.replies.get(state, 0))
    for other in sorted(set(found.replies) - set(ReplyState)):  # a state a newer version wrote
        replies.add_metric([other], found.replies[other])
    yield replies
    yield _gauge("outbox_size", "Replies not yet handed over for good (pending, claimed, sending)", sum(found.replies.get(s, 0) for s in OUTBOX))


def _readings(found: Counts) -> Iterator[Metric]:
    seconds = SummaryMetricFamily(f"{PREFIX}_reader_seconds", "Time to read a document, by role and format (stored readings)",
                                  labels=["role", "format"])
    slowest = GaugeMetricFamily(f"{PREFIX}_reader_seconds_max", "The slowest stored reading, by role and format", labels=["role", "format"])
    for (role, fmt), (count, total, most) in sorted(found.readings.items()):
        seconds.add_metric([role, fmt], count_value=count, sum_value=total)
        slowest.add_metric([role, fmt], most)
    yield seconds
    yield slowest


def registry(engine: Engine, now: Callable[[], dt.datetime], limit: int, started: dt.datetime | None = None) -> CollectorRegistry:
    """A registry of our own (never the global one): the installation's metrics and this process's own."""
    found = CollectorRegistry(auto_describe=False)
    found.register(IntakeCollector(engine, now, limit, started))
    ProcessCollector(registry=found)
    return found
