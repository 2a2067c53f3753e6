"""The Danish words the web app shows for the service's codes."""
from __future__ import annotations

import datetime as dt

from bot.replies import CHECK_NAMES, ROLE_NAMES

STATUSES = ("complete", "incomplete", "needs_review", "late", "inquiry", "incomplete_at_deadline")
STATUS_NAMES = {
    "complete": "Komplet",
    "incomplete": "Mangler noget",
    "needs_review": "Skal vurderes",
    "late": "For sent",
    "inquiry": "Henvendelse",
    "incomplete_at_deadline": "Ufuldstændig ved fristen",
}
CHECK_STATUS_NAMES = {
    "ok": "Opfyldt",
    "missing": "Mangler",
    "review": "Skal vurderes",
    "late": "For sent",
    "not_required": "Ikke krævet",
}
DECISION_NAMES = {"approved": "Bevilget", "declined": "Afslået", "waiting_list": "Venteliste"}
MESSAGE_KINDS = {
    "application": "Ansøgning",
    "supplement": "Eftersendelse",
    "inquiry": "Henvendelse",
    "automatic": "Automatisk svar",
    "unrouted": "Ukendt modtager",
    "pending": "Ikke behandlet",
}
REPLY_KINDS = {
    "receipt": "Kvittering",
    "missing_items": "Mangler",
    "late": "For sent",
    "reminder": "Påmindelse",
    "closing": "Lukning",
    "not_open": "Ikke åben",
    "information_request": "Anmodning om oplysninger",
}
REPLY_STATES = {"pending": "Venter", "sent": "Sendt", "failed": "Fejlet"}
ACTIONS = {
    "login": "Logget ind",
    "logout": "Logget ud",
    "override": "Tjek overstyret",
    "note": "Note",
    "information_request": "Anmodning om oplysninger sendt",
    "decision": "Afgørelse",
    "inquiry_answered": "Henvendelse besvaret",
    "information_request_closed": "Anmodning om oplysninger lukket",
    "held_reply_sent": "Tilbageholdt svar sendt",
    "export": "Eksport",
    "download": "Fil hentet",
}


def local(when: dt.datetime | None, tz: dt.tzinfo, seconds: bool = True) -> str:
    if when is None:
        return ""
    return when.astimezone(tz).strftime("%d.%m.%Y %H:%M:%S" if seconds else "%d.%m.%Y %H:%M")


def countdown(deadline: dt.datetime | None, now: dt.datetime) -> str:
    """'3 dage og 4 timer tilbage', 'udløbet for 2 dage siden', or '' for a rolling round."""
    if deadline is None:
        return ""
    left = deadline - now
    past = left.total_seconds() < 0
    span = abs(left)
    days, hours, minutes = span.days, span.seconds // 3600, (span.seconds % 3600) // 60
    parts = [f"{days} {'dag' if days == 1 else 'dage'}"] if days else []
    if hours or days:
        parts.append(f"{hours} {'time' if hours == 1 else 'timer'}")
    if not days:
        parts.append(f"{minutes} {'minut' if minutes == 1 else 'minutter'}")
    text = " og ".join(parts[:2])
    return f"Fristen udløb for {text} siden" if past else f"{text} tilbage"


__all__ = ["CHECK_NAMES", "ROLE_NAMES", "STATUSES", "STATUS_NAMES", "CHECK_STATUS_NAMES", "DECISION_NAMES",
           "MESSAGE_KINDS", "REPLY_KINDS", "REPLY_STATES", "ACTIONS", "local", "countdown"]
