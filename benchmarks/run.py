"""`make bench`: the figures the README quotes.  Each benchmark is a function below; the last measures the whole
mail path against real servers."""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parsers.reading import read_document  # noqa: E402
from tests.factories.forms import FormSpec, form_docx, form_pdf  # noqa: E402
from tests.factories.minutes import MinutesSpec, minutes_pdf  # noqa: E402


def timed(label: str, name: str, data: bytes, runs: int = 5) -> None:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        read_document(name, "", data)
        times.append(time.perf_counter() - start)
    print(f"{label:40} median {statistics.median(times) * 1000:8.1f} ms   (n={runs}, {len(data) / 1024:.0f} KiB)")


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

    minutes = ("Referat.pdf", minutes_pdf(MinutesSpec(), "numbered"))
    towns = [m for m in all_municipalities() if m.domains][:runs]  # one application per municipality, as in a round
    dovecot, smtp = start_dovecot(), start_smtp()
    root = Path(tempfile.mkdtemp(prefix="bench-idle-"))
    config = imap_config(root, dovecot, smtp, mailbox_extra="poll_seconds = 3600",
                         extra="[loops]\nper_sender_per_day = 100000\nper_thread_per_10min = 100000")
    env = {**os.environ, "TASKFORCE_INTAKE_CONFIG": str(config), "TASKFORCE_INTAKE_NOW": "2025-03-20T12:00:00+01:00"}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "--verbose", "run"], cwd=Path(__file__).resolve().parent.parent,
                            env=env, stderr=subprocess.PIPE, text=True)
    idling: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]
            if "IDLE, venter" in line:
                idling.put(line)

    threading.Thread(target=read, daemon=True).start()
    times = []
    try:
        for n in range(runs):
            idling.get(timeout=120)  # the service is IDLEing again
            town = towns[n % len(towns)]
            form = ("Ansøgningsskema.docx", form_docx(FormSpec(municipality=town.name, cvr=town.cvr,
                                                                director_email=f"direktor@{town.domains[0]}"), "table"))
            raw = mail(sender=f"Direktør <direktor@{town.domains[0]}>", attachments=[form, minutes], message_id=f"<bench{n}@{town.domains[0]}>")
            start = time.perf_counter()
            dovecot.append(raw, at(f"2025-03-20 10:{n // 60:02d}:{n % 60:02d}"))
            smtp.sink.wait_for(n + 1, timeout=120)
            times.append(time.perf_counter() - start)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        smtp.stop()
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(f"{'IDLE pick-up, append -> reply over SMTP':40} p50 {statistics.median(times) * 1000:8.0f} ms   "
          f"p95 {p95 * 1000:6.0f} ms   max {times[-1] * 1000:6.0f} ms   (n={runs} applications, .docx form + PDF minutes)")


def main() -> None:
    print("Document extraction + form/minutes reading, per document:")
    timed("application form, .docx (table layout)", "skema.docx", form_docx(FormSpec(), "table"))
    timed("application form, text PDF", "skema.pdf", form_pdf(FormSpec(), "table"))
    timed("minutes, text PDF, 20 items", "referat.pdf", minutes_pdf(MinutesSpec(n_items=20), "numbered"))
    print("Mail path (Dovecot IMAP IDLE -> intake -> aiosmtpd SMTP, loopback):")
    idle_latency()


if __name__ == "__main__":
    main()
