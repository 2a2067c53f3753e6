"""The initial meeting ("indledende møde") with the Task Force, held before applying.  Required for
børn og unge, only recommended for handicap."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from bot.states import CheckStatus
from bot.rules.base import CheckResult, Dossier

REMEDY = (
    "Angiv i ansøgningsskemaet (afsnit 2), hvornår det indledende møde mellem direktøren, ledergruppen "
    "og Task Forcen blev holdt, og send skemaet igen i et svar på denne e-mail."
)


@dataclass(frozen=True)
class MeetingDate:
    """The date the form gives for the initial meeting with the Task Force, if any."""

    date: dt.date | None = None

    def to_json(self) -> dict[str, object]:
        return {"date": self.date.isoformat() if self.date else None}


class InitialMeeting:
    name = "initial_meeting"
    description = "Det indledende møde med Task Forcen er holdt før ansøgningen."

    def __init__(self, required: bool = True) -> None:
        self.required = required

    def check(self, dossier: Dossier, now: dt.datetime) -> CheckResult:
        result = self._judge(dossier)
        if not isinstance(result.details, MeetingDate):
            result = replace(result, details=MeetingDate())  # "date" is in the JSON of every verdict, null when none
        if self.required:
            return result
        detail = "Anbefales, men er ikke et krav i denne runde. " + result.detail
        return CheckResult(self.name, CheckStatus.NOT_REQUIRED, detail, required=False, evidence=result.evidence, details=result.details)

    def _judge(self, dossier: Dossier) -> CheckResult:
        form = dossier.form
        answer = form.initial_meeting if form else None
        if form is None:
            return CheckResult(self.name, CheckStatus.MISSING, "Intet ansøgningsskema, og derfor ingen oplysning om det indledende møde.", remedy=REMEDY)
        if answer is None or not answer.text:
            return CheckResult(self.name, CheckStatus.MISSING, f"Spørgsmålet om det indledende møde er ikke besvaret i {form.filename}.",
                               evidence=(answer.evidence,) if answer and answer.evidence else (), remedy=REMEDY)
        evidence = (answer.evidence,) if answer.evidence else ()
        if not answer.yes:
            return CheckResult(self.name, CheckStatus.MISSING, f"Skemaet svarer »{answer.text}«: mødet er ikke holdt.", evidence=evidence, remedy=REMEDY)
        if answer.date is None:
            return CheckResult(self.name, CheckStatus.REVIEW, f"Skemaet svarer »{answer.text}«, men uden dato.", evidence=evidence)
        received = dossier.received_at.date()
        if answer.date > received:
            return CheckResult(self.name, CheckStatus.REVIEW,
                               f"Mødet er dateret {answer.date:%d.%m.%Y}, efter ansøgningen blev modtaget ({received:%d.%m.%Y}).",
                               evidence=evidence, details=MeetingDate(answer.date))
        return CheckResult(self.name, CheckStatus.OK, f"Indledende møde holdt {answer.date:%d.%m.%Y}: »{answer.text}«.", evidence=evidence,
                           details=MeetingDate(answer.date))
