"""The decision over one message, as a pure function of what is known and `now`.

`bot/intake.py` queries the database into these values, calls `decide`, and writes what it returns;
nothing here reads a clock, a file or a table, so every path of the decision is tested by building
its inputs directly (tests/unit/test_decision.py).  The order is the data flow's: a robot or an
unrouted mail is settled from its envelope (`screen`) before any attachment is opened; a supplement
refused as late is settled before its attachments are read (`opens_attachments`); the rest is
assessed over the stored readings of the whole application."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

from bot.assessment import Assessment, assess
from bot.classify import kind_of
from bot.replies import CHECK_NAMES, ReceivedFile
from bot.routing import Routing
from bot.rules import Dossier, ReceivedDocument
from bot.states import (AnswerState, ApplicationKind, AttachmentRole, ApplicationStatus, CheckName, CheckStatus, Lateness, MessageKind, ReplyKind,
                        ReplyTemplate)
from config.settings import Round
from parsers.message import MessageFacts
from parsers.reading import DocumentReading


@dataclass(frozen=True)
class Incoming:
    """One message as the decision sees it: when it was received, the readings of its documents and
    the links in its body (all stored, so a held mail is decided again without parsing it)."""

    received_at: dt.datetime
    documents: tuple[DocumentReading, ...]
    links: tuple[str, ...] = ()
    opened: bool = True  # False: the attachments were kept but not read (a supplement refused as late)
    sender_known: bool = True  # the sender's domain is a municipality's (the municipality list)
    spoofed: bool = False  # the trusted receiving server says the sender failed DMARC (or SPF and DKIM)


@dataclass(frozen=True)
class Standing:
    """The application the message joins, as it stood before the message."""

    created: bool  # the message starts it
    kind: str  # application | inquiry
    closed: bool
    information_requested: bool  # an open request for information (a supplement after the deadline is accepted)
    previous: Mapping[str, str]  # each check's status in the latest assessment
    earlier: tuple[ReceivedDocument, ...]  # the stored readings of its earlier messages, in arrival order
    links: tuple[str, ...] = ()  # the links in its earlier messages' bodies
    first_received: dt.datetime | None = None


@dataclass(frozen=True)
class Planned:
    """The notice a message calls for (rendered and recorded by `bot.replies.record`)."""

    kind: str  # the X-Taskforce-Reply value
    template: str
    files: tuple[ReceivedFile, ...] = ()
    changes: tuple[str, ...] = ()  # checks that were not ok before this message and are now
    accepted_late: bool = False


@dataclass(frozen=True)
class Outcome:
    """What one message is and what follows from it."""

    kind: MessageKind
    late: Lateness = Lateness.ON_TIME
    application_kind: ApplicationKind = ApplicationKind.APPLICATION
    status: ApplicationStatus | None = None  # the application's new status (None: unchanged)
    assessment: Assessment | None = None
    notice: Planned | None = None
    no_reply: AnswerState = AnswerState.UNDECIDED  # why there is no notice: not_needed | before_answer_from
    reason: str = ""  # a robot's: what made it one (RFC 3834 header, bounce, our own address)


def screen(facts: MessageFacts, own_address: str | None, routing: Routing) -> Outcome | None:
    """A robot (RFC 3834), our own mail, or mail to no round: settled from the envelope alone."""
    if facts.automatic or own_address:
        return Outcome(MessageKind.AUTOMATIC, no_reply=AnswerState.NOT_NEEDED, reason=facts.automatic or own_address or "")
    if routing.round is None:
        return Outcome(MessageKind.UNROUTED, no_reply=AnswerState.NOT_NEEDED)
    return None


def past_deadline(round_: Round, received_at: dt.datetime) -> bool:
    """Received after the round's deadline second (a rolling round has none)."""
    return round_.deadline is not None and received_at > round_.deadline


def is_late_supplement(round_: Round, received_at: dt.datetime, joins_application: bool, information_requested: bool) -> bool:
    """Documents that join an application after the round's deadline are refused, unless the
    secretariat asked for more (the agency may ask after the deadline)."""
    return past_deadline(round_, received_at) and joins_application and not information_requested


def opens_attachments(has_attachments: bool, round_: Round, received_at: dt.datetime, joins_application: bool,
                      information_requested: bool) -> bool:
    """Whether the message's documents are worth reading: not for a supplement that will be refused."""
    return not (has_attachments and is_late_supplement(round_, received_at, joins_application, information_requested))


