"""Every state and kind the service stores, as `StrEnum`s shared by the tables, the rules and the web
app's labels (triage/labels.py gives each member its Danish name; a test fails for a member without one).

The values are exactly the strings in the database rows, the JSON output and the reply headers, so a
member compares, hashes and serialises as its string: `ReplyState.SENT == "sent"`, `json.dumps` writes
`"sent"`, and a row read back as a plain `str` finds its label in a dict keyed by members."""
from __future__ import annotations

from enum import StrEnum


class MessageKind(StrEnum):
    """`message.kind`: what a received mail turned out to be."""

    APPLICATION = "application"
    SUPPLEMENT = "supplement"
    INQUIRY = "inquiry"
    AUTOMATIC = "automatic"  # RFC 3834 robots (auto-replies, bounces, lists) and our own addresses
    UNROUTED = "unrouted"  # sent to an address no round has
    PENDING = "pending"  # stored, not yet processed


class MessageState(StrEnum):
    """`message.state`: stored -> processed | failed (with `message.error`, tried again from the stored
    copy) -> quarantined (given up after `[mailbox] failed_attempts`, until `taskforce-intake retry`); a mail
    erased before it was processed is `erased`."""

    STORED = "stored"
    PROCESSED = "processed"
    FAILED = "failed"
    QUARANTINED = "quarantined"
    ERASED = "erased"  # never processed, then erased for its sender (GDPR art. 17): never processed again


class AnswerState(StrEnum):
    """`message.answered`: whether, and why not, the mail got an automatic reply."""

    UNDECIDED = ""  # not processed yet
    AUTO = "auto"  # a reply was recorded
    BEFORE_ANSWER_FROM = "before_answer_from"  # received before `answer_from`: waits for the secretariat
    NOT_NEEDED = "not_needed"  # robots, unrouted mail, inquiries
    HELD = "held"  # over a loop or abuse cap (the reason in `message.automatic_reason`)
    UNAUTHENTICATED = "unauthenticated"  # a supplement whose sender failed DMARC: not merged, waits for the secretariat
    UNKNOWN_SENDER = "unknown_sender"  # not a municipality's address, no form or minutes: waits for the secretariat


# the mail whose reply waits for a person: the web app's "send the reply now" (bot.intake.answer_held)
HELD_FOR_SECRETARIAT = (AnswerState.BEFORE_ANSWER_FROM, AnswerState.UNKNOWN_SENDER, AnswerState.UNAUTHENTICATED)
# senders the bot writes to only after the secretariat has answered them: no reminder, no closing notice
NOT_WRITTEN_TO = (AnswerState.UNKNOWN_SENDER, AnswerState.UNAUTHENTICATED)


SETTLED = (MessageState.PROCESSED, MessageState.ERASED)  # a stored mail that is never processed (again)


class Lateness(StrEnum):
    """`message.late`: a supplement after the deadline."""

    ON_TIME = ""
    ACCEPTED = "accepted"  # the secretariat had asked for information
    REFUSED = "refused"


class ReceivedSource(StrEnum):
    """`message.received_source`: where the received time came from (never the sender's Date:)."""

    IMAP_INTERNALDATE = "imap-internaldate"
    RECEIVED_HEADER = "received-header"
    FILE_MTIME = "file-mtime"
    STORED_AT = "stored-at"


class AttachmentRole(StrEnum):
    """`attachment.role`, and `attachments[].role` of `check --json`."""

    APPLICATION_FORM = "application_form"
    MINUTES = "minutes"
    OTHER = "other"
    UNREADABLE = "unreadable"
    UNREAD = "unread"  # kept as a file, never read: a robot's, an unrouted or a refused late mail


class ApplicationKind(StrEnum):
    """`application.kind`, and `kind` of `queue --json`."""

    APPLICATION = "application"
    INQUIRY = "inquiry"


class ApplicationStatus(StrEnum):
    """`application.status`, `assessment.status`, and `status` of `queue --json`."""

    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    NEEDS_REVIEW = "needs_review"
    LATE = "late"
    INQUIRY = "inquiry"
    INCOMPLETE_AT_DEADLINE = "incomplete_at_deadline"


