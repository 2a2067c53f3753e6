"""What the application page's steering-group part shows (templates/_scores.html): the five weighing
criteria with the scores in force and their history, and the decision letter: the draft from the
decision's template, or the letter already sent for the decision in force."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session

from bot.runtime import Runtime
from bot.states import ApplicationKind
from bot.steering import CRITERION_HINTS, CRITERION_NAMES, SCORE_VALUES, Criterion, score_history, totals
from bot.steering import in_force as scores_of
from storage.models import Reply, Score
from triage import actions
from triage.views import ApplicationPage


@dataclass(frozen=True)
class CriterionRow:
    criterion: Criterion
    name: str
    hint: str
    score: Score | None


@dataclass
class SteeringView:
    rows: list[CriterionRow]
    history: list[Score]
    values: tuple[int, ...] = SCORE_VALUES
    letter_draft: str = ""  # the template's text for the decision in force, when no letter is sent yet
    letter: Reply | None = None  # the letter sent for the decision in force
    decision_id: int = 0
    names: dict[str, str] = field(default_factory=lambda: dict(CRITERION_NAMES))

    @property
    def total(self) -> int:
        return totals(r.score.value if r.score is not None else None for r in self.rows)[0]

    @property
    def scored(self) -> int:
        return totals(r.score.value if r.score is not None else None for r in self.rows)[1]


def steering_view(rt: Runtime, page: ApplicationPage, now: dt.datetime) -> SteeringView | None:
    """None for an inquiry: only applications are scored and decided."""
    app = page.app
    if app.kind != ApplicationKind.APPLICATION or app.id is None:
        return None
    with Session(rt.engine) as session:
        history = score_history(session, app.id)
        in_force = scores_of(history)
        letter = actions.letter_sent(session, app, page.decision)
    rows = [CriterionRow(c, CRITERION_NAMES[c], CRITERION_HINTS[c], in_force.get(c)) for c in Criterion]
    draft = ""
    if page.decision is not None and letter is None and page.applicant is not None:
        draft = actions.decision_letter_draft(rt, page.round, app, page.decision, page.applicant, now)
    return SteeringView(rows, history, letter_draft=draft, letter=letter, decision_id=page.decision.id or 0 if page.decision else 0)
