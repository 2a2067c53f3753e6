"""Building the dossier of one message (for `check`) or of a stored application (for the service)."""
from __future__ import annotations

import datetime as dt

from bot.rules import Dossier, ReceivedDocument
from config.settings import Round
from parsers.message import MessageFacts
from parsers.reading import DocumentReading, read_document
from storage.files import sha256


def read_attachments(facts: MessageFacts) -> list[DocumentReading]:
    return [read_document(a.filename, a.content_type, a.data, sha256(a.data)) for a in facts.attachments]


def single_message_dossier(round_: Round, facts: MessageFacts, readings: list[DocumentReading], received_at: dt.datetime) -> Dossier:
    return Dossier(
        round=round_,
        received_at=received_at,
        documents=tuple(ReceivedDocument(r, received_at) for r in readings),
        messages=(facts,),
    )
