"""What every rule sees and returns.  A rule is a small object with `name`, `description` and one
`check(dossier, now)`; it reads no clock, no database and no file."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from bot.states import CheckStatus
from config.settings import Round
from parsers.form import FormFacts
from parsers.minutes import MinutesFacts
from parsers.reading import DocumentReading
from parsers.text import Evidence

Status = CheckStatus  # shared with the tables (checkoverride.status) and the web labels


@dataclass(frozen=True)
class ReceivedDocument:
    """A document with the time its mail was received."""

    reading: DocumentReading
    received_at: dt.datetime


@dataclass(frozen=True)
class Dossier:
    """Everything known about one application: its documents in arrival order (stored readings in the
    service) and the links its mails' bodies carry (minutes published on the municipality's site)."""

    round: Round
    received_at: dt.datetime
    documents: tuple[ReceivedDocument, ...]
    links: tuple[str, ...] = ()

    @property
    def forms(self) -> list[FormFacts]:
        """Newest last: a resent form replaces the one before it."""
        return [d.reading.form for d in self.documents if d.reading.form is not None]

    @property
    def form(self) -> FormFacts | None:
        forms = self.forms
        return forms[-1] if forms else None

    @property
    def minutes(self) -> list[MinutesFacts]:
        return [d.reading.minutes for d in self.documents if d.reading.minutes is not None]

    @property
    def unreadable(self) -> list[DocumentReading]:
        return [d.reading for d in self.documents if d.reading.role == "unreadable"]


class Details(Protocol):
    """What one rule reports beyond status and detail, typed by the rule that owns it (the director's
    signature: what kind of evidence; political backing: which body, which meeting …) and written into
    the check's JSON by that rule alone."""

    def to_json(self) -> dict[str, object]: ...


@dataclass(frozen=True)
class NoDetails:
    def to_json(self) -> dict[str, object]:
        return {}


@dataclass(frozen=True)
class CheckResult:
    """One criterion's verdict.  `detail` is Danish and names its evidence; `remedy` says what would
    satisfy a missing item, for the notice to the municipality; `details` are the rule's own facts."""

    name: str
    status: Status
    detail: str
    required: bool = True
    evidence: tuple[Evidence, ...] = ()
    remedy: str = ""
    details: Details = NoDetails()

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"status": self.status, "detail": self.detail, "required": self.required}
        if self.remedy:
            out["remedy"] = self.remedy
        out.update(self.details.to_json())
        out["citations"] = [{"file": e.file, "location": e.location, "snippet": e.snippet} for e in self.evidence]
        return out


class Rule(Protocol):
    name: str
    description: str

    def check(self, dossier: Dossier, now: dt.datetime) -> CheckResult: ...
