"""Document extractors behind one Protocol, chosen by MIME type or file extension (as in Paperless-ngx).

`extract(filename, content_type, data, options)` never raises on bad input: a file that cannot be read
comes back as a `DocumentText` with `unreadable` set to a reason a person can act on.

Parsers run no program and read no setting of their own: what needs one (OCR of a scan, converting an
old Word file) is done by an engine handed in with `ReadOptions` (`OcrEngine`, `OfficeConverter`; the
real ones are built in `bot/engines.py`).  Without the engine, such a document is unreadable with the
reason.
"""
from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from parsers.text import DocumentText

if TYPE_CHECKING:
    from PIL.Image import Image


@dataclass(frozen=True)
class OcrWord:
    """One word an OCR engine read: its text, confidence (0-100), box in pixels of the image it was
    given (left, top, right, bottom) and its place in the engine's layout (block, paragraph, line)."""

    text: str
    conf: float
    box: tuple[int, int, int, int]
    key: tuple[int, int, int]


class OcrError(RuntimeError):
    """The OCR engine could not read the pages (not installed, its language model missing, it failed);
    the message says which, in Danish, for the reply."""


class OcrEngine(Protocol):
    """Reads the words off page images (greyscale, levelled, speckles and table rules removed, at the
    scan's own resolution).  An engine may read several pages at once (in parallel); it iterates
    `pages` in the calling thread, as it goes, so the next page is prepared while the last one is read."""

    def read_words(self, pages: Iterable[Image]) -> list[list[OcrWord]]:
        """Every word of each page (the caller drops the uncertain ones), in the order the pages came;
        raises `OcrError`."""
        ...


class ConversionError(RuntimeError):
    """The converter could not run (the message says why, in Danish)."""


class OfficeConverter(Protocol):
    """Converts an old Word (.doc) or RTF document to .docx."""

    def to_docx(self, data: bytes, suffix: str) -> bytes | None:
        """The document as .docx bytes; None when this file cannot be converted (damaged); raises
        `ConversionError` when the converter itself fails.  `suffix` is the file's kind (".doc", ".rtf")."""
        ...


@dataclass(frozen=True)
class ReadOptions:
    """What reading needs from the installation, handed in as values (parsers read no files or
    settings and start no programs): the CA certificates (PEM/DER bytes) a digital signature must chain
    to, the OCR engine for scans and the converter for old Word/RTF files (None: not installed).

    Options may key a memo of readings, so an engine should compare and hash by value (a frozen
    dataclass, as bot/engines.py's are)."""

    trust_roots: tuple[bytes, ...] = ()
    ocr: OcrEngine | None = None
    converter: OfficeConverter | None = None


class Extractor(Protocol):
    """Reads one kind of document into lines with locations."""

    mime_types: tuple[str, ...]
    extensions: tuple[str, ...]

    def extract(self, filename: str, data: bytes, options: ReadOptions) -> DocumentText: ...


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
        text = extractor.extract(filename, data, options)
    except Exception as exc:  # a corrupt file must never stop the intake of the mail around it
        return DocumentText(filename, extractor.extensions[0].lstrip("."), unreadable=f"filen kunne ikke åbnes: {exc}")
    if text.format == "pdf" and not text.unreadable:
        text = replace(text, signatures=read_signatures(data, options.trust_roots))
    return text


from parsers.signatures import read_signatures  # noqa: E402
from parsers.documents import docx, legacy, odt, pdf, plain, scan  # noqa: E402,F401  (registration)
