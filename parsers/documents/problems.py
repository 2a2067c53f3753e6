"""Why a document could not be read, said to a person: one Danish sentence from a small fixed set,
naming the file.

The reply to the municipality and the triage queue show `DocumentReading.problem`, so it never holds a
library's words ("Failed to load document (PDFium: Incorrect password error)", "'NoneType' object is not
iterable"): what the library said goes to `DocumentReading.detail`, for the log and the secretariat's
web app.  A reader says what went wrong by raising `Unreadable(problem, detail)` with a sentence made
here (or returning a `DocumentText` whose `unreadable` is one).
"""
from __future__ import annotations

import re
import string
from functools import cache

# Characters a file name may carry that must not reach a reply: control characters (C0, DEL, C1) and
# the bidirectional controls that make "referat\u202efdp.exe" look like "referatexe.pdf".
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
NAME_CHARS = 120


def shown(name: str) -> str:
    """A file name as a person is shown it: no control or direction characters, at most 120 characters."""
    text = re.sub(r"\s+", " ", _HIDDEN.sub("", name)).strip() or "unavngivet"
    return text if len(text) <= NAME_CHARS else text[: NAME_CHARS - 1] + "…"


# --------------------------------------------------------------------------- the fixed set

DAMAGED = "{name} kan ikke åbnes: {what} er beskadiget"
PASSWORD = "{name} er beskyttet med adgangskode; send den igen uden adgangskode"
FORMAT = "{name} er i et filformat, vi ikke kan læse ({kind}); send den som PDF eller Word (.docx)"
ARCHIVE_FORMAT = "{name} er et {kind}-arkiv, som vi ikke kan pakke ud; send dokumenterne som PDF, Word eller ZIP"
EMPTY = "{name} er tom"
TOO_LARGE = "{name} er for stor til at blive læst ({size}; højst {limit})"
TOO_MANY_PAGES = "{name} har for mange sider til at blive læst ({count} sider; højst {limit})"
TOO_MANY_FILES = "{name} indeholder for mange filer til at blive læst ({count} filer; højst {limit})"
TOO_MANY_DOCUMENTS = "{name} er ikke læst, fordi {container} indeholder flere end {limit} dokumenter"
TOO_DEEP = "{name} har for mange lag af pakkede filer (højst {limit}); send dokumenterne direkte"
NO_DOCUMENTS = "{name} indeholder ingen dokumenter"
OUTSIDE = "{name} er ikke pakket ud, fordi stien peger uden for arkivet"
COMPRESSION = "{name} er ikke pakket ud: den pakker ud til langt mere, end den fylder (mistænkelig komprimering)"
NOT_UNPACKED = "{name} kunne ikke pakkes ud af {container}"
NEEDS_CONVERSION = "{name} skal konverteres (gammelt Word-/RTF-format); send den som .docx eller PDF"
NOT_CONVERTED = "{name} kunne ikke konverteres fra det gamle Word-/RTF-format; send den som .docx eller PDF"
SCAN = "{name} er en scanning, der ikke kan læses (tekstgenkendelse, OCR); send den gerne som PDF med tekst eller som Word"
# the service's limits (bot/readers.py, bot/intake.py): the reader process was stopped, or never started
TOO_SLOW = "{name} er ikke læst: det tog for lang tid (over {limit} sekunder)"
TOO_MUCH_MEMORY = "{name} er for stor til at blive læst (den kræver mere end {limit} hukommelse)"
READER_STOPPED = "{name} kunne ikke læses, fordi læsningen stoppede undervejs"
MAIL_TOO_LARGE = "{name} er ikke læst: mailens bilag fylder tilsammen for meget ({size}; højst {limit}); send dem gerne fordelt på flere mails"

TEMPLATES: tuple[str, ...] = (DAMAGED, PASSWORD, FORMAT, ARCHIVE_FORMAT, EMPTY, TOO_LARGE, TOO_MANY_PAGES, TOO_MANY_FILES,
                              TOO_MANY_DOCUMENTS, TOO_DEEP, NO_DOCUMENTS, OUTSIDE, COMPRESSION, NOT_UNPACKED, NEEDS_CONVERSION, NOT_CONVERTED, SCAN,
                              TOO_SLOW, TOO_MUCH_MEMORY, READER_STOPPED, MAIL_TOO_LARGE)

# What a damaged file is, by the reader's format (DAMAGED's "what")
WHAT: dict[str, str] = {
    "pdf": "PDF-filen", "docx": "Word-dokumentet", "doc": "Word-dokumentet", "rtf": "Word-dokumentet", "dot": "Word-dokumentet",
    "wpd": "dokumentet", "odt": "OpenDocument-dokumentet", "zip": "ZIP-filen", "msg": "Outlook-beskeden",
    "tnef": "TNEF-filen (winmail.dat)", "eml": "den videresendte e-mail", "image": "billedet", "png": "billedet", "txt": "tekstfilen",
}


