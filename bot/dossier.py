"""Building the dossier of one message (for `check`) or of a stored application (for the service)."""
from __future__ import annotations

import datetime as dt

from bot.rules import Dossier, ReceivedDocument
from config.settings import Round
from parsers.message import MessageFacts
from bot.engines import read_options
from parsers.reading import DocumentReading
from parsers.reading import read_attachments as read_all


def read_attachments(facts: MessageFacts, trust_roots: tuple[bytes, ...] = ()) -> list[DocumentReading]:
    """Every document of a message: archives, forwarded mails, .msg and winmail.dat expanded."""
    return read_all(facts.attachments, read_options(trust_roots))


def single_message_dossier(round_: Round, facts: MessageFacts, readings: list[DocumentReading], received_at: dt.datetime) -> Dossier:
    return Dossier(
        round=round_,
        received_at=received_at,
        documents=tuple(ReceivedDocument(r, received_at) for r in readings),
        links=facts.links,
    )
