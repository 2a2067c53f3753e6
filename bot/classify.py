"""What a mail is: an application, a supplement to one, an inquiry, or an automatic message."""
from __future__ import annotations

import re
from typing import Literal

from parsers.message import MessageFacts
from parsers.reading import DocumentReading

Kind = Literal["application", "supplement", "inquiry", "automatic"]
REPLY_SUBJECT = re.compile(r"^\s*(sv|re|vs|aw|fw|fwd)\s*:", re.I)


def is_reply(facts: MessageFacts) -> bool:
    return bool(facts.in_reply_to or facts.references or REPLY_SUBJECT.match(facts.subject))


def message_kind(facts: MessageFacts, readings: list[DocumentReading], joins_application: bool | None = None) -> Kind:
    """A form makes an application; other documents (minutes, bilag) make a supplement only when there
    is an application to supplement: `joins_application` says so in the service; on its own (`check`) a
    reply is taken to join one.  A first mail with the minutes and "skemaet eftersendes" is an
    application with the form missing.  A mail without documents is an inquiry."""
    joins = is_reply(facts) if joins_application is None else joins_application
    return kind_of(bool(facts.automatic), {r.role for r in readings}, bool(readings), joins)


def kind_of(automatic: bool, roles: set[str], has_documents: bool, joins: bool) -> Kind:
    """`message_kind` from what it depends on (the service decides from stored facts, bot/decision.py)."""
    if automatic:
        return "automatic"
    if "application_form" in roles:
        return "application"
    if has_documents and joins:
        return "supplement"
    if has_documents:
        return "application"  # minutes first, or documents we could not recognise: the checks say what is missing
    return "inquiry"