class CheckName(StrEnum):
    """The minimum criteria: the keys of `checks` (`assessment.checks_json`, `check --json`) and
    `checkoverride.check_name`."""

    DEADLINE = "deadline"
    APPLICATION_FORM = "application_form"
    DIRECTOR_SIGNATURE = "director_signature"
    POLITICAL_BACKING = "political_backing"
    INITIAL_MEETING = "initial_meeting"


class CheckStatus(StrEnum):
    """A check's `status` (the rules' `CheckResult.status`, `checks_json`) and `checkoverride.status`."""

    OK = "ok"
    MISSING = "missing"
    REVIEW = "review"
    LATE = "late"
    NOT_REQUIRED = "not_required"


class ReplyKind(StrEnum):
    """`reply.kind`: the `X-Taskforce-Reply` header of an outgoing mail (CONTRACT.md)."""

    RECEIPT = "receipt"
    MISSING_ITEMS = "missing_items"
    LATE = "late"
    REMINDER = "reminder"
    CLOSING = "closing"
    NOT_OPEN = "not_open"
    INFORMATION_REQUEST = "information_request"
    # the decision letters, written from the template of their own name and edited by the secretariat
    DECISION_APPROVED = "decision_approved"
    DECISION_DECLINED = "decision_declined"
    DECISION_WAITING_LIST = "decision_waiting_list"


class ReplyTemplate(StrEnum):
    """`reply.template`: config/templates/<value>.txt.j2.  A supplement is answered with the kind the
    assessment calls for (receipt or missing_items) in the words of `supplement_received`; a refused
    late supplement with kind `late` in those of `late_supplement`."""

    RECEIPT = "receipt"
    MISSING_ITEMS = "missing_items"
    LATE = "late"
    REMINDER = "reminder"
    CLOSING = "closing"
    NOT_OPEN = "not_open"
    INFORMATION_REQUEST = "information_request"
    SUPPLEMENT_RECEIVED = "supplement_received"
    LATE_SUPPLEMENT = "late_supplement"
    DECISION_APPROVED = "decision_approved"
    DECISION_DECLINED = "decision_declined"
    DECISION_WAITING_LIST = "decision_waiting_list"


class AssessedReply(StrEnum):
    """`assessment.reply` and `reply` of `check --json`: the reply a message calls for."""

    RECEIPT = "receipt"
    MISSING_ITEMS = "missing_items"
    LATE = "late"
    NOT_OPEN = "not_open"
    NONE = "none"  # automatic messages, inquiries, unrouted mail


class ReplyState(StrEnum):
    """`reply.state`, the outbox (bot/outbox.py): pending -> claimed -> sending -> sent, back to pending
    after a temporary failure, failed when refused for good, in_doubt after a crash during DATA."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    IN_DOUBT = "in_doubt"


class Decision(StrEnum):
    """`decision.decision`: the steering group's decision as recorded by the secretariat."""

    APPROVED = "approved"
    DECLINED = "declined"
    WAITING_LIST = "waiting_list"


class AuditAction(StrEnum):
    """`auditevent.action`: what was done in the web app, or to personal data from the command line."""

    LOGIN = "login"
    LOGOUT = "logout"
    OVERRIDE = "override"
    NOTE = "note"
    DECISION = "decision"
    INQUIRY_ANSWERED = "inquiry_answered"
    INFORMATION_REQUEST = "information_request"
    INFORMATION_REQUEST_CLOSED = "information_request_closed"
    HELD_REPLY_SENT = "held_reply_sent"
    SCORE = "score"  # the secretariat's scoring of the guideline's weighing criteria (bot/steering.py)
    DECISION_LETTER = "decision_letter"  # a decision letter recorded and sent
    EXPORT = "export"
    DOWNLOAD = "download"
    RETENTION = "retention"  # `retention apply` deleted personal data (bot/retention.py)
    SUBJECT_EXPORT = "subject_export"  # `subject export`: everything about one address (GDPR art. 15)
    SUBJECT_ERASE = "subject_erase"  # `subject erase` (art. 17)


ALL: tuple[type[StrEnum], ...] = (
    MessageKind, MessageState, AnswerState, Lateness, ReceivedSource, AttachmentRole, ApplicationKind, ApplicationStatus,
    CheckName, CheckStatus, ReplyKind, ReplyTemplate, AssessedReply, ReplyState, Decision, AuditAction,
)