def answers_sender(incoming: Incoming, joins_application: bool) -> bool:
    """An automatic reply goes only to a municipality's address, to mail that joins an application, or
    to mail carrying what the reader recognised as the form or minutes.  Anyone can write to the round's
    address, and the From of spam is often forged: a reply to a stranger is backscatter to an innocent
    person, so that mail waits in the queue as "ukendt afsender" for the secretariat to answer."""
    recognised = any(d.role in (AttachmentRole.APPLICATION_FORM, AttachmentRole.MINUTES) for d in incoming.documents)
    return incoming.sender_known or joins_application or recognised


def decide(incoming: Incoming, standing: Standing, round_: Round, round_open: bool, answer_from: dt.datetime,
           now: dt.datetime, force: bool = False) -> Outcome:
    """The kind of the message, its lateness, the application's assessment and the notice it calls for.
    `force`: the secretariat sends the reply held for mail from before `answer_from`."""
    joins = not standing.created and standing.kind == "application"
    documents = bool(incoming.documents) or not incoming.opened
    kind = MessageKind(kind_of(False, {d.role for d in incoming.documents}, documents, joins))  # robots were screened out
    with_documents = kind in (MessageKind.APPLICATION, MessageKind.SUPPLEMENT)
    app_kind = ApplicationKind.APPLICATION if with_documents else ApplicationKind(standing.kind)
    late = Lateness.ON_TIME
    if with_documents and not standing.created and past_deadline(round_, incoming.received_at):
        late = Lateness.ACCEPTED if standing.information_requested else Lateness.REFUSED

    def reply(outcome: Outcome, planned: Planned | None, opened_round: bool = round_open) -> Outcome:
        """The notice, or why none: mail from before `answer_from` waits for the secretariat, and a
        round that is not open answers only that."""
        if not force and incoming.received_at < answer_from:
            return _with(outcome, no_reply=AnswerState.BEFORE_ANSWER_FROM)
        if not force and not answers_sender(incoming, joins):
            return _with(outcome, no_reply=AnswerState.UNKNOWN_SENDER)
        if not opened_round:
            planned = Planned(ReplyKind.NOT_OPEN, ReplyTemplate.NOT_OPEN)
        if planned is None:
            return _with(outcome, no_reply=AnswerState.NOT_NEEDED)
        return _with(outcome, notice=planned)

    if joins and with_documents and incoming.spoofed and not force:
        # documents from someone who may not be the municipality are not merged into its application
        return Outcome(kind, late, app_kind, no_reply=AnswerState.UNAUTHENTICATED)
    if not with_documents:
        status = ApplicationStatus.INQUIRY if app_kind == ApplicationKind.INQUIRY else None
        return reply(Outcome(kind, application_kind=app_kind, status=status), None)
    if late == Lateness.REFUSED:
        files = tuple(ReceivedFile(d.filename, d.role, d.problem or "") for d in incoming.documents)
        return reply(Outcome(kind, late, app_kind), Planned(ReplyKind.LATE, ReplyTemplate.LATE_SUPPLEMENT, files), opened_round=True)
    here = tuple(ReceivedDocument(d, incoming.received_at) for d in incoming.documents)
    dossier_documents = standing.earlier + here
    first = min(t for t in (standing.first_received, incoming.received_at) if t is not None)
    dossier = Dossier(round=round_, received_at=first, documents=dossier_documents, links=standing.links + incoming.links)
    assessment = assess(dossier, now)
    status = ApplicationStatus(assessment.status) if not (standing.closed and assessment.status != ApplicationStatus.COMPLETE) else None
    changes = tuple(CHECK_NAMES[CheckName(c.name)] for c in assessment.checks
                    if c.status == CheckStatus.OK and standing.previous.get(c.name) not in (None, CheckStatus.OK, CheckStatus.LATE))
    supplement = not standing.created and assessment.reply != "late"
    files = tuple(ReceivedFile(d.reading.filename, d.reading.role, d.reading.problem or "") for d in dossier_documents)
    planned = Planned(assessment.reply, ReplyTemplate.SUPPLEMENT_RECEIVED if supplement else assessment.reply, files, changes,
                      late == Lateness.ACCEPTED)
    return reply(Outcome(kind, late, app_kind, status, assessment), planned)


def _with(outcome: Outcome, **changes: object) -> Outcome:
    return replace(outcome, **changes)  # type: ignore[arg-type]
