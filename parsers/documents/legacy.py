"""Old Word (.doc) and RTF: converted to .docx by the converter handed in (`ReadOptions.converter`;
LibreOffice headless in the service, bot/engines.py), then read as Word; without one, "unreadable:
needs conversion", which the reply names so the municipality can resend it as .docx or PDF."""
from __future__ import annotations

from pathlib import Path

from parsers.documents import ConversionError, ReadOptions, register
from parsers.documents.docx import DocxExtractor
from parsers.text import DocumentText

NEEDS_CONVERSION = "filen skal konverteres (gammelt Word-/RTF-format); send den som .docx eller PDF"
NOT_CONVERTED = "filen kunne ikke konverteres med LibreOffice (beskadiget?)"


def _encrypted_doc(data: bytes) -> bool:
    if data[:4] != b"\xd0\xcf\x11\xe0":
        return False
    try:
        import io

        import msoffcrypto

        return bool(msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted())
    except Exception:  # not an Office file msoffcrypto knows: let the converter decide
        return False


class LegacyWordExtractor:
    mime_types: tuple[str, ...] = ("application/msword", "application/rtf", "text/rtf", "application/x-rtf")
    extensions: tuple[str, ...] = (".doc", ".rtf", ".dot", ".wpd")

    def extract(self, filename: str, data: bytes, options: ReadOptions = ReadOptions()) -> DocumentText:
        fmt = Path(filename).suffix.lower().lstrip(".") or "doc"
        if fmt not in ("doc", "rtf", "dot", "wpd"):
            fmt = "rtf" if data.lstrip()[:5] == b"{\\rtf" else "doc"
        if _encrypted_doc(data):
            return DocumentText(filename, fmt, unreadable="filen er beskyttet med adgangskode")
        if options.converter is None:
            return DocumentText(filename, fmt, unreadable=NEEDS_CONVERSION)
        try:
            converted = options.converter.to_docx(data, f".{fmt}")
        except ConversionError as exc:
            return DocumentText(filename, fmt, unreadable=f"filen kunne ikke konverteres: {exc}")
        if converted is None:
            return DocumentText(filename, fmt, unreadable=NOT_CONVERTED)
        text = DocxExtractor().extract(filename, converted, options)
        return DocumentText(filename, fmt, text.lines, unreadable=text.unreadable)


register(LegacyWordExtractor())
