"""`make bench`: the figures the README quotes: extraction + form/minutes reading time per document
type, and peak memory while reading a 50 MB PDF (in a child process, so the figure is that read's own)."""
from __future__ import annotations

import io
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parsers.reading import read_documents  # noqa: E402
from tests.factories.containers import outlook_msg, zip_of  # noqa: E402
from tests.factories.forms import FormSpec, form_docx, form_pdf  # noqa: E402
from tests.factories.minutes import MinutesSpec, minutes_pdf  # noqa: E402
from tests.factories.odt import form_odt  # noqa: E402
from tests.factories.scans import scanned_pdf  # noqa: E402
from tests.factories.signed import make_pki, sign_pdf  # noqa: E402


def pages(data: bytes) -> int:
    import pypdfium2

    return len(pypdfium2.PdfDocument(data))


def timed(label: str, name: str, data: bytes, runs: int = 5, **kwargs) -> None:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        read_documents(name, "", data, **kwargs)
        times.append(time.perf_counter() - start)
    extra = f", {pages(data)} pages" if name.endswith(".pdf") else ""
    print(f"{label:44} median {statistics.median(times) * 1000:8.0f} ms   (n={runs}, {len(data) / 1024:.0f} KiB{extra})")


def big_pdf(megabytes: int = 50) -> bytes:
    """A text PDF of about `megabytes` MB: every page a picture (incompressible JPEG) and text."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    from reportlab import rl_config

    rl_config.useA85 = 0  # binary streams, as Word and scanners write them (ASCII85 would add a quarter)
    rng = random.Random(50)
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    number = total = 0
    while total < megabytes * 2**20:
        number += 1
        picture = io.BytesIO()
        Image.frombytes("RGB", (1200, 900), rng.randbytes(1200 * 900 * 3)).save(picture, "JPEG", quality=95)
        total += picture.tell()
        page.drawImage(ImageReader(io.BytesIO(picture.getvalue())), 60, 300, width=480, height=360)
        page.drawString(60, 780, f"Bilag til ansøgning om Task Force-forløb, side {number}")
        page.drawString(60, 760, "Organisationsdiagram og sagsstatistik for Familieafdelingen.")
        page.showPage()
    page.save()
    return out.getvalue()


PEAK = """
import re, sys
sys.path.insert(0, {root!r})
from parsers.reading import read_documents
def hwm():  # the process's own peak RSS in KiB (ru_maxrss would include the parent's, kept across exec)
    return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
before = hwm()
data = open({path!r}, "rb").read()
readings = read_documents("bilag.pdf", "application/pdf", data)
after = hwm()
print(before, after, len(readings[0].text.lines), readings[0].role)
"""


def peak_memory(data: bytes) -> None:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(data)
        file.flush()
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", PEAK.format(root=str(ROOT), path=file.name)], capture_output=True, text=True, check=True)
        seconds = time.perf_counter() - start
    before, after, lines, role = out.stdout.split()
    print(f"{'PDF of ' + str(len(data) // 2**20) + ' MB, ' + str(pages(data)) + ' pages':44} peak RSS {int(after) / 1024:6.0f} MiB "
          f"({(int(after) - int(before)) / 1024:.0f} MiB above the process after imports; {seconds:.1f} s; {lines} lines, {role})")


def main() -> None:
    form = FormSpec()
    print("Document extraction + form/minutes reading, per document (median of n runs):")
    timed("application form, .docx", "skema.docx", form_docx(form, "table"))
    timed("application form, .odt", "skema.odt", form_odt(form, "table"))
    timed("application form, text PDF", "skema.pdf", form_pdf(form, "table"))
    pki = make_pki()
    timed("application form, signed PDF (pyHanko)", "skema.pdf", sign_pdf(form_pdf(FormSpec(signature="none"), "table"), pki))
    timed("application form, scanned PDF 150 dpi (OCR)", "skema.pdf", scanned_pdf(form_pdf(form, "table")), runs=3)
    timed("minutes, text PDF, 20 items", "referat.pdf", minutes_pdf(MinutesSpec(n_items=20), "numbered"))
    timed("minutes, text PDF, 21 pages (80 items)", "referat.pdf", minutes_pdf(MinutesSpec(n_items=80), "numbered"), runs=3)
    timed("ZIP with form .docx + minutes PDF", "bilag.zip", zip_of({"skema.docx": form_docx(form), "referat.pdf": minutes_pdf(MinutesSpec())}))
    timed("Outlook .msg with minutes PDF", "VS.msg", outlook_msg("VS: referat", "Se vedhæftede", {"referat.pdf": minutes_pdf(MinutesSpec())}))
    print()
    print("Peak memory:")
    peak_memory(big_pdf(50))


if __name__ == "__main__":
    main()
