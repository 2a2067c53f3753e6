"""The round at a glance: the figures the secretariat used to count by hand before the steering group
meets, worked out from one round's stored data without touching the database (triage/round_view.py
gathers the inputs), so each figure can be checked by hand in tests/unit/test_round_figures.py.

Every status is the queue's (`bot.queue.QueueItem.status`: the bot's with the secretariat's overrides
applied); nothing here decides a status a second way.  Days are Europe/Copenhagen calendar days (the
configured `timezone`), times are the receiving server's stamps, and "now" is the service clock."""
from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.queue import QueueItem
from bot.states import ApplicationKind, ApplicationStatus, CheckName, CheckStatus
from config.settings import Round
from triage.labels import STATUSES

NOT_MET = (CheckStatus.MISSING, CheckStatus.LATE)  # a required item is not there (or came too late)
SAME_DAY, FEW_DAYS, WEEK, LATER, NOT_COMPLETE = "Samme dag", "1–3 dage", "4–7 dage", "Mere end 7 dage", "Ikke komplet"
BUCKETS = (SAME_DAY, FEW_DAYS, WEEK, LATER, NOT_COMPLETE)


# --- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assessed:
    """One of the bot's verdicts on an application: when (the received time of the mail it judged, or
    when it was made for a re-read without a mail) and the status it gave."""

    at: dt.datetime
    status: str


@dataclass(frozen=True)
class NoticeSent:
    """A missing-items notice that went out: when it was sent, and the received time of the mail it answered."""

    sent_at: dt.datetime
    answered_received_at: dt.datetime


@dataclass(frozen=True)
class History:
    """One application or inquiry of the round as the queue shows it, with what the figures need besides."""

    item: QueueItem
    assessed: tuple[Assessed, ...] = ()  # oldest first
    written: tuple[dt.datetime, ...] = ()  # received times of the municipality's own mails (no robots)
    notices: tuple[NoticeSent, ...] = ()
    overridden_at: dt.datetime | None = None  # the newest override of a check


# --- figures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    count: int


@dataclass(frozen=True)
class StatusCount:
    status: str
    count: int


@dataclass(frozen=True)
class CheckCount:
    """How often one check is not met: missing (or late, for the deadline) and to be reviewed."""

    check: str
    missing: int
    review: int

    @property
    def total(self) -> int:
        return self.missing + self.review


@dataclass(frozen=True)
class BucketCount:
    label: str
    count: int


@dataclass(frozen=True)
class Completion:
    """Time from an application's first mail to complete: the median of the complete ones, and all of them by bucket."""

    median: dt.timedelta | None
    buckets: tuple[BucketCount, ...]


@dataclass(frozen=True)
class Waiting:
    """An application that was sent a missing-items notice and has not written since."""

    reference: str
    municipality: str
    notified_at: dt.datetime
    missing: tuple[str, ...]  # CheckName values, in the checks' order
    days_left: int | None  # calendar days to the deadline day; None for a rolling round
    expired: bool  # the deadline has passed


@dataclass(frozen=True)
class RoundFigures:
    round_id: str
    deadline: dt.datetime | None
    applications: int
    received: tuple[DayCount, ...]
    after_deadline: int
    statuses: tuple[StatusCount, ...]
    checks: tuple[CheckCount, ...]
    completion: Completion
    waiting: tuple[Waiting, ...]


def figures(round_: Round, histories: Sequence[History], now: dt.datetime, tz: dt.tzinfo) -> RoundFigures:
    """All figures of one round.  `histories` are the round's items; inquiries count only in the statuses."""
    apps = [h for h in histories if h.item.kind == ApplicationKind.APPLICATION]
    before = [h.item.received_at for h in apps if round_.deadline is None or h.item.received_at <= round_.deadline]
    return RoundFigures(
        round_id=round_.id, deadline=round_.deadline, applications=len(apps),
        received=received_per_day(before, round_.deadline, now, tz), after_deadline=len(apps) - len(before),
        statuses=status_counts(h.item for h in histories), checks=check_counts(h.item for h in apps),
        completion=completion(apps, tz), waiting=waiting(apps, round_.deadline, now, tz),
    )


def received_per_day(received: Iterable[dt.datetime], deadline: dt.datetime | None, now: dt.datetime,
                     tz: dt.tzinfo) -> tuple[DayCount, ...]:
    """Applications by the local day of their first mail, every day from the first one on (days without
    any included) to the deadline day, or to today when that is earlier (a rolling round: to today)."""
    days = [when.astimezone(tz).date() for when in received]
    if not days:
        return ()
    last = now.astimezone(tz).date()
    if deadline is not None:
        last = min(last, deadline.astimezone(tz).date())
    last = max(last, *days)
    first = min(days)
    return tuple(DayCount(first + dt.timedelta(n), days.count(first + dt.timedelta(n))) for n in range((last - first).days + 1))


