"""`make bench`: the figures the README quotes: extraction + form/minutes reading time per document
type, peak memory while reading a 50 MB PDF (in a child process, so the figure is that read's own), and
the whole mail path against real servers (IMAP IDLE -> intake -> SMTP); and at scale (issue 10,
benchmarks/backlog.py, benchmarks/profile_intake.py): a backlog of 1,000 application mails against the
floor for the same mails, the 10th supplement against the 1st, a profile of the intake.

    PYTHONPATH=. .venv/bin/python benchmarks/run.py [--backlog N] [--profile N] [--only SECTION,...]"""
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

from bot.engines import quiet_libraries, read_options  # noqa: E402
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


def idle_latency(runs: int = 20) -> None:
    """Append -> reply received over SMTP, with `taskforce-intake run` IDLEing on a real Dovecot.  Each
    mail is a complete application (Word form + PDF minutes), so parsing and assessment are included."""
    import os
    import queue
    import shutil
    import subprocess
    import tempfile
    import threading

    from tests.integration.conftest import imap_config
    from tests.mails import at, mail
    from tests.servers import start_dovecot, start_smtp

    from parsers.municipalities import all_municipalities

    towns = [m for m in all_municipalities() if m.domains][:runs]  # one application per municipality, as in a round
    dovecot, smtp = start_dovecot(), start_smtp()
    root = Path(tempfile.mkdtemp(prefix="bench-idle-"))
    config = imap_config(root, dovecot, smtp, mailbox_extra="poll_seconds = 3600",
                         extra="[loops]\nper_sender_per_day = 100000\nper_thread_per_10min = 100000")
    env = {**os.environ, "TASKFORCE_INTAKE_CONFIG": str(config), "TASKFORCE_INTAKE_NOW": "2025-03-20T12:00:00+01:00"}
    proc = subprocess.Popen([sys.executable, "-m", "taskforce_intake", "--verbose", "run"], cwd=Path(__file__).resolve().parent.parent,
                            env=env, stderr=subprocess.PIPE, text=True)
    idling: queue.Queue[str] = queue.Queue()
    picked: list[float] = []  # when the service logged that IDLE told it of new mail (its pick-up)

    def read() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]
            if "IDLE, venter" in line:
                idling.put(line)
            elif "ny post, henter" in line:
                picked.append(time.perf_counter())

    threading.Thread(target=read, daemon=True).start()
    times: list[float] = []
    pickup: list[float] = []
    try:
        for n in range(runs):
            idling.get(timeout=120)  # the service is IDLEing again
            town = towns[n % len(towns)]
            form = ("Ansøgningsskema.docx", form_docx(FormSpec(municipality=town.name, cvr=town.cvr,
                                                                director_email=f"direktor@{town.domains[0]}"), "table"))
            # each municipality's own minutes: distinct bytes, so the service's memo of readings never helps
            minutes = ("Referat.pdf", minutes_pdf(MinutesSpec(municipality=town.name), "numbered"))
            raw = mail(sender=f"Direktør <direktor@{town.domains[0]}>", attachments=[form, minutes], message_id=f"<bench{n}@{town.domains[0]}>")
            start = time.perf_counter()
            dovecot.append(raw, at(f"2025-03-20 10:{n // 60:02d}:{n % 60:02d}"))
            smtp.sink.wait_for(n + 1, timeout=120)
            done = time.perf_counter()
            times.append(done - start)
            if len(picked) == n + 1:
                pickup.append(done - picked[n])
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        smtp.stop()
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(f"{'IDLE, append -> reply over SMTP':40} p50 {statistics.median(times) * 1000:8.0f} ms   "
          f"p95 {p95 * 1000:6.0f} ms   max {times[-1] * 1000:6.0f} ms   (n={runs} applications, .docx form + PDF minutes)")
    if pickup:  # from the service's own log line when IDLE reported the mail: Dovecot's 0.5 s notify delay is before it
        pickup.sort()
        q95 = pickup[min(len(pickup) - 1, round(0.95 * (len(pickup) - 1)))]
        print(f"{'IDLE pick-up -> reply over SMTP':40} p50 {statistics.median(pickup) * 1000:8.0f} ms   "
              f"p95 {q95 * 1000:6.0f} ms   max {pickup[-1] * 1000:6.0f} ms   (n={len(pickup)}; issue 10's target: p95 <= 500 ms)")


