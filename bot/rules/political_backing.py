"""Political backing: attached minutes (referat) of a committee or council meeting where the Task
Force item was approved.  An agenda, a postponed or rejected item, or a link is not enough."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.states import CheckStatus
from bot.rules.base import CheckResult, Dossier
from parsers.minutes import MinutesFacts
from parsers.text import Evidence

REMEDY = (
    "Vedhæft referatet (ikke dagsordenen) fra det udvalgs- eller byrådsmøde, hvor ansøgningen blev "
    "godkendt, som fil (PDF eller Word) i et svar på denne e-mail. Et link er ikke nok."
)
WORDS = {"approved": "godkendt", "postponed": "udsat", "rejected": "ikke godkendt", "none": "uden beslutning"}


def _describe(m: MinutesFacts) -> str:
    body = m.body or "ukendt udvalg"
    date = f" {m.meeting_date:%d.%m.%Y}" if m.meeting_date else ""
    return f"{'Referat' if m.kind == 'referat' else 'Dagsorden'} fra {body}{date} ({m.filename})"


def _evidence(m: MinutesFacts) -> tuple[Evidence, ...]:
    return tuple(e for e in (m.item, m.decision_evidence) if e)


@dataclass(frozen=True)
class Meeting:
    """Which political body decided, and when (from the minutes the verdict rests on)."""

    body: str | None = None
    meeting_date: dt.date | None = None

    def to_json(self) -> dict[str, object]:
        return {"body": self.body, "meeting_date": self.meeting_date.isoformat() if self.meeting_date else None}


class PoliticalBacking:
    name = "political_backing"
    description = "Referat fra et udvalgs- eller byrådsmøde viser en beslutning om at søge."

    def check(self, dossier: Dossier, now: dt.datetime) -> CheckResult:
        minutes = dossier.minutes
        approved = [m for m in minutes if m.kind == "referat" and m.decision == "approved" and m.item]
        if approved:
            m = approved[-1]
            quote = m.decision_evidence.snippet if m.decision_evidence else "godkendt"
            return CheckResult(self.name, CheckStatus.OK, f"{_describe(m)}: punktet »{m.item.snippet}« blev besluttet: »{quote}«.",  # type: ignore[union-attr]
                               evidence=_evidence(m), details=Meeting(m.body, m.meeting_date))
        unclear = [m for m in minutes if m.kind == "referat" and m.decision in ("approved", "none")]
        if unclear:
            m = unclear[-1]
            why = "Task Force-punktet blev ikke fundet" if m.item is None else "beslutningen kunne ikke aflæses"
            return CheckResult(self.name, CheckStatus.REVIEW, f"{_describe(m)}: {why}; sekretariatet kontrollerer referatet.",
                               evidence=_evidence(m), details=Meeting(m.body, m.meeting_date))
        if minutes:
            m = minutes[-1]
            if m.kind == "dagsorden":
                why = "er en dagsorden uden beslutning, ikke et referat"
            else:
                why = f"viser at punktet blev {WORDS[m.decision]}"
            return CheckResult(self.name, CheckStatus.MISSING, f"{_describe(m)} {why}.", evidence=_evidence(m),
                               details=Meeting(m.body, m.meeting_date), remedy=REMEDY)
        links = list(dossier.links)
        if links:
            return CheckResult(self.name, CheckStatus.MISSING, f"Der er kun henvist til et link ({links[0]}), ikke vedhæftet et referat.", remedy=REMEDY,
                               details=Meeting())
        form = dossier.form
        said = f" Skemaet siger: »{form.political.text}«." if form and form.political and form.political.text else ""
        return CheckResult(self.name, CheckStatus.MISSING, "Intet referat af politisk behandling er vedhæftet." + said, remedy=REMEDY,
                           details=Meeting())
