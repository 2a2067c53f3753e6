"""Plain text attachments (.txt): one line per line."""
from __future__ import annotations

from parsers.documents import ReadOptions, register
from parsers.text import DocumentText, Line, clean


def decode(data: bytes) -> str:
    """UTF-8, else windows-1252 (what Danish Outlook writes), never failing."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


class PlainTextExtractor:
    mime_types: tuple[str, ...] = ("text/plain",)
    extensions: tuple[str, ...] = (".txt",)

    def extract(self, filename: str, data: bytes, options: ReadOptions = ReadOptions()) -> DocumentText:
        lines = [Line(clean(t), f"linje {n}") for n, t in enumerate(decode(data).splitlines(), 1) if clean(t)]
        return DocumentText(filename, "txt", tuple(lines))


register(PlainTextExtractor())
