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


def message_kind(facts: MessageFacts, readings: list[DocumentReading], reference_seen: bool = False) -> Kind:
    """A form makes an application; other readable documents in a reply (or naming a reference), or
    minutes anywhere, make a supplement; a mail without documents is an inquiry."""
    if facts.automatic:
        return "automatic"
    roles = {r.role for r in readings}
    if "application_form" in roles:
        return "application"
    if "minutes" in roles or (readings and (is_reply(facts) or reference_seen)):
        return "supplement"
    if readings:
        return "application"  # documents we could not recognise: the secretariat looks (the form check says why)
    return "inquiry"
