"""What a container (ZIP, forwarded mail, Outlook .msg, winmail.dat) holds: its documents, and its own
text when it has one (a forwarded mail's body).  A problem is a Danish sentence of the fixed set
(parsers/documents/problems.py) naming the file; `detail` is what the library said (never replied)."""
from __future__ import annotations

from dataclasses import dataclass

from parsers.text import DocumentText


@dataclass(frozen=True)
class Member:
    """One file inside a container; `problem` when it could not be taken out (named in the reply).
    A member whose path leaves the archive is kept as its name only, never written anywhere."""

    filename: str
    content_type: str
    data: bytes
    problem: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Unpacked:
    members: tuple[Member, ...] = ()
    body: DocumentText | None = None
    problem: str | None = None
    detail: str = ""
