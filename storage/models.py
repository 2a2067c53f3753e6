"""The tables.  Unique keys make re-processing a no-op: a message by its sha256, a reply by the
message it answers and its kind, an application by its reference."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import Column, DateTime, Index, Text, TypeDecorator, UniqueConstraint, column, func
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

from bot.states import (AnswerState, ApplicationKind, ApplicationStatus, AttachmentRole, Lateness, MessageKind, MessageState,
                        ReceivedSource, ReplyState)


class AwareDateTime(TypeDecorator[dt.datetime]):
    """Timestamps stored in UTC and always read back timezone-aware, in SQLite as in PostgreSQL, so a
    deadline comparison never meets a naive time."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive timestamp {value!r}: every time in the database carries its offset")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def TZ(**kwargs: Any) -> Any:  # noqa: N802 - a column factory
    """An aware timestamp column."""
    return Field(sa_column=Column(AwareDateTime(), **kwargs))


class ServiceState(SQLModel, table=True):
    """Single facts about this installation, e.g. when it first started (the default `answer_from`)."""

    key: str = Field(primary_key=True)
    value: str


class Message(SQLModel, table=True):
    """One received mail.  The raw bytes are in the file store before this row is written."""

    id: Optional[int] = Field(default=None, primary_key=True)
    sha256: str = Field(index=True, unique=True)
    mailbox_key: str = Field(default="", index=True)
    message_id: str = Field(default="", index=True)
    in_reply_to: str = ""
    references: str = Field(default="", sa_column=Column(Text))
    received_at: dt.datetime = TZ(nullable=False)
    received_source: str = ReceivedSource.RECEIVED_HEADER
    sender: str = Field(default="", index=True)
    recipients: str = ""
    subject: str = ""
    kind: str = MessageKind.PENDING  # bot/states.py MessageKind
    automatic_reason: str = ""
    round_id: Optional[str] = Field(default=None, index=True)
    application_id: Optional[int] = Field(default=None, foreign_key="application.id", index=True)
    state: str = MessageState.STORED  # stored -> processed | failed (MessageState)
    error: str = Field(default="", sa_column=Column(Text))
    attempts: Optional[int] = None  # processing attempts that failed (NULL: none; bot/quarantine.py)
    next_attempt_at: Optional[dt.datetime] = TZ(nullable=True)  # when a failed message is tried again
    answered: str = AnswerState.UNDECIDED  # AnswerState: "" | auto | before_answer_from | not_needed | held
    late: str = Lateness.ON_TIME  # a supplement after the deadline (Lateness): "" | accepted (information was requested) | refused
    stored_at: dt.datetime = TZ(nullable=False)
    # read once, when the message is processed, so no page or job parses the raw mail again
    body: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    links: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON list of the body's URLs
    # the trusted receiving server's Authentication-Results, read when stored (parsers/authentication.py):
    # "pass" | "fail" | "none", and the Danish flags (a DMARC fail, a From/envelope domain mismatch)
    auth_verdict: Optional[str] = None
    auth_flags: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))


class Attachment(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    filename: str
    content_type: str = ""
    sha256: str = Field(index=True)
    size: int = 0
    role: str = AttachmentRole.OTHER  # AttachmentRole: application_form | minutes | other | unreadable | unread
    problem: str = ""
    # what the library said when it could not be read (DocumentReading.detail): for the log and the web
    # app, never a reply; NULL for attachments stored before it was kept
    problem_detail: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))


