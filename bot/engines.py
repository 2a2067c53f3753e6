"""The engines the readers are handed (parsers/ runs no program of its own): OCR and the office
converter, built here for the service, `check` and the benchmarks.

* `TesseractEngine`: Tesseract's Danish model, one `tesseract` process a page, as many at once as the
  machine has cores, each held to one thread (`OMP_THREAD_LIMIT=1` in its own environment: Tesseract's
  OpenMP threads fight over a busy machine and make a page several times slower).
* `SofficeConverter`: LibreOffice headless (`soffice` on PATH, or `TASKFORCE_INTAKE_SOFFICE`) turning
  .doc/.rtf into .docx in a private profile and folder.
* `quiet_libraries()`: the log levels of the libraries the readers use, for where logging is configured.
"""
from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from parsers.documents import ConversionError, OcrError, OcrWord, ReadOptions

if TYPE_CHECKING:
    from PIL.Image import Image

SOFFICE_ENV = "TASKFORCE_INTAKE_SOFFICE"
CONVERT_TIMEOUT = 120  # seconds for one conversion
OCR_TIMEOUT = 300  # seconds for one page
NOT_INSTALLED = "Tesseract er ikke installeret (tesseract-ocr, tesseract-ocr-dan)"


def _tesseract_program() -> str:
    """pytesseract's setting (`pytesseract.pytesseract.tesseract_cmd`, "tesseract" unless changed)."""
    try:
        import pytesseract
    except ImportError:
        return "tesseract"
    return str(pytesseract.pytesseract.tesseract_cmd)


def parse_tsv(tsv: str) -> list[OcrWord]:
    """The words (level 5 rows) of Tesseract's TSV output."""
    rows = [row.split("\t") for row in tsv.strip("\n").split("\n")]
    if len(rows) < 2:
        return []
    header = rows[0]
    at = {name: i for i, name in enumerate(header)}
    words = []
    for row in rows[1:]:
        if len(row) < len(header) - 1 or row[at["level"]] != "5":
            continue
        text = row[at["text"]] if len(row) > at["text"] else ""
        left, top = int(row[at["left"]]), int(row[at["top"]])
        words.append(OcrWord(text.strip(), float(int(float(row[at["conf"]]))),
                             (left, top, left + int(row[at["width"]]), top + int(row[at["height"]])),
                             (int(row[at["block_num"]]), int(row[at["par_num"]]), int(row[at["line_num"]]))))
    return words


@dataclass(frozen=True)
class TesseractEngine:
    """OCR with Tesseract (`lang`, page segmentation `psm`), `workers` pages at once (default: the
    machine's cores).  `program` defaults to pytesseract's `tesseract_cmd`."""

    lang: str = "dan"
    psm: int = 3
    workers: int | None = None
    program: str | None = None
    timeout: float = OCR_TIMEOUT

    def command(self) -> list[str]:
        return [self.program or _tesseract_program(), "stdin", "stdout", "-l", self.lang,
                "--psm", str(self.psm), "-c", "tessedit_create_tsv=1"]

    def _read(self, png: bytes, env: dict[str, str]) -> list[OcrWord]:
        try:
            done = subprocess.run(self.command(), input=png, capture_output=True, env=env, timeout=self.timeout, check=False)
        except FileNotFoundError as exc:
            raise OcrError(NOT_INSTALLED) from exc
        except PermissionError as exc:
            raise OcrError(f"Tesseract kan ikke startes ({exc.strerror})") from exc
        except subprocess.TimeoutExpired as exc:
            raise OcrError(f"Tesseract blev ikke færdig med en side på {self.timeout:.0f} sekunder") from exc
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()
            raise OcrError(f"Tesseract fejlede: {message[:200]}")
        return parse_tsv(done.stdout.decode("utf-8", "replace"))

    def read_words(self, pages: Iterable[Image]) -> list[list[OcrWord]]:
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        workers = self.workers or os.cpu_count() or 1
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tesseract") as pool:
            futures = []
            for page in pages:  # in this thread: the next page is prepared while the pool reads
                out = io.BytesIO()
                page.save(out, "PNG", compress_level=1)
                futures.append(pool.submit(self._read, out.getvalue(), env))
            return [future.result() for future in futures]


@dataclass(frozen=True)
class SofficeConverter:
    """LibreOffice headless at `program`."""

    program: str
    timeout: float = CONVERT_TIMEOUT

    def to_docx(self, data: bytes, suffix: str) -> bytes | None:
        """The document converted in a private profile and folder, or None when LibreOffice made nothing
        of it."""
        with tempfile.TemporaryDirectory(prefix="taskforce-convert-") as folder:
            source = Path(folder) / f"dokument{suffix}"
            source.write_bytes(data)
            profile = Path(folder) / "profile"
            try:
                subprocess.run([self.program, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                                "--convert-to", "docx:MS Word 2007 XML", "--outdir", folder, str(source)],
                               capture_output=True, timeout=self.timeout, check=False)
            except OSError as exc:
                raise ConversionError(f"LibreOffice kan ikke startes ({exc.strerror or exc})") from exc
            except subprocess.TimeoutExpired as exc:
                raise ConversionError(f"LibreOffice blev ikke færdig på {self.timeout:.0f} sekunder") from exc
            target = Path(folder) / "dokument.docx"
            return target.read_bytes() if target.exists() else None


def soffice() -> str | None:
    """LibreOffice's program: `TASKFORCE_INTAKE_SOFFICE`, else soffice or libreoffice on PATH."""
    return os.environ.get(SOFFICE_ENV) or shutil.which("soffice") or shutil.which("libreoffice")


def read_options(trust_roots: tuple[bytes, ...] = ()) -> ReadOptions:
    """What the readers need from this installation: the CA certificates a signature must chain to, the
    OCR engine, and the office converter when LibreOffice is installed."""
    program = soffice()
    return ReadOptions(trust_roots=trust_roots, ocr=TesseractEngine(),
                       converter=SofficeConverter(program) if program else None)


def quiet_libraries() -> None:
    """Log levels for the libraries behind the readers; call where logging is configured.  pyHanko logs
    an untrusted chain or a changed document as a warning with a traceback; both are expected outcomes,
    reported in the facts, so only its errors go to the log."""
    logging.getLogger("pyhanko").setLevel(logging.ERROR)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)
