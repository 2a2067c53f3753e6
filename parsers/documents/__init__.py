"""Document extractors behind one Protocol, chosen by MIME type or file extension (as in Paperless-ngx).

`extract(filename, content_type, data, options)` never raises on bad input (only a `MemoryError` is let
through: running out of memory is for the service's reader processes to report, bot/readers.py): a file
that cannot be read comes back as a `DocumentText` with `unreadable` set to a reason a person can act on:
one Danish sentence of a fixed set naming the file (`problems.py`).  What the library said is kept apart
(`extract_text` returns it as the detail; `DocumentReading.detail`), for the log, never for the reply.

Before a reader starts, what can be counted cheaply is counted against `ReadOptions.limits`
(`limits.py`): the file's size here, then in each reader its pages, members and declared sizes.  The
content decides the reader when it clearly says another format than the name ("Ansøgning.docx" that is
a PDF), and a file locked with a password says so in every format (`sniff.py`).

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

from parsers.documents import problems, sniff
from parsers.documents.limits import DEFAULT_LIMITS, Limits
from parsers.documents.problems import Unreadable
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
    to, the OCR engine for scans and the converter for old Word/RTF files (None: not installed), and
    the limits of what one attachment may make the readers do (`Limits`).

    Options may key a memo of readings, so an engine should compare and hash by value (a frozen
    dataclass, as bot/engines.py's are)."""

    trust_roots: tuple[bytes, ...] = ()
    ocr: OcrEngine | None = None
    converter: OfficeConverter | None = None
    limits: Limits = DEFAULT_LIMITS


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


# What the content says -> the name of a file the reader of that format takes
_CONTENT_NAMES = {"pdf": "x.pdf", "docx": "x.docx", "odt": "x.odt", "rtf": "x.rtf", "png": "x.png", "jpeg": "x.jpg", "tiff": "x.tif"}
_FORMAT_NAMES = {"xlsx": ".xlsx", "pptx": ".pptx", "ods": ".ods", "odp": ".odp", "gif": ".gif"}


def _chosen(filename: str, content_type: str | None, data: bytes) -> tuple[Extractor | None, str | None]:
    """The reader for a file, and the format its content says.  The content wins when it clearly says
    another format the bot reads than the name does (a PDF named .docx, a .docx named .doc)."""
    by_name = extractor_for(filename, content_type)
    found = sniff.kind(data)
    wanted = _CONTENT_NAMES.get(found or "")
    if wanted is None:
        return by_name, found
    return extractor_for(wanted, None) or by_name, found


def _unreadable(filename: str, fmt: str, problem: str, detail: str = "") -> tuple[DocumentText, str]:
    return DocumentText(filename, fmt, unreadable=problem), detail


def extract_text(filename: str, content_type: str | None, data: bytes, options: ReadOptions = ReadOptions()) -> tuple[DocumentText, str]:
    """The document's text and the technical detail of what went wrong ("" when nothing did): the
    detail is for the log and the secretariat, the text's `unreadable` for the municipality."""
    limits = options.limits
    if not data:
        return _unreadable(filename, "unknown", problems.empty(filename))
    if len(data) > limits.document_bytes:
        return _unreadable(filename, "unknown", problems.too_large(filename, len(data), limits.document_bytes),
                           f"{len(data)} bytes > limits.document_bytes {limits.document_bytes}")
    extractor, found = _chosen(filename, content_type, data)
    if extractor is None:
        if sniff.encrypted(data):
            return _unreadable(filename, found or "unknown", problems.password(filename), f"encrypted {found or 'file'}")
        if found in ("7z", "rar"):
            return _unreadable(filename, found, problems.archive_format(filename, found.upper() if found == "rar" else found))
        return _unreadable(filename, "unknown", problems.unknown_format(filename, _FORMAT_NAMES.get(found or "")),
                           f"no reader for {filename!r} ({content_type or 'no content type'}; content: {found or 'unknown'})")
    fmt = extractor.extensions[0].lstrip(".")
    try:
        text = extractor.extract(filename, data, options)
    except Unreadable as exc:
        return _unreadable(filename, fmt, exc.problem, exc.detail)
    except MemoryError:  # out of memory is the caller's to say (bot/readers.py: "for stor")
        raise
    except Exception as exc:  # a corrupt file must never stop the intake of the mail around it
        return _unreadable(filename, fmt, problems.damaged(filename, fmt), problems.detail_of(exc))
    detail = ""
    if text.unreadable and not problems.is_known(text.unreadable):  # a reader's own words: kept as the detail
        detail, text = text.unreadable, replace(text, unreadable=problems.damaged(filename, text.format or fmt))
    if len(text.lines) > limits.text_lines:  # the form and minutes readers get the first lines only
        detail = f"{len(text.lines)} lines, the first {limits.text_lines} read"
        text = replace(text, lines=text.lines[: limits.text_lines])
    if text.format == "pdf" and not text.unreadable:
        try:
            text = replace(text, signatures=read_signatures(data, options.trust_roots))
        except MemoryError:  # out of memory is the caller's to say (bot/readers.py: "for stor")
            raise
        except Exception as exc:  # the text stands without the signatures (pyHanko on a strange PDF)
            detail = f"signatures not read: {problems.detail_of(exc)}"
    return text, detail


def extract(filename: str, content_type: str | None, data: bytes, options: ReadOptions = ReadOptions()) -> DocumentText:
    return extract_text(filename, content_type, data, options)[0]


from parsers.signatures import read_signatures  # noqa: E402
from parsers.documents import docx, legacy, odt, pdf, plain, scan  # noqa: E402,F401  (registration)