class Document(SQLModel, table=True):
    """One document's reading, by its content and the version of the readers that made it: written
    when the message that carried it is processed, so a dossier is assembled from rows and no document
    is read twice.  `reading` is the reader's typed facts as JSON (storage/readings.py): the text lines
    with their places, the form's fields, the signature block, the minutes' decision, the evidence.
    Raising `parsers.reading.READER_VERSION` makes every document be read again (lazily, or at once
    with `taskforce-intake reread`)."""

    __table_args__ = (UniqueConstraint("sha256", "reader_version"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    sha256: str = Field(index=True)
    reader_version: str
    filename: str  # the name it was first read under (its evidence cites that name)
    role: str  # AttachmentRole
    problem: str = ""
    format: str = ""
    parts: str = ""  # a combined PDF: "application_form 1-3, minutes 4-6"
    reading: str = Field(sa_column=Column(Text, nullable=False))
    read_ms: int = 0
    created_at: dt.datetime = TZ(nullable=False)


class Application(SQLModel, table=True):
    """One municipality's application (or one inquiry) in one round."""

    __table_args__ = (UniqueConstraint("round_id", "sequence"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    reference: str = Field(index=True, unique=True)
    round_id: str = Field(index=True)
    sequence: int
    kind: str = ApplicationKind.APPLICATION  # ApplicationKind: application | inquiry
    municipality: str = ""
    cvr: str = ""
    sender_domain: str = Field(default="", index=True)
    status: str = ApplicationStatus.INCOMPLETE  # ApplicationStatus
    closed: bool = False
    closed_at: Optional[dt.datetime] = TZ(nullable=True)
    received_at: dt.datetime = TZ(nullable=False)
    updated_at: dt.datetime = TZ(nullable=False)


class Assessment(SQLModel, table=True):
    """The rules' verdict after one message; the newest is the application's state."""

    id: Optional[int] = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    message_id: Optional[int] = Field(default=None, foreign_key="message.id")
    complete: bool = False
    status: str = ""
    reply: str = ""
    checks_json: str = Field(default="{}", sa_column=Column(Text))
    created_at: dt.datetime = TZ(nullable=False)


class Reply(SQLModel, table=True):
    """Every outgoing mail, recorded before it is sent (pending -> sent | failed).  `dedupe_key`
    names the occasion (this message's receipt, this application's reminder at this moment), so a
    re-run never records the same notice twice.  Indexed for the loop caps each automatic reply is
    weighed against (bot/loops.py): the replies to a Message-ID, and to a sender (any case) in a day."""

    __table_args__ = (Index("ix_reply_to_lower_created_at", func.lower(column("to")), "created_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    dedupe_key: str = Field(index=True, unique=True)
    application_id: Optional[int] = Field(default=None, foreign_key="application.id", index=True)
    answers_message_id: Optional[int] = Field(default=None, foreign_key="message.id", index=True)
    kind: str  # the X-Taskforce-Reply value
    template: str = ""
    message_id: str = Field(index=True, unique=True)
    to: str
    sender: str
    subject: str
    raw: bytes = b""
    state: str = Field(default=ReplyState.PENDING, index=True)  # ReplyState
    attempts: int = 0
    error: str = ""
    created_at: dt.datetime = TZ(nullable=False)
    sent_at: Optional[dt.datetime] = TZ(nullable=True)
    # The SMTP outbox (bot/outbox.py): pending -> claimed -> sending (DATA handed over) -> sent, or back
    # to pending with next_attempt_at, or failed / in_doubt.  claimed_at is the lease of the flusher.
    next_attempt_at: Optional[dt.datetime] = TZ(nullable=True)
    claimed_at: Optional[dt.datetime] = TZ(nullable=True)


class InformationRequest(SQLModel, table=True):
    """The secretariat asked an applicant for more.  While open, a supplement after the deadline is
    accepted and marked as such (the agency may ask for more after the deadline)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    text: str = Field(default="", sa_column=Column(Text))
    requested_by: str = ""
    reply_id: Optional[int] = Field(default=None, foreign_key="reply.id")
    open: bool = True
    created_at: dt.datetime = TZ(nullable=False)
    closed_at: Optional[dt.datetime] = TZ(nullable=True)


# --- The secretariat's web app (triage/) -------------------------------------------------------


class User(SQLModel, table=True):
    """A secretariat account for the web app; the password is kept only as an argon2 hash.

    `role` (config.settings.Role: laeser | sagsbehandler | admin) was added after accounts existed, so it
    is nullable (storage/db.py adds missing nullable columns): NULL is `sagsbehandler`, what every
    account could do before roles came (triage/access.py `role_of`).  New accounts always get one."""

    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True)
    password_hash: str
    active: bool = True
    created_at: dt.datetime = TZ(nullable=False)
    role: Optional[str] = Field(default=None, nullable=True)


class WebSession(SQLModel, table=True):
    """A signed-in browser (triage/sessions.py).  The cookie carries a random id; only its sha256 is
    stored, so a copy of this table opens nothing.  Deleting the row ends the session in every worker
    process at once: logout, a new password, a closed account."""

    id_hash: str = Field(primary_key=True)  # sha256 hex of the cookie's id
    user_id: int = Field(foreign_key="user.id", index=True)
    csrf_nonce: str  # the forms' CSRF tokens carry it (triage/auth.py Csrf)
    flash: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON: the message of the next page
    created_at: dt.datetime = TZ(nullable=False)
    last_seen_at: dt.datetime = TZ(nullable=False)
    expires_at: dt.datetime = TZ(nullable=False, index=True)


class LoginAttempt(SQLModel, table=True):
    """A failed login, counted per client address and per user name over a moving minute by every
    worker process (triage/auth.py LoginLimiter).  `key` is a sha256, so a password typed into the
    name field is not kept; rows older than the window are deleted."""

    __table_args__ = (Index("ix_loginattempt_scope_key_at", "scope", "key", "at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    scope: str  # client | user
    key: str
    at: dt.datetime = TZ(nullable=False, index=True)


class CheckOverride(SQLModel, table=True):
    """A civil servant's verdict on one check, next to the bot's (which stays in `assessment`).  The
    newest override of a check is the one in force."""

    id: Optional[int] = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    check_name: str
    status: str  # CheckStatus
    reason: str = Field(sa_column=Column(Text, nullable=False))
    by: str
    created_at: dt.datetime = TZ(nullable=False)


class Note(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    by: str
    created_at: dt.datetime = TZ(nullable=False)


class Decision(SQLModel, table=True):
    """The steering group's decision as recorded by the secretariat; the newest is in force."""

    id: Optional[int] = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    decision: str  # Decision: approved | declined | waiting_list
    comment: str = Field(default="", sa_column=Column(Text))
    by: str
    created_at: dt.datetime = TZ(nullable=False)


class Score(SQLModel, table=True):
    """The secretariat's scoring of one of the guideline's five weighing criteria (bot/steering.py
    `Criterion`) for one application, for the steering group.  Every scoring is kept; the newest row of
    a criterion is the one in force.  `value` 1–5 (higher weighs for the application) or NULL:
    "ikke vurderet", which is not a low score and counts in no total."""

    id: Optional[int] = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    criterion: str  # bot.steering.Criterion
    value: Optional[int] = None
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    actor: str
    created_at: dt.datetime = TZ(nullable=False)


class InquiryAnswered(SQLModel, table=True):
    """An inquiry (a question, not an application) the secretariat has answered."""

    id: Optional[int] = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True, unique=True)
    by: str
    created_at: dt.datetime = TZ(nullable=False)


class AuditEvent(SQLModel, table=True):
    """Every action taken in the web app: who, when, what (and on which application, if any)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    application_id: Optional[int] = Field(default=None, foreign_key="application.id", index=True)
    actor: str = Field(index=True)
    action: str  # login | override | note | information_request | decision | inquiry_answered | export | download
    detail: str = Field(default="", sa_column=Column(Text))
    created_at: dt.datetime = TZ(nullable=False)


class Picture(SQLModel, table=True):
    """A picture of a document made from its stored reading (bot/pictures.py, after the reply): a
    cited place highlighted and cropped (`purpose` signature | decision | evidence, `key` names the
    citation: parsers.pictures.citation_key) or a page for the viewer (`page`, key ""), the PNG in the
    file store under `image_sha256`.  One row with purpose `done` and the readers' version as its key
    (no image) says the document's pictures were made, also when there were none to make (a Word file)
    or rendering failed (`problem`), so no pass renders a document twice."""

    __table_args__ = (UniqueConstraint("document_sha256", "purpose", "page", "key"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    document_sha256: str = Field(index=True)
    purpose: str  # signature | decision | evidence | page | done
    page: int = 0
    key: str = ""
    image_sha256: Optional[str] = None
    width: int = 0
    height: int = 0
    problem: str = ""
    created_at: dt.datetime = TZ(nullable=False)
