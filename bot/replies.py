"""Danish replies from the secretariat's templates (config/templates/*.txt.j2, first line "Emne: …").

Every reply is built here, recorded as a row, and only then delivered.  Headers per the contract:
Auto-Submitted, X-Auto-Response-Suppress, threading, [REFERENCE] in the subject, X-Taskforce-Reply."""
from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

from sqlmodel import Session, select

from bot.assessment import Assessment
from bot.states import AttachmentRole, CheckName, ReplyKind, ReplyTemplate
from config.settings import Round
from storage.models import Reply

# The Danish names the replies use (the web app shows the same, triage/labels.py)
ROLE_NAMES: dict[str, str] = {
    AttachmentRole.APPLICATION_FORM: "ansøgningsskema",
    AttachmentRole.MINUTES: "referat",
    AttachmentRole.OTHER: "bilag",
    AttachmentRole.UNREADABLE: "kunne ikke læses",
    AttachmentRole.UNREAD: "ikke læst",
}
CHECK_NAMES: dict[str, str] = {
    CheckName.DEADLINE: "Rettidig modtagelse",
    CheckName.APPLICATION_FORM: "Ansøgningsskema",
    CheckName.DIRECTOR_SIGNATURE: "Direktørens underskrift",
    CheckName.POLITICAL_BACKING: "Politisk opbakning (referat)",
    CheckName.INITIAL_MEETING: "Indledende møde med Task Forcen",
}


@dataclass(frozen=True)
class ReceivedFile:
    filename: str
    role: str
    problem: str = ""

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)


@dataclass(frozen=True)
class Answered:
    """The message a reply answers."""

    message_id: str
    references: tuple[str, ...]
    sender: str
    subject: str
    received_at: dt.datetime
    sha256: str


def environment(extra: Path | None = None) -> Environment:
    loaders: list[BaseLoader] = [FileSystemLoader(str(extra))] if extra else []
    loaders.append(PackageLoader("config", "templates"))
    env = Environment(loader=ChoiceLoader(loaders), undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
    env.filters["local"] = lambda when, tz: when.astimezone(tz).strftime("%d.%m.%Y kl. %H:%M:%S")
    return env


def render(env: Environment, kind: str, **context: object) -> tuple[str, str]:
    """Subject and body of a template whose first line is "Emne: …"."""
    text = env.get_template(f"{kind}.txt.j2").render(**context)
    first, _, body = text.partition("\n")
    if not first.lower().startswith("emne:"):
        raise ValueError(f"skabelonen {kind}.txt.j2 skal begynde med en linje 'Emne: …'")
    return first.split(":", 1)[1].strip(), body.lstrip("\n")


@dataclass(frozen=True)
class Notice:
    """One outgoing notice before it is rendered: which occasion (`dedupe_key`), which header kind
    (X-Taskforce-Reply), which template, to whom, and what it says.  `text`, when given, is the body
    as a person wrote it (the secretariat's edited request): the template then gives only the subject."""

    kind: ReplyKind | str
    template: ReplyTemplate | str
    dedupe_key: str
    round: Round
    reference: str
    to: str
    municipality: str = ""
    answered: Answered | None = None
    assessment: Assessment | None = None
    files: tuple[ReceivedFile, ...] = ()
    changes: tuple[str, ...] = ()
    accepted_late: bool = False
    text: str = ""


def reply_message_id(notice: Notice) -> str:
    """Deterministic, so a retried delivery is recognisable as the same mail."""
    domain = notice.round.address.split("@", 1)[1]
    digest = hashlib.sha256(notice.dedupe_key.encode()).hexdigest()[:24]
    return f"<taskforce-intake.{notice.kind}.{digest}@{domain}>"


def compose(env: Environment, notice: Notice, tz: dt.tzinfo, now: dt.datetime) -> EmailMessage:
    assessment = notice.assessment
    answered = notice.answered
    subject, body = render(
        env, notice.template,
        reference=notice.reference, round=notice.round, tz=tz, now=now,
        received_at=answered.received_at if answered else None,
        original_subject=answered.subject if answered else "",
        files=notice.files, municipality=notice.municipality, changes=notice.changes,
        accepted_late=notice.accepted_late, text=notice.text,
        assessment=assessment, missing=assessment.missing if assessment else [],
        checks=assessment.checks if assessment else (), check_names=CHECK_NAMES,
    )
    if notice.text:
        body = notice.text.replace("\r\n", "\n").rstrip("\n") + "\n"
    msg = EmailMessage()
    msg["From"] = notice.round.address
    msg["To"] = notice.to
    msg["Subject"] = f"{subject} [{notice.reference}]" if f"[{notice.reference}]" not in subject else subject
    msg["Date"] = email.utils.format_datetime(now.astimezone(tz))
    msg["Message-ID"] = reply_message_id(notice)
    if answered and answered.message_id:
        msg["In-Reply-To"] = answered.message_id
        msg["References"] = " ".join((*answered.references, answered.message_id))
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Taskforce-Reply"] = str(notice.kind)
    msg["X-Taskforce-Reference"] = notice.reference
    msg.set_content(body, charset="utf-8")
    return msg


def record(session: Session, env: Environment, notice: Notice, tz: dt.tzinfo, now: dt.datetime,
           application_id: int | None, answers_message_id: int | None = None) -> Reply:
    """The notice as a pending outbox row (the same occasion twice gives the row already there).  The one
    way an outgoing mail is made, by the service and the web app alike: the row (with its raw bytes and
    Message-ID) exists before bot/outbox.py tries to send it."""
    existing = session.exec(select(Reply).where(Reply.dedupe_key == notice.dedupe_key)).first()
    if existing is not None:
        return existing
    msg = compose(env, notice, tz, now)
    reply = Reply(dedupe_key=notice.dedupe_key, application_id=application_id, answers_message_id=answers_message_id,
                  kind=str(notice.kind), template=str(notice.template), message_id=msg["Message-ID"], to=notice.to,
                  sender=notice.round.address, subject=str(msg["Subject"]), raw=bytes(msg), created_at=now)
    session.add(reply)
    session.flush()
    return reply
