"""The noon deadline: received at or before the deadline second (12:00:00 local) is on time.

Received time is the receiving server's stamp, never the sender's Date header; `now` plays no part.
"""
from __future__ import annotations

import datetime as dt

from bot.states import CheckStatus
from bot.rules.base import CheckResult, Dossier


def local(when: dt.datetime, tz: dt.tzinfo) -> str:
    return when.astimezone(tz).strftime("%d.%m.%Y kl. %H:%M:%S")


class Deadline:
    name = "deadline"
    description = "Ansøgningen er modtaget senest ved fristen (kl. 12.00 på fristdagen)."

    def check(self, dossier: Dossier, now: dt.datetime) -> CheckResult:
        deadline = dossier.round.deadline
        if deadline is None:
            return CheckResult(self.name, CheckStatus.OK, "Løbende ansøgning uden frist: behandles efter først til mølle.")
        tz = deadline.tzinfo or dt.timezone.utc  # settings always give the deadline its zone
        received = local(dossier.received_at, tz)
        if dossier.received_at <= deadline:
            return CheckResult(self.name, CheckStatus.OK, f"Modtaget {received}, inden fristen {local(deadline, tz)}.")
        return CheckResult(
            self.name, CheckStatus.LATE, f"Modtaget {received}, efter fristen {local(deadline, tz)}.",
            remedy="Ansøgninger modtaget efter fristen kan ikke komme i betragtning.",
        )
