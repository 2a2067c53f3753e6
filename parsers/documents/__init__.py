"""Document extractors behind one Protocol, chosen by MIME type or file extension (as in Paperless-ngx).

`extract(filename, content_type, data)` never raises on bad input: a file that cannot be read comes back
as a `DocumentText` with `unreadable` set to a reason a person can act on.
"""
from __future__ import annotations

import mimetypes
from dataclasses import dataclass, replace
from typing import Protocol

from parsers.text import DocumentText


@dataclass(frozen=True)
class ReadOptions:
    """What reading needs from the configuration, handed in as values (parsers read no files or
    settings): the CA certificates (PEM/DER bytes) a digital signature must chain to."""

    trust_roots: tuple[bytes, ...] = ()


class Extractor(Protocol):
    """Reads one kind of document into lines with locations."""

    mime_types: tuple[str, ...]
    extensions: tuple[str, ...]

    def extract(self, filename: str, data: bytes) -> DocumentText: ...


_REGISTRY: list[Extractor] = []


def register(extractor: Extractor) -> Extractor:
    _REGISTRY.append(extractor)
    return extractor


def extractor_for(filename: str, content_type: str | None) -> Extractor | None:
    """The extractor for a file: by extension first (mail clients often say octet-stream), then MIME type."""
    name = filename.lower()
    for extractor in _REGISTRY:
        if any(name.endswith(ext) for ext in extractor.extensions):
            return extractor
    guessed = content_type or mimetypes.guess_type(name)[0] or ""
    for extractor in _REGISTRY:
        if guessed.split(";")[0].strip().lower() in extractor.mime_types:
            return extractor
    return None


def extract(filename: str, content_type: str | None, data: bytes, options: ReadOptions = ReadOptions()) -> DocumentText:
    extractor = extractor_for(filename, content_type)
    if extractor is None:
        return DocumentText(filename, "unknown", unreadable=f"filtypen kan ikke læses ({content_type or 'ukendt'})")
    try:
        text = extractor.extract(filename, data)
    except Exception as exc:  # a corrupt file must never stop the intake of the mail around it
        return DocumentText(filename, extractor.extensions[0].lstrip("."), unreadable=f"filen kunne ikke åbnes: {exc}")
    if text.format == "pdf" and not text.unreadable:
        text = replace(text, signatures=read_signatures(data, options.trust_roots))
    return text


from parsers.signatures import read_signatures  # noqa: E402
from parsers.documents import docx, legacy, odt, pdf, plain, scan  # noqa: E402,F401  (registration)
