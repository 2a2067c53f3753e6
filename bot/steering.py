"""Toward the steering group: the secretariat's scoring of the guideline's five weighing criteria, and
the typed data of the steering-group pack (triage/pack.py renders it as a PDF).

The minimum criteria decide whether an application is considered at all (the bot checks them); these
five are what the secretariat weighs afterwards, by hand, for the complete ones ("Det vægtes …" in the
guideline).  A score is 1–5, higher weighing *for* the application (so no earlier Task Force course
and no large reorganisation under way score high), or "ikke vurderet" (NULL): not yet scored is not a
low score, so it counts in no total."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, select

from bot.overrides import decision_in_force
from bot.queue import QueueItem, queue
from bot.states import ApplicationKind, ApplicationStatus
from config.settings import Round, Settings
from storage.models import Score

SCORE_VALUES: tuple[int, ...] = (1, 2, 3, 4, 5)
NOT_SCORED = "ikke vurderet"


class Criterion(StrEnum):
    """`score.criterion`: the guideline's weighing criteria (DOMAIN.md, "What the secretariat weighs")."""

    MOTIVATION = "motivation"
    READINESS = "readiness"
    OTHER_ACTIVITIES = "other_activities"
    EARLIER_COURSE = "earlier_course"
    LARGEST_DIFFERENCE = "largest_difference"


# The guideline's words, and what a high score means
CRITERION_NAMES: dict[str, str] = {
    Criterion.MOTIVATION: "Motivation",
    Criterion.READINESS: "Parathed",
    Criterion.OTHER_ACTIVITIES: "Øvrige aktiviteter",
    Criterion.EARLIER_COURSE: "Tidligere Task Force-forløb",
    Criterion.LARGEST_DIFFERENCE: "Hvor et forløb gør størst forskel",
}
CRITERION_HINTS: dict[str, str] = {
    Criterion.MOTIVATION: "stærkt fokus på den konkrete sagsbehandling",
    Criterion.READINESS: "politikere, ledere og medarbejdere er involveret",
    Criterion.OTHER_ACTIVITIES: "en større omorganisering i gang trækker ned",
    Criterion.EARLIER_COURSE: "kommuner uden tidligere forløb prioriteres (højt = intet tidligere forløb)",
    Criterion.LARGEST_DIFFERENCE: "hvor et forløb gør den største forskel, bl.a. data fra Børnesagsbarometeret",
}
CRITERION_SHORT: dict[str, str] = {  # the cover table's column heads
    Criterion.MOTIVATION: "Mot.",
    Criterion.READINESS: "Par.",
    Criterion.OTHER_ACTIVITIES: "Øvr.",
    Criterion.EARLIER_COURSE: "Tidl.",
    Criterion.LARGEST_DIFFERENCE: "Forsk.",
}


def score_history(session: Session, application_id: int) -> list[Score]:
    """Every score given to the application, oldest first."""
    return list(session.exec(select(Score).where(Score.application_id == application_id).order_by(Score.id)).all())  # type: ignore[arg-type]


def in_force(history: Sequence[Score]) -> dict[Criterion, Score]:
    """The newest score of each criterion (every earlier one stays, as history)."""
    return {Criterion(r.criterion): r for r in history if r.criterion in tuple(Criterion)}


def scores_in_force(session: Session, application_id: int) -> dict[Criterion, Score]:
    return in_force(score_history(session, application_id))


def totals(values: Iterable[int | None]) -> tuple[int, int]:
    """(the sum of the scores given, how many were given): "ikke vurderet" is no score, not a low one."""
    given = [v for v in values if v is not None]
    return sum(given), len(given)


def parse_value(raw: str) -> int | None:
    """A form's value: "1"–"5", or "" for "ikke vurderet"; anything else is refused (ValueError)."""
    raw = raw.strip()
    if not raw:
        return None
    value = int(raw)
    if value not in SCORE_VALUES:
        raise ValueError(raw)
    return value


# --- the pack's data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """Where a check found what it found: a file, a place in it, the words."""

    file: str
    location: str
    snippet: str


@dataclass(frozen=True)
class PackCheck:
    name: str  # CheckName
    status: str  # in force (the override's, if any)
    bot_status: str
    detail: str
    required: bool = True
    evidence: tuple[Evidence, ...] = ()
    override: str = ""  # "reason — by", when the secretariat overrode the bot


@dataclass(frozen=True)
class PackScore:
    criterion: Criterion
    value: int | None
    note: str = ""
    actor: str = ""


@dataclass(frozen=True)
class PackApplication:
    reference: str
    municipality: str
    cvr: str
    received_at: dt.datetime
    status: str  # the queue status, overrides applied
    overridden: bool
    checks: tuple[PackCheck, ...]
    scores: tuple[PackScore, ...]  # one per criterion, in Criterion order
    decision: str = ""  # Decision, or "" when none is recorded
    decision_comment: str = ""

    @property
    def total(self) -> int:
        return totals(s.value for s in self.scores)[0]

    @property
    def scored(self) -> int:
        return totals(s.value for s in self.scores)[1]


@dataclass(frozen=True)
class Pack:
    """One round's pack: the complete applications in queue order, and how many others the round has."""

    round_id: str
    title: str
    generated_at: dt.datetime
    tz: dt.tzinfo
    applications: tuple[PackApplication, ...]
    not_complete: int = 0


def _checks(item: QueueItem) -> tuple[PackCheck, ...]:
    found, statuses = [], item.check_statuses()
    for name, check in item.checks.items():
        override = item.overrides.get(name)
        evidence = tuple(Evidence(str(c.get("file", "")), str(c.get("location", "")), str(c.get("snippet", "")))
                         for c in check.get("citations") or ())
        found.append(PackCheck(
            name=name, status=statuses[name], bot_status=str(check.get("status", "")),
            detail=str(check.get("detail", "")), required=bool(check.get("required", True)), evidence=evidence,
            override=f"{override['reason']} — {override['by']}" if override else ""))
    return tuple(found)


def pack_scores(scores: Mapping[Criterion, Score]) -> tuple[PackScore, ...]:
    return tuple(PackScore(c, scores[c].value, scores[c].note, scores[c].actor) if c in scores else PackScore(c, None)
                 for c in Criterion)


def pack_of(session: Session, settings: Settings, round_: Round, now: dt.datetime) -> Pack:
    """The round's complete applications as the queue shows them (`QueueItem.status`, the overrides
    applied: never decided again here), each with its checks, scores and decision."""
    items = [i for i in queue(session, settings) if i.round == round_.id and i.kind == ApplicationKind.APPLICATION]
    complete = [i for i in items if i.status == ApplicationStatus.COMPLETE]
    apps = []
    for item in complete:
        decision = decision_in_force(session, item.application_id)
        apps.append(PackApplication(
            reference=item.reference, municipality=item.municipality, cvr=item.cvr, received_at=item.received_at,
            status=item.status, overridden=bool(item.overrides), checks=_checks(item),
            scores=pack_scores(scores_in_force(session, item.application_id)),
            decision=decision.decision if decision else "", decision_comment=decision.comment if decision else ""))
    return Pack(round_.id, round_.title or round_.id, now, settings.timezone, tuple(apps), len(items) - len(complete))