def status_counts(items: Iterable[QueueItem]) -> tuple[StatusCount, ...]:
    """Per status, in the queue's order, as the queue counts them (overrides applied)."""
    statuses = [i.status for i in items]
    return tuple(StatusCount(s, statuses.count(s)) for s in STATUSES)


def check_counts(items: Iterable[QueueItem]) -> tuple[CheckCount, ...]:
    """Per check, how many applications do not meet it, most often first (ties in the checks' order)."""
    per_item = [i.check_statuses() for i in items]
    counts = [CheckCount(name, sum(1 for s in per_item if s.get(name) in NOT_MET),
                         sum(1 for s in per_item if s.get(name) == CheckStatus.REVIEW)) for name in CheckName]
    return tuple(sorted(counts, key=lambda c: -c.total))


def completed_at(history: History) -> dt.datetime | None:
    """When the application became complete as the queue shows it: the first verdict of the bot's last
    run of complete ones, or, when only the secretariat's overrides make it complete, the newest override."""
    if history.item.status != ApplicationStatus.COMPLETE:
        return None
    since: dt.datetime | None = None
    for verdict in history.assessed:
        if verdict.status != ApplicationStatus.COMPLETE:
            since = None
        elif since is None:
            since = verdict.at
    if history.item.bot_status == ApplicationStatus.COMPLETE and since is not None:
        return since
    return history.overridden_at or since


def completion(apps: Sequence[History], tz: dt.tzinfo) -> Completion:
    """Every application in one bucket by calendar days from its first mail to complete (same day, 1–3 …)."""
    spans: list[dt.timedelta] = []
    days: list[int | None] = []
    for history in apps:
        done = completed_at(history)
        if done is None:
            days.append(None)
            continue
        spans.append(max(done - history.item.received_at, dt.timedelta(0)))
        days.append(max((done.astimezone(tz).date() - history.item.received_at.astimezone(tz).date()).days, 0))
    counts = dict.fromkeys(BUCKETS, 0)
    for n in days:
        counts[_bucket(n)] += 1
    median = dt.timedelta(seconds=statistics.median(s.total_seconds() for s in spans)) if spans else None
    return Completion(median, tuple(BucketCount(label, count) for label, count in counts.items()))


def _bucket(days: int | None) -> str:
    if days is None:
        return NOT_COMPLETE
    return SAME_DAY if days == 0 else FEW_DAYS if days <= 3 else WEEK if days <= 7 else LATER


def waiting(apps: Sequence[History], deadline: dt.datetime | None, now: dt.datetime, tz: dt.tzinfo) -> tuple[Waiting, ...]:
    """The applications whose newest mail was answered with a missing-items notice, that still miss a
    check as the queue shows it (an override can settle it), oldest notice first."""
    found = []
    for history in apps:
        notice = _unanswered_notice(history)
        missing = tuple(name for name, status in history.item.check_statuses().items() if status == CheckStatus.MISSING)
        if notice is None or not missing or history.item.status == ApplicationStatus.COMPLETE:
            continue
        days_left = None if deadline is None else (deadline.astimezone(tz).date() - now.astimezone(tz).date()).days
        found.append(Waiting(history.item.reference, history.item.municipality, notice.sent_at, _in_order(missing),
                             days_left, deadline is not None and now > deadline))
    return tuple(sorted(found, key=lambda w: (w.notified_at, w.reference)))


def _unanswered_notice(history: History) -> NoticeSent | None:
    """The notice that answered the municipality's newest mail, if one did."""
    if not history.notices or not history.written:
        return None
    newest = max(history.written)
    answering = [n for n in history.notices if n.answered_received_at >= newest]
    return min(answering, key=lambda n: n.sent_at) if answering else None


def _in_order(names: Iterable[str]) -> tuple[str, ...]:
    order: Mapping[str, int] = {name: n for n, name in enumerate(CheckName)}
    return tuple(sorted(names, key=lambda name: order.get(name, len(order))))


# --- in words, for the page ---------------------------------------------------------------------


def duration(span: dt.timedelta | None) -> str:
    """'2 dage og 3 timer', '5 timer', 'under en time'; '' for none."""
    if span is None:
        return ""
    days, hours = span.days, span.seconds // 3600
    parts = [f"{days} {'dag' if days == 1 else 'dage'}"] if days else []
    if hours:
        parts.append(f"{hours} {'time' if hours == 1 else 'timer'}")
    return " og ".join(parts) or "under en time"


def days_left(days: int | None, expired: bool) -> str:
    """What the list says about the time left to send the missing items."""
    if expired:
        return "Fristen er udløbet"
    if days is None:
        return "Løbende runde"
    if days == 0:
        return "Fristen er i dag"
    return f"{days} {'dag' if days == 1 else 'dage'}"

