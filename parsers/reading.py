"""One attachment read end to end: its text, what it is (form, minutes, other, unreadable) and its facts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from parsers.documents import extract
from parsers.form import FormFacts, form_score, read_form
from parsers.minutes import MinutesFacts, read_minutes
from parsers.text import DocumentText

Role = Literal["application_form", "minutes", "other", "unreadable"]


@dataclass(frozen=True)
class DocumentReading:
    filename: str
    content_type: str
    sha256: str
    role: Role
    text: DocumentText
    form: FormFacts | None = None
    minutes: MinutesFacts | None = None

    @property
    def problem(self) -> str | None:
        return self.text.unreadable


def read_document(filename: str, content_type: str, data: bytes, sha256: str = "") -> DocumentReading:
    """Read one attachment.  Minutes often mention the application, so a document whose title says
    referat/dagsorden is minutes unless it carries most of the form's landmarks too."""
    text = extract(filename, content_type, data)
    if text.unreadable:
        return DocumentReading(filename, content_type, sha256, "unreadable", text)
    minutes = read_minutes(text)
    score = form_score(text.text)
    if score >= 4 and not (minutes.is_minutes and score < 6):
        return DocumentReading(filename, content_type, sha256, "application_form", text, form=read_form(text))
    if minutes.is_minutes:
        return DocumentReading(filename, content_type, sha256, "minutes", text, minutes=minutes)
    return DocumentReading(filename, content_type, sha256, "other", text)
