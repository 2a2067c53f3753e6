"""One decision over all rules of a programme: complete or not, and which reply it calls for."""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from bot.rules import PROGRAMMES, CheckResult, Dossier

ReplyKind = Literal["receipt", "missing_items", "late", "none"]


@dataclass(frozen=True)
class Assessment:
    checks: tuple[CheckResult, ...]
    complete: bool
    reply: ReplyKind

    def check(self, name: str) -> CheckResult:
        return next(c for c in self.checks if c.name == name)

    @property
    def late(self) -> bool:
        return self.check("deadline").status == "late"

    @property
    def missing(self) -> list[CheckResult]:
        return [c for c in self.checks if c.required and c.status == "missing"]

    @property
    def needs_review(self) -> bool:
        return any(c.status == "review" for c in self.checks)

    @property
    def status(self) -> str:
        """The queue status: late, complete, incomplete or needs_review."""
        return status_from({c.name: c.status for c in self.checks}, {c.name for c in self.checks if c.required})


def status_from(statuses: Mapping[str, str], required: Collection[str]) -> str:
    """The one rule from checks to the queue status, for the bot's verdicts and for them with the
    secretariat's overrides applied (bot/overrides.py): late beats a required check missing, which
    beats anything to review; otherwise complete."""
    if any(s == "late" for s in statuses.values()):
        return "late"
    if any(statuses.get(name) == "missing" for name in required):
        return "incomplete"
    if any(s == "review" for s in statuses.values()):
        return "needs_review"
    return "complete"


def assess(dossier: Dossier, now: dt.datetime) -> Assessment:
    """Run every rule of the round's programme, then decide once."""
    checks = tuple(rule.check(dossier, now) for rule in PROGRAMMES[dossier.round.programme])
    late = any(c.status == "late" for c in checks)
    complete = not late and all(c.status in ("ok", "not_required") for c in checks if c.required)
    if late:
        reply: ReplyKind = "late"
    elif any(c.required and c.status == "missing" for c in checks):
        reply = "missing_items"
    else:
        reply = "receipt"
    return Assessment(checks, complete, reply)