class Unreadable(Exception):
    """Raised by a reader: `problem` is a sentence of the fixed set, `detail` what the library said."""

    def __init__(self, problem: str, detail: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.detail = detail


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def size_text(n: int) -> str:
    """Bytes in MB, as the limits are set: "250 MB", "1,5 MB", "0,05 MB"."""
    if n >= 10 * 2**20:
        return f"{_number(round(n / 2**20))} MB"
    return f"{n / 2**20:.{1 if n >= 2**20 // 10 else 2}f} MB".replace(".", ",")


def damaged(name: str, fmt: str) -> str:
    return DAMAGED.format(name=shown(name), what=WHAT.get(fmt, "filen"))


def password(name: str) -> str:
    return PASSWORD.format(name=shown(name))


def unknown_format(name: str, kind: str | None = None) -> str:
    """`kind` is what the content says (".xlsx"); else the name's own suffix."""
    if not kind:
        suffix = name.rsplit(".", 1)[-1] if "." in name.rsplit("/", 1)[-1] else ""
        kind = f".{suffix.lower()}" if re.fullmatch(r"[^\W_][\w-]{0,11}", suffix) else "ukendt filtype"
    return FORMAT.format(name=shown(name), kind=kind)


def archive_format(name: str, kind: str) -> str:
    return ARCHIVE_FORMAT.format(name=shown(name), kind=kind)


def empty(name: str) -> str:
    return EMPTY.format(name=shown(name))


def too_large(name: str, size: int, limit: int) -> str:
    return TOO_LARGE.format(name=shown(name), size=size_text(size), limit=size_text(limit))


def too_large_picture(name: str, pixels: int, limit: int) -> str:
    """A picture (or a scanned page) too large to unpack: its pixels against the limit."""
    return TOO_LARGE.format(name=shown(name), size=_million(pixels), limit=_million(limit))


def _million(n: int) -> str:
    return f"{n / 1e6:.0f} mio. pixels" if n >= 10**7 else f"{n / 1e6:.1f} mio. pixels".replace(".", ",")


def too_large_page(name: str, page: int, chars: int, limit: int) -> str:
    """A PDF page with more characters on it than any page of a letter has."""
    return TOO_LARGE.format(name=shown(name), size=f"side {page} har {_number(chars)} tegn", limit=f"{_number(limit)} tegn")


def too_many_pages(name: str, count: int, limit: int) -> str:
    return TOO_MANY_PAGES.format(name=shown(name), count=_number(count), limit=_number(limit))


def too_many_files(name: str, count: int, limit: int) -> str:
    return TOO_MANY_FILES.format(name=shown(name), count=_number(count), limit=_number(limit))


def too_many_documents(name: str, container: str, limit: int) -> str:
    return TOO_MANY_DOCUMENTS.format(name=shown(name), container=shown(container), limit=_number(limit))


def too_deep(name: str, limit: int) -> str:
    return TOO_DEEP.format(name=shown(name), limit=limit)


def no_documents(name: str) -> str:
    return NO_DOCUMENTS.format(name=shown(name))


def outside(name: str) -> str:
    return OUTSIDE.format(name=shown(name))


def compression(name: str) -> str:
    return COMPRESSION.format(name=shown(name))


def not_unpacked(name: str, container: str) -> str:
    return NOT_UNPACKED.format(name=shown(name), container=shown(container))


def needs_conversion(name: str) -> str:
    return NEEDS_CONVERSION.format(name=shown(name))


def not_converted(name: str) -> str:
    return NOT_CONVERTED.format(name=shown(name))


def scan(name: str) -> str:
    return SCAN.format(name=shown(name))


def too_slow(name: str, seconds: int) -> str:
    return TOO_SLOW.format(name=shown(name), limit=_number(seconds))


def too_much_memory(name: str, limit_mb: int) -> str:
    return TOO_MUCH_MEMORY.format(name=shown(name), limit=size_text(limit_mb * 2**20))


def reader_stopped(name: str) -> str:
    return READER_STOPPED.format(name=shown(name))


def mail_too_large(name: str, total: int, limit: int) -> str:
    return MAIL_TOO_LARGE.format(name=shown(name), size=size_text(total), limit=size_text(limit))


def detail_of(exc: BaseException) -> str:
    """What a library said, for the log and the web app (never for the reply)."""
    text = str(exc)
    return f"{type(exc).__name__}: {text[:1000]}" if text else type(exc).__name__


@cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    out = []
    for template in TEMPLATES:
        pattern = "".join(re.escape(literal) + (".+?" if field is not None else "")
                          for literal, field, _, _ in string.Formatter().parse(template))
        out.append(re.compile(pattern + r"\Z", re.S))
    return tuple(out)


def is_known(problem: str) -> bool:
    """A sentence of the fixed set (what the tests hold every unreadable document to)."""
    return any(p.match(problem) for p in _patterns())
