"""Danish replies from the secretariat's templates (config/templates/*.txt.j2, first line "Emne: …").

Every reply is built here, recorded as a row, and only then delivered.  Headers per the contract:
Auto-Submitted, X-Auto-Response-Suppress, threading, [REFERENCE] in the subject, X-Taskforce-Reply."""
from __future__ import annotations

import datetime as dt
import email.utils
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

from bot.assessment import Assessment
from config.settings import Round

ROLE_NAMES = {
    "application_form": "ansøgningsskema",
    "minutes": "referat",
    "other": "bilag",
    "unreadable": "kunne ikke læses",
}
CHECK_NAMES = {
    "deadline": "Rettidig modtagelse",
    "application_form": "Ansøgningsskema",
    "director_signature": "Direktørens underskrift",
    "political_backing": "Politisk opbakning (referat)",
    "initial_meeting": "Indledende møde med Task Forcen",
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
    loaders = [FileSystemLoader(str(extra))] if extra else []
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


def reply_message_id(kind: str, answered_sha: str, round_: Round) -> str:
    """Deterministic, so a retried delivery is recognisable as the same mail."""
    domain = round_.address.split("@", 1)[1]
    return f"<taskforce-intake.{kind}.{answered_sha[:24]}@{domain}>"


def compose(
    env: Environment,
    kind: str,
    round_: Round,
    reference: str,
    answered: Answered,
    tz: dt.tzinfo,
    now: dt.datetime,
    assessment: Assessment | None = None,
    files: tuple[ReceivedFile, ...] = (),
    municipality: str = "",
    message_id: str | None = None,
) -> EmailMessage:
    subject, body = render(
        env, kind,
        reference=reference, round=round_, tz=tz, received_at=answered.received_at,
        original_subject=answered.subject, files=files, municipality=municipality,
        assessment=assessment, missing=assessment.missing if assessment else [],
        checks=assessment.checks if assessment else (), check_names=CHECK_NAMES,
    )
    msg = EmailMessage()
    msg["From"] = round_.address
    msg["To"] = answered.sender
    msg["Subject"] = f"{subject} [{reference}]" if f"[{reference}]" not in subject else subject
    msg["Date"] = email.utils.format_datetime(now.astimezone(tz))
    msg["Message-ID"] = message_id or reply_message_id(kind, answered.sha256, round_)
    if answered.message_id:
        msg["In-Reply-To"] = answered.message_id
        msg["References"] = " ".join((*answered.references, answered.message_id))
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Taskforce-Reply"] = kind
    msg["X-Taskforce-Reference"] = reference
    msg.set_content(body, charset="utf-8")
    return msg