SECTIONS = ("documents", "memory", "idle", "backlog", "supplements", "profile")


def arguments(argv: list[str] | None = None):
    import argparse
    import os

    parser = argparse.ArgumentParser(description="make bench: the figures the README quotes")
    parser.add_argument("--backlog", type=int, default=int(os.environ.get("BENCH_BACKLOG", "1000")),
                        help="application mails in the backlog figure (default 1000, or env BENCH_BACKLOG)")
    parser.add_argument("--profile", type=int, default=int(os.environ.get("BENCH_PROFILE", "50")),
                        help="mails in the cProfile'd pass (default 50, or env BENCH_PROFILE)")
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ",".join(SECTIONS)),
                        help=f"comma-separated sections to run (default all: {','.join(SECTIONS)})")
    args = parser.parse_args(argv)
    args.only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = args.only - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    return args


def main() -> None:
    args = arguments()
    quiet_libraries()  # as the service does: pyHanko's expected warnings are no figures
    started = time.perf_counter()
    if "documents" in args.only:
        documents()
        print()
    if "memory" in args.only:
        print("Peak memory:")
        peak_memory(big_pdf(50))
        print()
    if "idle" in args.only:
        print("Mail path (Dovecot IMAP IDLE -> intake -> aiosmtpd SMTP, loopback):")
        idle_latency()
        print()
    failed = at_scale(args)
    print(f"make bench: {time.perf_counter() - started:.0f} s")
    if failed:
        sys.exit(f"make bench: {', '.join(failed)} did not complete (see above)")


def documents() -> None:
    form = FormSpec()
    print("Document extraction + form/minutes reading, per document (median of n runs):")
    timed("application form, .docx", "skema.docx", form_docx(form, "table"))
    timed("application form, .odt", "skema.odt", form_odt(form, "table"))
    timed("application form, text PDF", "skema.pdf", form_pdf(form, "table"))
    pki = make_pki()
    timed("application form, signed PDF (pyHanko)", "skema.pdf", sign_pdf(form_pdf(FormSpec(signature="none"), "table"), pki))
    timed("application form, scanned PDF 150 dpi (OCR)", "skema.pdf", scanned_pdf(form_pdf(form, "table")), runs=3,
          options=read_options())
    timed("minutes, text PDF, 20 items", "referat.pdf", minutes_pdf(MinutesSpec(n_items=20), "numbered"))
    timed("minutes, text PDF, 21 pages (80 items)", "referat.pdf", minutes_pdf(MinutesSpec(n_items=80), "numbered"), runs=3)
    timed("ZIP with form .docx + minutes PDF", "bilag.zip", zip_of({"skema.docx": form_docx(form), "referat.pdf": minutes_pdf(MinutesSpec())}))
    timed("Outlook .msg with minutes PDF", "VS.msg", outlook_msg("VS: referat", "Se vedhæftede", {"referat.pdf": minutes_pdf(MinutesSpec())}))


def at_scale(args) -> list[str]:
    """Issue 10: the backlog against its floor, the 10th supplement against the 1st, the profile
    (benchmarks/backlog.py, benchmarks/profile_intake.py).  Returns the sections that did not complete."""
    import traceback

    from benchmarks.backlog import VARIANTS, backlog, document_sets, supplement_cost
    from benchmarks.profile_intake import profile_intake
    from parsers.municipalities import all_municipalities

    failed: list[str] = []
    sets, generated = None, None
    if {"backlog", "profile"} & args.only:
        start = time.perf_counter()
        sets = document_sets(min(max(args.backlog if "backlog" in args.only else 0, args.profile),
                                 len(all_municipalities()) * VARIANTS))
        generated = time.perf_counter() - start
    for name, run in (("backlog", lambda: backlog(args.backlog, sets, generated=generated)), ("supplements", supplement_cost),
                      ("profile", lambda: profile_intake(args.profile, sets))):
        if name not in args.only:
            continue
        try:
            if not run():
                failed.append(name)
        except Exception:  # noqa: BLE001 - one figure failing must not hide the others
            traceback.print_exc()
            failed.append(name)
        print()
    return failed


if __name__ == "__main__":
    main()
