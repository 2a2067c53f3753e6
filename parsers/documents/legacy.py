"""Old Word (.doc) and RTF: converted to .docx by the converter handed in (`ReadOptions.converter`;
LibreOffice headless in the service, bot/engines.py), then read as Word; without one, "unreadable:
needs conversion", which the reply names so the municipality can resend it as .docx or PDF."""
from __future__ import annotations

from pathlib import Path

from parsers.documents import ConversionError, ReadOptions, problems, register, sniff
from parsers.documents.docx import DocxExtractor
from parsers.documents.problems import Unreadable
from parsers.text import DocumentText

# The sentences (templates of the fixed set, parsers/documents/problems.py; "{name}" is the file)
NEEDS_CONVERSION = problems.NEEDS_CONVERSION
NOT_CONVERTED = problems.NOT_CONVERTED


def _encrypted_doc(data: bytes) -> bool:
    return sniff.cfb_encrypted(data)


class LegacyWordExtractor:
    mime_types: tuple[str, ...] = ("application/msword", "application/rtf", "text/rtf", "application/x-rtf")
    extensions: tuple[str, ...] = (".doc", ".rtf", ".dot", ".wpd")

    def extract(self, filename: str, data: bytes, options: ReadOptions = ReadOptions()) -> DocumentText:
        fmt = Path(filename).suffix.lower().lstrip(".") or "doc"
        if fmt not in ("doc", "rtf", "dot", "wpd"):
            fmt = "rtf" if data.lstrip()[:5] == b"{\\rtf" else "doc"
        if _encrypted_doc(data):
            raise Unreadable(problems.password(filename), "encrypted Word 97-2003 / OLE file")
        if options.converter is None:
            return DocumentText(filename, fmt, unreadable=problems.needs_conversion(filename))
        try:
            converted = options.converter.to_docx(data, f".{fmt}")
        except ConversionError as exc:
            raise Unreadable(problems.not_converted(filename), str(exc)) from exc
        if converted is None:
            return DocumentText(filename, fmt, unreadable=problems.not_converted(filename))
        text = DocxExtractor().extract(filename, converted, options)
        return DocumentText(filename, fmt, text.lines, unreadable=text.unreadable)


register(LegacyWordExtractor())
