"""Old Word (.doc) and RTF: converted to .docx by LibreOffice headless when it is installed (soffice on
PATH, or `TASKFORCE_INTAKE_SOFFICE`), then read as Word; otherwise "unreadable: needs conversion",
which the reply names so the municipality can resend it as .docx or PDF."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from parsers.documents import register
from parsers.documents.docx import DocxExtractor
from parsers.text import DocumentText

CONVERT_TIMEOUT = 120  # seconds
NEEDS_CONVERSION = "filen skal konverteres (gammelt Word-/RTF-format); send den som .docx eller PDF"


def soffice() -> str | None:
    return os.environ.get("TASKFORCE_INTAKE_SOFFICE") or shutil.which("soffice") or shutil.which("libreoffice")


def _encrypted_doc(data: bytes) -> bool:
    if data[:4] != b"\xd0\xcf\x11\xe0":
        return False
    try:
        import io

        import msoffcrypto

        return bool(msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted())
    except Exception:  # not an Office file msoffcrypto knows: let LibreOffice decide
        return False


def convert_to_docx(data: bytes, suffix: str, program: str) -> bytes | None:
    """The document converted by LibreOffice headless in a private profile and folder, or None."""
    with tempfile.TemporaryDirectory(prefix="taskforce-convert-") as folder:
        source = Path(folder) / f"dokument{suffix}"
        source.write_bytes(data)
        profile = Path(folder) / "profile"
        try:
            subprocess.run([program, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                            "--convert-to", "docx:MS Word 2007 XML", "--outdir", folder, str(source)],
                           capture_output=True, timeout=CONVERT_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        target = Path(folder) / "dokument.docx"
        return target.read_bytes() if target.exists() else None


class LegacyWordExtractor:
    mime_types: tuple[str, ...] = ("application/msword", "application/rtf", "text/rtf", "application/x-rtf")
    extensions: tuple[str, ...] = (".doc", ".rtf", ".dot", ".wpd")

    def extract(self, filename: str, data: bytes) -> DocumentText:
        fmt = Path(filename).suffix.lower().lstrip(".") or "doc"
        if fmt not in ("doc", "rtf", "dot", "wpd"):
            fmt = "rtf" if data.lstrip()[:5] == b"{\\rtf" else "doc"
        if _encrypted_doc(data):
            return DocumentText(filename, fmt, unreadable="filen er beskyttet med adgangskode")
        program = soffice()
        if program is None:
            return DocumentText(filename, fmt, unreadable=NEEDS_CONVERSION)
        converted = convert_to_docx(data, f".{fmt}", program)
        if converted is None:
            return DocumentText(filename, fmt, unreadable="filen kunne ikke konverteres med LibreOffice (beskadiget?)")
        text = DocxExtractor().extract(filename, converted)
        return DocumentText(filename, fmt, text.lines, unreadable=text.unreadable)


register(LegacyWordExtractor())
