"""The Danish words the web app shows for the service's codes: one mapping per enum of bot/states.py,
every member named (tests/unit/test_states.py fails for a state without a label).  A value read from
the database as a plain string finds its label too (a StrEnum member hashes as its value)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum

from bot.replies import CHECK_NAMES, ROLE_NAMES
from bot.states import (AnswerState, ApplicationKind, ApplicationStatus, AssessedReply, AttachmentRole, AuditAction, CheckName,
                        CheckStatus, Decision, Lateness, MessageKind, MessageState, ReceivedSource, ReplyKind, ReplyState,
                        ReplyTemplate)

STATUSES: tuple[str, ...] = tuple(ApplicationStatus)
STATUS_NAMES: dict[str, str] = {
    ApplicationStatus.COMPLETE: "Komplet",
    ApplicationStatus.INCOMPLETE: "Mangler noget",
    ApplicationStatus.NEEDS_REVIEW: "Skal vurderes",
    ApplicationStatus.LATE: "For sent",
    ApplicationStatus.INQUIRY: "Henvendelse",
    ApplicationStatus.INCOMPLETE_AT_DEADLINE: "Ufuldstændig ved fristen",
}
APPLICATION_KINDS: dict[str, str] = {ApplicationKind.APPLICATION: "Ansøgning", ApplicationKind.INQUIRY: "Henvendelse"}
CHECK_STATUS_NAMES: dict[str, str] = {
    CheckStatus.OK: "Opfyldt",
    CheckStatus.MISSING: "Mangler",
    CheckStatus.REVIEW: "Skal vurderes",
    CheckStatus.LATE: "For sent",
    CheckStatus.NOT_REQUIRED: "Ikke krævet",
}
DECISION_NAMES: dict[str, str] = {Decision.APPROVED: "Bevilget", Decision.DECLINED: "Afslået", Decision.WAITING_LIST: "Venteliste"}
MESSAGE_KINDS: dict[str, str] = {
    MessageKind.APPLICATION: "Ansøgning",
    MessageKind.SUPPLEMENT: "Eftersendelse",
    MessageKind.INQUIRY: "Henvendelse",
    MessageKind.AUTOMATIC: "Automatisk svar",
    MessageKind.UNROUTED: "Ukendt modtager",
    MessageKind.PENDING: "Ikke behandlet",
}
MESSAGE_STATES: dict[str, str] = {
    MessageState.STORED: "Gemt, ikke behandlet endnu",
    MessageState.PROCESSED: "Behandlet",
    MessageState.FAILED: "Behandlingen fejlede; prøves igen",
    MessageState.QUARANTINED: "I karantæne: behandlingen fejlede gentagne gange",
    MessageState.ERASED: "Slettet efter anmodning fra afsenderen, før den blev behandlet",
}
ANSWER_STATES: dict[str, str] = {
    AnswerState.UNDECIDED: "Ikke afgjort endnu",
    AnswerState.AUTO: "Besvaret automatisk",
    AnswerState.BEFORE_ANSWER_FROM: "Ikke besvaret: modtaget før botten blev slået til",
    AnswerState.NOT_NEEDED: "Kræver ikke svar",
    AnswerState.HELD: "Svar tilbageholdt (grænse for automatiske svar)",
    AnswerState.UNAUTHENTICATED: "Ikke flettet ind: afsenderens ægthed kunne ikke godkendes; venter på sekretariatet",
    AnswerState.UNKNOWN_SENDER: "Ikke besvaret: ukendt afsender (ikke en kommunes adresse, og hverken ansøgningsskema eller referat)",
}
LATENESS: dict[str, str] = {
    Lateness.ON_TIME: "Rettidig",
    Lateness.ACCEPTED: "Efter fristen, taget imod (der er bedt om oplysninger)",
    Lateness.REFUSED: "Efter fristen, afvist",
}
RECEIVED_SOURCES: dict[str, str] = {
    ReceivedSource.IMAP_INTERNALDATE: "mailserverens modtagelsestid (IMAP)",
    ReceivedSource.RECEIVED_HEADER: "øverste Received-linje",
    ReceivedSource.FILE_MTIME: "filens tidsstempel",
    ReceivedSource.STORED_AT: "tidspunktet for lagringen",
}
REPLY_KINDS: dict[str, str] = {
    ReplyKind.RECEIPT: "Kvittering",
    ReplyKind.MISSING_ITEMS: "Mangler",
    ReplyKind.LATE: "For sent",
    ReplyKind.REMINDER: "Påmindelse",
    ReplyKind.CLOSING: "Lukning",
    ReplyKind.NOT_OPEN: "Ikke åben",
    ReplyKind.INFORMATION_REQUEST: "Anmodning om oplysninger",
    ReplyKind.DECISION_APPROVED: "Afgørelsesbrev: bevilget",
    ReplyKind.DECISION_DECLINED: "Afgørelsesbrev: afslået",
    ReplyKind.DECISION_WAITING_LIST: "Afgørelsesbrev: venteliste",
}
REPLY_TEMPLATES: dict[str, str] = {
    **{ReplyTemplate(kind): name for kind, name in REPLY_KINDS.items()},
    ReplyTemplate.SUPPLEMENT_RECEIVED: "Eftersendelse modtaget",
    ReplyTemplate.LATE_SUPPLEMENT: "Eftersendelse efter fristen",
}
ASSESSED_REPLIES: dict[str, str] = {
    AssessedReply.RECEIPT: "Kvittering",
    AssessedReply.MISSING_ITEMS: "Mangler",
    AssessedReply.LATE: "For sent",
    AssessedReply.NOT_OPEN: "Ikke åben",
    AssessedReply.NONE: "Intet svar",
}
REPLY_STATES: dict[str, str] = {
    ReplyState.PENDING: "Venter",
    ReplyState.CLAIMED: "Sendes nu",
    ReplyState.SENDING: "Overdrages til mailserveren",
    ReplyState.SENT: "Sendt",
    ReplyState.FAILED: "Fejlet",
    ReplyState.IN_DOUBT: "Måske sendt: kontrollér",
}
ACTIONS: dict[str, str] = {
    AuditAction.LOGIN: "Logget ind",
    AuditAction.LOGOUT: "Logget ud",
    AuditAction.OVERRIDE: "Tjek overstyret",
    AuditAction.NOTE: "Note tilføjet",
    AuditAction.INFORMATION_REQUEST: "Anmodning om oplysninger sendt",
    AuditAction.DECISION: "Afgørelse",
    AuditAction.INQUIRY_ANSWERED: "Henvendelse besvaret",
    AuditAction.INFORMATION_REQUEST_CLOSED: "Anmodning om oplysninger lukket",
    AuditAction.HELD_REPLY_SENT: "Tilbageholdt svar sendt",
    AuditAction.SCORE: "Vurdering af prioriteringskriterierne",
    AuditAction.DECISION_LETTER: "Afgørelsesbrev sendt",
    AuditAction.EXPORT: "Eksport",
    AuditAction.DOWNLOAD: "Fil hentet",
    AuditAction.RETENTION: "Persondata slettet efter opbevaringstiden",
    AuditAction.SUBJECT_EXPORT: "Indsigt: alle oplysninger om en afsender udleveret",
    AuditAction.SUBJECT_ERASE: "Sletning: oplysninger om en afsender slettet",
}

LABELS: Mapping[type[StrEnum], Mapping[str, str]] = {
    MessageKind: MESSAGE_KINDS,
    MessageState: MESSAGE_STATES,
    AnswerState: ANSWER_STATES,
    Lateness: LATENESS,
    ReceivedSource: RECEIVED_SOURCES,
    AttachmentRole: ROLE_NAMES,
    ApplicationKind: APPLICATION_KINDS,
    ApplicationStatus: STATUS_NAMES,
    CheckName: CHECK_NAMES,
    CheckStatus: CHECK_STATUS_NAMES,
    ReplyKind: REPLY_KINDS,
    ReplyTemplate: REPLY_TEMPLATES,
    AssessedReply: ASSESSED_REPLIES,
    ReplyState: REPLY_STATES,
    Decision: DECISION_NAMES,
    AuditAction: ACTIONS,
}


def label(value: str | None, of: type[StrEnum]) -> str:
    """The Danish name of `value` as a member of `of`; an unknown value (an old row) as it is."""
    text = "" if value is None else str(value)
    return LABELS[of].get(text, text)


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


__all__ = ["CHECK_NAMES", "ROLE_NAMES", "STATUSES", "STATUS_NAMES", "APPLICATION_KINDS", "CHECK_STATUS_NAMES", "DECISION_NAMES",
           "MESSAGE_KINDS", "MESSAGE_STATES", "ANSWER_STATES", "LATENESS", "RECEIVED_SOURCES", "REPLY_KINDS", "REPLY_TEMPLATES",
           "ASSESSED_REPLIES", "REPLY_STATES", "ACTIONS", "LABELS", "label", "local", "countdown"]
