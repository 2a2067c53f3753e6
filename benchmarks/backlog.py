"""`make bench`, the mail path at scale (tracker issue 10, "Speed near the floor"):

* `backlog(n)`: n application mails (form + minutes + organisation chart, each municipality's own
  documents) are APPENDed into a real Dovecot as fast as IMAP takes them while `taskforce-intake run`
  (the long-running service, a real subprocess, configured like tests/integration/conftest.py
  `imap_config`) IDLEs on it and answers through a real aiosmtpd.  Reported: mails/s, arrival (APPEND
  returned) -> reply accepted by SMTP (the sink's receive time) p50/p95, the service's peak RSS (VmHWM
  read from /proc before it is stopped), and the floor for the same mails in the same run: fetching them
  from Dovecot with imapclient and pulling the text out of their attachments with the fastest
  extractors (pypdfium2 for PDF, python-docx for Word), with the ratio service/floor.
* `supplement_cost()`: applications, then supplements in their threads ("SV:" to the previous
  reply), each timed from arrival to reply; the 10th against the 1st in a paired design (the 1st
  supplements of five fresh applications alternate with the 10th of five others, `Threads`), end to
  end and once more in-process (one `run --once` pass a mail: the service's own work, without
  Dovecot's fixed 0.5 s IDLE notification delay).

Documents: 98 municipalities x up to 3 variants (form .docx or text PDF in the three form layouts,
director, minutes layout / wording / committee, org chart) are generated once and reused; every mail
gets its own bytes of them (the PDF's /ID, the Word file's revision), so no reading the service stores
by content is ever reused across mails -- as in a real backlog.

Rounds: the service joins a later mail with documents from the same municipality (CVR, mail domain)
into that municipality's open application.  A backlog of 1,000 *applications* from 98 municipalities
therefore needs ceil(n / 98) rounds; each round gets its own address and every municipality applies once
per round.  (One round would turn the backlog into ~10 supplements per application: see
`supplement_cost` for that cost.)"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import io
import math
import os
import queue
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from parsers.municipalities import Municipality, all_municipalities  # noqa: E402
from tests.factories.combined import org_chart_pdf  # noqa: E402
from tests.factories.forms import FormSpec, form_docx, form_pdf  # noqa: E402
from tests.factories.minutes import MINUTES_LAYOUTS, MinutesSpec, minutes_pdf  # noqa: E402
from tests.mails import at, mail  # noqa: E402
from tests.servers import SmtpSink, start_dovecot, start_smtp  # noqa: E402

NOW = "2025-03-20T12:00:00+01:00"  # the service's "now": mid-round, no reminder or closing due
VARIANTS = 3  # document sets per municipality
CAPS = "[loops]\nper_sender_per_day = 1000000\nper_thread_per_10min = 1000000\n"  # a benchmark, not a mail bomb

FIRST_NAMES = ("Mette", "Lars", "Anne", "Jens", "Hanne", "Søren", "Birgitte", "Mikkel", "Lene", "Rasmus", "Pia", "Henrik",
               "Karen", "Torben", "Louise", "Ole", "Camilla", "Niels", "Dorthe", "Jørgen", "Signe", "Bo", "Trine", "Kasper")
SURNAMES = ("Hansen", "Jensen", "Nielsen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen",
            "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Poulsen", "Johansen", "Møller", "Mortensen",
            "Østergaard", "Kjær", "Bækgaard", "Lund", "Friis")
BODIES = ("Børne- og Ungeudvalget", "Familie- og Uddannelsesudvalget", "Børne- og Familieudvalget", "Social- og Sundhedsudvalget",
          "Byrådet", "Kommunalbestyrelsen", "Økonomiudvalget")
SUBJECTS = ("Ansøgning om Task Force-forløb", "Ansøgning til Task Force børn og unge – {town}", "{town}: ansøgning om Task Force",
            "Ansøgning om deltagelse i Task Force-forløb", "Fremsendelse af ansøgning og bilag ({town})")


# --------------------------------------------------------------------------- documents and mails


@dataclass(frozen=True)
class DocumentSet:
    """One municipality's application documents (one variant)."""

    town: str
    domain: str
    director: str
    address: str  # the director's mail address
    files: tuple[tuple[str, bytes], ...]  # form, minutes, org chart
    form_kind: str  # "docx table", "pdf inline", ...
    minutes_layout: str


def _initials(name: str) -> str:
    first, last = name.split()[0], name.split()[-1]
    return (first[:2] + last[:2]).lower().translate(str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"}))


def make_set(index: int) -> DocumentSet:
    """Document set `index`: municipality index % 98, variant index // 98 (module level: runs in a pool)."""
    towns = all_municipalities()
    town: Municipality = towns[index % len(towns)]
    m, v = index % len(towns), index // len(towns)
    director = f"{FIRST_NAMES[(m * 7 + v * 5) % len(FIRST_NAMES)]} {SURNAMES[(m * 11 + v * 3) % len(SURNAMES)]}"
    domain = town.domains[0] if town.domains else re.sub(r"\W", "", town.short_name.lower()) + ".dk"
    address = f"{_initials(director)}@{domain}"
    body = BODIES[(m + 2 * v) % len(BODIES)]
    meeting = dt.date(2025, 2, 3) + dt.timedelta(days=(m * 3 + v * 5) % 40)
    initial = dt.date(2025, 1, 6) + dt.timedelta(days=(m * 5 + v) % 30)
    spec = FormSpec(
        municipality=town.name, address=f"Rådhuset, {town.short_name}", cvr=town.cvr, director_name=director,
        director_phone=f"{40 + m % 50:02d} {10 + v:02d} {m % 90 + 10:02d} {(m * 7) % 90 + 10:02d}", director_email=address,
        initial_meeting=f"Ja, det indledende møde blev afholdt d. {initial.day}. {_month(initial)} 2025.",
        political=f"Ja, sagen blev behandlet i {body} den {meeting:%d.%m.%Y}. Referat vedlagt.",
        signature="image" if (m + v) % 4 == 0 else "typed", signed_date=f"{10 + (m + v) % 9:02d}.03.2025",
    )
    layout = ("table", "headings", "inline")[(m + 2 * v) % 3]
    docx = (m + v) % 2 == 0
    form = ("Ansøgningsskema.docx" if v % 2 == 0 else f"Ansøgning Task Force {town.short_name}.docx", form_docx(spec, layout)) if docx \
        else (f"Ansøgningsskema {town.short_name}.pdf", form_pdf(spec, layout))
    minutes_layout = MINUTES_LAYOUTS[(m + v) % len(MINUTES_LAYOUTS)]
    n_items = 8 + (m + 3 * v) % 9
    minutes = minutes_pdf(MinutesSpec(municipality=town.name, body=body, meeting_date=meeting, approval_wording=(m + v) % 5,
                                      n_items=n_items, item_number=1 + (m * 3 + v) % n_items), minutes_layout)
    files = (form, (f"Referat {body} {meeting:%d-%m-%Y}.pdf", minutes), ("Organisationsdiagram.pdf", org_chart_pdf(town.name)))
    return DocumentSet(town.name, domain, director, address, files, f"{'docx' if docx else 'pdf'} {layout}", minutes_layout)


def _month(d: dt.date) -> str:
    return ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november",
            "december")[d.month - 1]


def document_sets(count: int, workers: int = 2) -> list[DocumentSet]:
    """`count` sets (at most 98 x VARIANTS), generated in `workers` processes."""
    count = min(count, len(all_municipalities()) * VARIANTS)
    if workers <= 1 or count < 8:
        return [make_set(i) for i in range(count)]
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(make_set, range(count), chunksize=4)


_PDF_ID = re.compile(rb"/ID \n?\[<([0-9a-fA-F]{32})><([0-9a-fA-F]{32})>\]")


def own_bytes(filename: str, data: bytes, copy: int) -> bytes:
    """The same document as another file: a PDF with another /ID (same length, the xref stays right), a
    Word file with another revision number in docProps/core.xml.  Copy 0 is the original."""
    if copy == 0:
        return data
    token = hashlib.md5(data + copy.to_bytes(4, "big")).hexdigest().encode()
    if filename.lower().endswith(".pdf"):
        changed, n = _PDF_ID.subn(b"/ID \n[<" + token + b"><" + token + b">]", data, count=1)
        return changed if n else data + b"\n%% copy " + str(copy).encode() + b"\n"
    if filename.lower().endswith(".docx"):
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                content = source.read(info)
                if info.filename == "docProps/core.xml":
                    content = re.sub(rb"<cp:revision>\d+</cp:revision>", b"<cp:revision>%d</cp:revision>" % (copy + 3), content)
                target.writestr(info, content)
        return out.getvalue()
    return data + b"\n"


def round_address(number: int) -> str:
    return f"taskforce-{number + 1:02d}@sbst.dk"


def backlog_rounds(count: int) -> str:
    """`count` open børn og unge rounds, one address each (TOML)."""
    return "".join(
        f'\n[[rounds]]\nid = "backlog-{r + 1:02d}"\ntitle = "Task Force børn og unge, runde {r + 1}"\nprogramme = "boern-unge"\n'
        f'address = "{round_address(r)}"\nreference_prefix = "TFB{r + 1:02d}"\nopens = "2025-01-01T00:00"\n'
        f'deadline = "2025-03-25T12:00"\n'
        for r in range(count)
    )


@dataclass(frozen=True)
class BacklogMail:
    message_id: str
    raw: bytes
    received: dt.datetime


def backlog_mail(sets: list[DocumentSet], i: int) -> BacklogMail:
    """Mail i: set i % len(sets) (municipality i % 98), round i // 98, its own bytes of every document."""
    s = sets[i % len(sets)]
    copy = i // len(sets)
    town_short = s.town.removesuffix(" Kommune")
    when = at("2025-03-20 09:00:00") + dt.timedelta(seconds=2 * i)
    message_id = f"<backlog-{i:05d}.{hashlib.md5(str(i).encode()).hexdigest()[:8]}@{s.domain}>"
    raw = mail(
        sender=f"{s.director} <{s.address}>", to=round_address(i // len(all_municipalities())),
        subject=SUBJECTS[i % len(SUBJECTS)].format(town=town_short),
        body=f"Hermed fremsendes {s.town}s ansøgning om et Task Force-forløb med referat og organisationsdiagram.\n\n"
             f"Venlig hilsen\n{s.director}\nDirektør",
        attachments=[(name, own_bytes(name, data, copy)) for name, data in s.files],
        received=when, message_id=message_id,
    )
    return BacklogMail(message_id, raw, when)


# --------------------------------------------------------------------------- the service and the sink


@dataclass
class TimedSink(SmtpSink):
    """The tests' SMTP sink plus the moment each mail was accepted (perf_counter, this process)."""

    times: list[float] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if not self.refuse:
            self.times.append(time.perf_counter())  # same event-loop step as the append in SmtpSink
        return await super().handle_DATA(server, session, envelope)

    def wait_quiet(self, count: int, stall: float, alive) -> int:
        """Block until `count` mails are in, or none came for `stall` seconds, or `alive()` is false."""
        last, seen = time.monotonic(), -1
        with self.changed:
            while len(self.received) < count:
                if len(self.received) != seen:
                    seen, last = len(self.received), time.monotonic()
                if time.monotonic() - last > stall or not alive():
                    break
                self.changed.wait(1.0)
            return len(self.received)


def service_command() -> list[str]:
    """`taskforce-intake` as installed by `make install`, as an operator starts it."""
    script = Path(sys.executable).parent / "taskforce-intake"
    return [str(script)] if script.exists() else [sys.executable, "-m", "taskforce_intake"]


def _hwm(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmHWM:\s+(\d+)", status)
    return int(found.group(1)) if found else None


class Service:
    """`taskforce-intake --verbose run` as a subprocess; its log goes to a file and is scanned for IDLE
    (ready), errors and the pass summaries."""

    def __init__(self, config: Path, log: Path) -> None:
        env = {**os.environ, "TASKFORCE_INTAKE_CONFIG": str(config), "TASKFORCE_INTAKE_NOW": NOW}
        self.log_path = log
        self.proc = subprocess.Popen([*service_command(), "--verbose", "run"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
        self.idle: queue.Queue[float] = queue.Queue()
        self.errors: list[str] = []
        self.levels: Counter[str] = Counter()
        self.notes: Counter[str] = Counter()
        self.failed = 0
        self.held = 0
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        with open(self.log_path, "w", encoding="utf-8") as out:
            for line in self.proc.stderr:  # type: ignore[union-attr]
                out.write(line)
                out.flush()
                level = re.search(r" (DEBUG|INFO|WARNING|ERROR|CRITICAL) ", line)
                if level:
                    self.levels[level.group(1)] += 1
                    if level.group(1) != "INFO":  # what the warnings are about, numbers and ids left out
                        what = re.sub(r"\d+", "N", line.split(": ", 1)[-1].strip())
                        self.notes[f"{level.group(1)} {re.sub(r'RunSummary[(].*', 'RunSummary(...)', what)[:90]}"] += 1
                if "IDLE, venter" in line:
                    self.idle.put(time.perf_counter())
                if "held back" in line:
                    self.held += 1
                failed = re.search(r"\bfailed=(\d+)", line)
                if failed:
                    self.failed += int(failed.group(1))
                if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback") or re.match(r"\w+(Error|Exception):", line):
                    self.errors.append(line.strip())

    def wait_idle(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.idle.get(timeout=1)
                return
            except queue.Empty:
                if not self.alive():
                    self.reader.join(timeout=5)  # the rest of its log
                    break
        if True:
            raise RuntimeError(f"the service did not reach IDLE within {timeout:.0f} s (exit code {self.proc.poll()}); "
                               f"log {self.log_path}:\n{self.tail()}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def peak_rss_kib(self) -> int | None:
        """VmHWM of the running service (its own peak resident set), in KiB."""
        return _hwm(self.proc.pid)

    def children(self) -> list[int]:
        """The service's live child processes (its reader processes, bot/readers.py)."""
        children: list[str] = []
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*"):  # forked by whichever thread read first
            try:
                children += (task / "children").read_text().split()
            except OSError:
                continue
        return [int(pid) for pid in children]

    def reader_rss_kib(self) -> list[int]:
        """VmHWM of each of the service's reader processes, in KiB: the forked workers share the
        service's pages until they write, so each counts them too."""
        return [kib for kib in (_hwm(pid) for pid in self.children()) if kib]

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time (user + system) so far of the service's own process and of its reader processes: the
        live ones and those it has reaped (replaced after `documents_per_worker` documents)."""
        own, reaped = _cpu(self.proc.pid)
        return own, reaped + sum(_cpu(pid)[0] for pid in self.children())


    def stop(self) -> int | None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.reader.join(timeout=10)
        return code

    def tail(self, lines: int = 15) -> str:
        try:
            return "".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)[-lines:])
        except OSError:
            return ""


def _cpu(pid: int) -> tuple[float, float]:
    """(the process's own CPU seconds, its reaped children's), from /proc/<pid>/stat; zeros if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def configure(root: Path, dovecot, smtp, rounds: int = 0) -> Path:
    """tests/integration/conftest.py `imap_config` (Dovecot + aiosmtpd, the two test rounds), with the
    reply caps lifted and, for a backlog, `rounds` extra rounds."""
    from tests.integration.conftest import imap_config

    return imap_config(root, dovecot, smtp, extra=CAPS + backlog_rounds(rounds))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


# --------------------------------------------------------------------------- the floor


def docx_text(data: bytes) -> str:
    """Every paragraph of a Word file's body, tables (nested) and headers/footers (python-docx)."""
    import docx

    document = docx.Document(io.BytesIO(data))
    out: list[str] = []

    def blocks(container) -> None:
        out.extend(p.text for p in container.paragraphs)
        for table in container.tables:
            for row in table.rows:
                for cell in row.cells:
                    blocks(cell)

    blocks(document)
    for section in document.sections:
        blocks(section.header)
        blocks(section.footer)
    return "\n".join(out)


def pdf_text(data: bytes) -> str:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        out = []
        for page in pdf:
            textpage = page.get_textpage()
            out.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(out)
    finally:
        pdf.close()


def floor(dovecot, folder: str, batch: int = 100) -> tuple[float, int, int, int]:
    """Fetch every mail in `folder` with imapclient and take the text out of its attachments.
    Returns (seconds, mails, attachments, characters)."""
    import docx  # noqa: F401 - imported before the clock starts, as in a running service
    import pypdfium2  # noqa: F401
    from imapclient import IMAPClient

    from bot.mailboxes.imap import quiet
    from tests.servers import PASSWORD, USER

    start = time.perf_counter()
    mails = attachments = chars = 0
    with quiet(IMAPClient("127.0.0.1", port=dovecot.port, ssl=False)) as client:  # imaplib's trace off, as in the service
        client.login(USER, PASSWORD)
        client.select_folder(folder, readonly=True)
        uids = sorted(client.search("ALL"))
        for first in range(0, len(uids), batch):
            for _, item in sorted(client.fetch(uids[first:first + batch], ["INTERNALDATE", "BODY.PEEK[]"]).items()):
                mails += 1
                for part in email.message_from_bytes(item[b"BODY[]"]).walk():
                    name = (part.get_filename() or "").lower()
                    if not name:
                        continue
                    data = part.get_payload(decode=True) or b""
                    attachments += 1
                    if name.endswith(".pdf"):
                        chars += len(pdf_text(data))
                    elif name.endswith(".docx"):
                        chars += len(docx_text(data))
    return time.perf_counter() - start, mails, attachments, chars


def moved_at(dovecot, offset: float) -> dict[str, float]:
    """When the service moved each mail to the done folder (it moves a mail once it is stored and
    processed): the ctime of its file in Dovecot's Maildir, by Message-ID, on the perf_counter clock
    (`offset` = time.time() - time.perf_counter())."""
    from email.parser import BytesHeaderParser

    from tests.servers import USER

    out: dict[str, float] = {}
    for folder in (dovecot.root / "mail" / USER).glob(".*Behandlet"):
        for path in [*(folder / "cur").iterdir(), *(folder / "new").iterdir()]:
            with open(path, "rb") as file:
                head = file.read(8192).split(b"\n\n", 1)[0]
            message_id = str(BytesHeaderParser().parsebytes(head).get("Message-ID", "")).strip()
            out[message_id] = path.stat().st_ctime - offset
    return out


def done_folder(dovecot) -> str | None:
    with dovecot.client() as client:
        names = [name for _, _, name in client.list_folders()]
    return next((n for n in names if n.endswith("Behandlet")), None)


def db_summary(root: Path) -> str:
    """What the service stored, by message kind and state, and its replies by kind (read-only)."""
    try:
        with sqlite3.connect(f"file:{root / 'intake.db'}?mode=ro", uri=True) as db:
            messages = db.execute("SELECT kind, state, count(*) FROM message GROUP BY kind, state ORDER BY 3 DESC").fetchall()
            replies = db.execute("SELECT state, count(*) FROM reply GROUP BY state ORDER BY 2 DESC").fetchall()
            apps = db.execute("SELECT count(*) FROM application").fetchone()[0]
            roles = db.execute("SELECT role, count(*) FROM attachment GROUP BY role ORDER BY 2 DESC").fetchall()
            problems = db.execute("SELECT problem, count(*) FROM attachment WHERE problem != '' GROUP BY problem ORDER BY 2 DESC").fetchall()
    except sqlite3.Error as exc:
        return f"(database not readable: {exc})"
    stored = ", ".join(f"{kind or '?'}/{state} {n}" for kind, state, n in messages)
    text = (f"messages {stored}; applications {apps}; attachments {', '.join(f'{r} {n}' for r, n in roles)}; "
            f"reply rows {', '.join(f'{s} {n}' for s, n in replies)}")
    if problems:
        text += f"\n  PROBLEM       {sum(n for _, n in problems)} attachment(s) not read, e.g. {problems[0][0][:160]!r}"
    return text


# --------------------------------------------------------------------------- the backlog


def backlog(count: int, sets: list[DocumentSet] | None = None, stall: float = 300, generated: float | None = None) -> bool:
    """The backlog figure (see the module docstring).  Returns whether every mail was answered as the
    generated documents demand (a receipt: every set is a complete application)."""
    towns = len(all_municipalities())
    if sets is None:
        started = time.perf_counter()
        sets = document_sets(min(count, towns * VARIANTS))
        generated = time.perf_counter() - started
    mails = [backlog_mail(sets, i) for i in range(count)]
    size = sum(len(m.raw) for m in mails)
    rounds = math.ceil(count / towns)
    formats = Counter(s.form_kind.split()[0] for s in (sets[i % len(sets)] for i in range(count)))
    made = f" (generated in {generated:.0f} s)" if generated is not None else ""
    print(f"Backlog: {count} application mails (form + minutes + org chart), {len({s.town for s in sets})} municipalities x "
          f"{math.ceil(len(sets) / towns)} variant(s) = {len(sets)} document sets{made}, own bytes per mail; "
          f"forms {formats['docx']} .docx / {formats['pdf']} PDF; {size / 2**20:.0f} MiB; {rounds} round(s), one application "
          f"per municipality per round; load average {os.getloadavg()[0]:.1f}")

    dovecot, smtp = start_dovecot(), start_smtp(sink=TimedSink())
    sink: TimedSink = smtp.sink  # type: ignore[assignment]
    root = Path(tempfile.mkdtemp(prefix="bench-backlog-"))
    service = Service(configure(root, dovecot, smtp, rounds), root / "service.log")
    appended: dict[str, float] = {}
    ok = False
    try:
        service.wait_idle()
        cpu_before, harness_before = service.cpu_seconds(), os.times()
        with dovecot.client() as client:  # a burst: the backlog arrives while the service IDLEs
            for m in mails:
                client.append("INBOX", m.raw, msg_time=m.received)
                appended[m.message_id] = time.perf_counter()
        first = min(appended.values())
        append_seconds = max(appended.values()) - first
        offset = time.time() - time.perf_counter()
        got = sink.wait_quiet(count, stall, service.alive)
        cpu_after, harness_after = service.cpu_seconds(), os.times()
        rss = service.peak_rss_kib()
        readers = service.reader_rss_kib()
        end = sink.times[got - 1] if got else time.perf_counter()
        code = service.stop()

        latencies, kinds, unknown, twice = [], Counter(), 0, 0
        answered: set[str] = set()
        for received, accepted in zip(list(sink.received), list(sink.times)):
            msg = received.message
            kinds[str(msg.get("X-Taskforce-Reply", "?"))] += 1
            answers = str(msg.get("In-Reply-To", "")).strip()
            if answers not in appended:
                unknown += 1
                continue
            twice += answers in answered
            answered.add(answers)
            latencies.append(accepted - appended[answers])
        seconds = end - first
        bursts = [t for prev, t in zip([float("-inf"), *sink.times], sink.times) if t - prev > 2.0]  # replies 2 s apart or more
        ok = len(answered) == count and not unknown and not twice and kinds["receipt"] == count
        print(f"  appended      {count} mails in {append_seconds:.1f} s ({count / max(append_seconds, 1e-9):.0f} mails/s over one IMAP connection)")
        if latencies:
            print(f"  service       {len(answered)}/{count} answered in {seconds:.1f} s: {len(answered) / seconds:.2f} mails/s; "
                  f"arrival -> reply p50 {_seconds(statistics.median(latencies))}, p95 {_seconds(percentile(latencies, 0.95))}, "
                  f"max {_seconds(max(latencies))}; first reply {_seconds(min(sink.times) - first)} after the first arrival")
            gaps = [b - a for a, b in zip(bursts, bursts[1:])]
            moved = moved_at(dovecot, offset)
            done = [moved[i] - appended[i] for i in answered if i in moved]
            waited = [accepted - moved[str(r.message.get("In-Reply-To", "")).strip()] for r, accepted in zip(sink.received, sink.times)
                      if str(r.message.get("In-Reply-To", "")).strip() in moved]
            if done and waited:
                print(f"  processed     arrival -> moved to the done folder (stored, processed) p50 {_seconds(statistics.median(done))}, "
                      f"p95 {_seconds(percentile(done, 0.95))}; moved -> reply at SMTP p50 {_seconds(statistics.median(waited))}, "
                      f"p95 {_seconds(percentile(waited, 0.95))}, max {_seconds(max(waited))}")
            print(f"  delivery      the replies reached SMTP in {len(bursts)} burst(s)"
                  + (f", a median {statistics.median(gaps):.0f} s apart" if gaps else ""))
            marks = [first + seconds * q for q in (0.25, 0.5, 0.75, 1.0)]
            print("  timeline      at 25/50/75/100 % of the run: "
                  + (f"moved {'/'.join(str(sum(t <= m for t in moved.values())) for m in marks)}, " if moved else "")
                  + f"replies {'/'.join(str(sum(t <= m for t in sink.times)) for m in marks)}")
            main_cpu, readers_cpu = (after - before for after, before in zip(cpu_after, cpu_before))
            harness_cpu = (harness_after.user + harness_after.system) - (harness_before.user + harness_before.system)
            print(f"  CPU           from the first append to the last reply: the service {main_cpu:.1f} s, its reader processes "
                  f"{readers_cpu:.1f} s, this benchmark (appending, the SMTP sink) {harness_cpu:.1f} s, in {seconds:.1f} s on "
                  f"{os.cpu_count()} cores")
            print(f"  memory        peak RSS of the service {rss / 1024 if rss else float('nan'):.0f} MiB, of its {len(readers)} reader "
                  f"process(es) {' / '.join(f'{k / 1024:.0f}' for k in readers) or '-'} MiB (VmHWM each, read before it was stopped; "
                  f"forked, they share the service's pages); exit code {code} after SIGTERM")
        else:
            print(f"  service       0/{count} answered; exit code {code}")
        print(f"  replies       {', '.join(f'{k} {n}' for k, n in kinds.most_common())} (every mail is a complete application: "
              f"receipt expected){f'; {unknown} not to a backlog mail' if unknown else ''}{f'; {twice} answered twice' if twice else ''}")
        print(f"  stored        {db_summary(root)}")
        errors = len(service.errors)
        print(f"  service log   {', '.join(f'{k} {n}' for k, n in sorted(service.levels.items()))}; {service.failed} failed in the "
              f"pass summaries; {service.held} replies held back; {errors} error line(s)"
              + (f", e.g. {service.errors[0][:200]!r}" if errors else ""))
        for note, n in service.notes.most_common(4):
            print(f"                {n:5d} x {note}")

        folder = done_folder(dovecot)
        if folder is None:
            print("  floor         not measured: the service made no done folder")
        else:
            floor_seconds, floor_mails, attachments, chars = floor(dovecot, folder)
            print(f"  floor         imapclient fetch + pypdfium2 / python-docx text of the same {floor_mails} mails (done folder): "
                  f"{floor_seconds:.1f} s, {floor_mails / floor_seconds:.1f} mails/s ({attachments} attachments, {chars / 1e6:.1f} M characters)")
            if latencies and floor_mails:
                ratio = (seconds / len(answered)) / (floor_seconds / floor_mails)
                print(f"  ratio         service / floor = {ratio:.1f} per mail (issue 10's target: <= 2.5); load average {os.getloadavg()[0]:.1f}")
        if not ok:
            print(f"  PROBLEM       {count - len(answered)} mail(s) unanswered, {count - kinds['receipt']} without a receipt; "
                  f"service log and database kept in {root}")
    finally:
        if service.alive():
            service.stop()
        smtp.stop()
        dovecot.stop()
        if ok:
            shutil.rmtree(root, ignore_errors=True)
    return ok


# --------------------------------------------------------------------------- supplements


def thread_mail(s: DocumentSet, thread: int, position: int, reply, layout: int) -> bytes:
    """Thread `thread`'s mail at `position`: 0 the application (a backlog mail's documents), then "SV:"
    to `reply` (the previous reply, an email.message.Message) with one more minutes PDF in `layout`."""
    if position == 0:
        return mail(sender=f"{s.director} <{s.address}>", subject=f"Ansøgning om Task Force-forløb – {s.town}",
                    body="Hermed vores ansøgning med bilag.", attachments=list(s.files),
                    received=f"2025-03-20 10:00:{thread:02d}", message_id=f"<supplement-{thread}-0@{s.domain}>")
    minutes = minutes_pdf(MinutesSpec(municipality=s.town, body=BODIES[layout % len(BODIES)], n_items=10, item_number=4,
                                      meeting_date=dt.date(2025, 2, 1) + dt.timedelta(days=position)),
                          MINUTES_LAYOUTS[layout % len(MINUTES_LAYOUTS)])
    return mail(sender=f"{s.director} <{s.address}>", subject=f"SV: {reply['Subject']}",
                body=f"Hermed bilag {position} til vores ansøgning.", attachments=[(f"Referat bilag {position}.pdf", minutes)],
                received=f"2025-03-20 11:{position:02d}:{thread:02d}", message_id=f"<supplement-{thread}-{position}@{s.domain}>",
                in_reply_to=str(reply["Message-ID"]), references=f"{reply.get('References', '')} {reply['Message-ID']}".strip())


class Threads:
    """Two groups of `reps` applications: group B is taken to 9 supplements first, group A gets only its
    application; then A's 1st supplement and B's 10th are sent alternately (A0, B0, A1, B1 ...), so
    the two figures are paired in time (a busier moment of the machine hits both) and in the database
    (the same number of other mails).  Thread r of each group reads minutes in the same layout."""

    def __init__(self, reps: int, supplements: int) -> None:
        towns = all_municipalities()
        self.sets = {"A": [make_set(7 + 19 * r) for r in range(reps)], "B": [make_set(10 + 19 * r) for r in range(reps)]}
        self.reps, self.supplements = reps, supplements
        self.previous: dict[tuple[str, int], object] = {}
        assert len({s.town for group in self.sets.values() for s in group}) == 2 * reps <= len(towns)

    def schedule(self) -> list[tuple[str, int, int, bool]]:
        """(group, r, position, timed for the paired figure) in sending order."""
        steps = [("B", r, p, False) for p in range(self.supplements) for r in range(self.reps)]
        steps += [("A", r, 0, False) for r in range(self.reps)]
        for r in range(self.reps):
            steps += [("A", r, 1, True), ("B", r, self.supplements, True)]
        return steps

    def mail(self, group: str, r: int, position: int) -> bytes:
        thread = r + (self.reps if group == "B" else 0)
        return thread_mail(self.sets[group][r], thread, position, self.previous.get((group, r)), layout=r)

    def answered(self, group: str, r: int, position: int, reply) -> None:
        s, thread = self.sets[group][r], r + (self.reps if group == "B" else 0)
        answers = str(reply.get("In-Reply-To", "")).strip()
        if answers != f"<supplement-{thread}-{position}@{s.domain}>":
            raise RuntimeError(f"the reply answers {answers!r}, not {s.town}'s mail {position}")
        self.previous[(group, r)] = reply

    def run(self, send) -> tuple[list[list[float]], list[float], list[float]]:
        """`send(raw) -> (seconds, reply)` for every step.  Returns group B's times by position (in
        sending order, so a drift of the machine shows in them), A's 1st and B's 10th (paired)."""
        curve: list[list[float]] = [[] for _ in range(self.supplements + 1)]
        first: list[float] = []
        tenth: list[float] = []
        for group, r, position, paired in self.schedule():
            seconds, reply = send(self.mail(group, r, position))
            self.answered(group, r, position, reply)
            if group == "B" and not paired:
                curve[position].append(seconds)
            if paired:
                (first if group == "A" else tenth).append(seconds)
        return curve, first, tenth


def _paired_lines(label: str, curve: list[list[float]], first: list[float], tenth: list[float], supplements: int) -> None:
    medians = [statistics.median(t) * 1000 for t in curve if t]
    print(f"  {label:13} application {medians[0]:.0f} ms; supplements 1..{supplements - 1} "
          + " ".join(f"{m:.0f}" for m in medians[1:]) + " ms (group B in sending order)")
    ratio = statistics.median(tenth) / statistics.median(first)
    paired = statistics.median(b / a for a, b in zip(first, tenth))
    print(f"  {'':13} paired: 1st supplement {statistics.median(first) * 1000:.0f} ms, 10th {statistics.median(tenth) * 1000:.0f} ms "
          f"(medians of {len(first)}); 10th / 1st = {ratio:.2f} (medians), {paired:.2f} (median of the pairs); issue 10's target: <= 1.2")


def supplement_cost(reps: int = 5, supplements: int = 10) -> bool:
    """One complete application (form .docx or PDF, minutes, org chart: a backlog mail), then
    supplements in its thread ("SV:" to the previous reply), each with one more minutes PDF (the same
    layout within an application, so every supplement reads the same amount and changes no verdict:
    the 1st and the 10th differ only in the dossier behind them).  Paired design: see `Threads`.
    Timed end to end (append -> reply at SMTP, `taskforce-intake run` IDLEing), then the same schedule
    in this process, one `run --once` pass a mail over a Maildir: the service's own work, without
    Dovecot's IDLE notification delay and the IMAP/SMTP round trips."""
    threads = Threads(reps, supplements)
    dovecot, smtp = start_dovecot(), start_smtp(sink=TimedSink())
    sink: TimedSink = smtp.sink  # type: ignore[assignment]
    root = Path(tempfile.mkdtemp(prefix="bench-supplements-"))
    service = Service(configure(root, dovecot, smtp), root / "service.log")
    kinds: Counter[str] = Counter()
    ok = False

    def send(raw: bytes) -> tuple[float, object]:
        service.wait_idle()  # the service is IDLEing again: each mail is timed from an idle service
        count = len(sink.received)
        start = time.perf_counter()
        dovecot.append(raw, email.utils.parsedate_to_datetime(email.message_from_bytes(raw)["Date"]))
        if sink.wait_quiet(count + 1, 120, service.alive) <= count:
            raise RuntimeError(f"no reply within 120 s; log {service.log_path}:\n{service.tail()}")
        reply = sink.received[count].message
        kinds[str(reply["X-Taskforce-Reply"])] += 1
        return sink.times[count] - start, reply

    try:
        curve, first, tenth = threads.run(send)
        service.stop()
        forms = Counter(s.form_kind.split()[0] for group in threads.sets.values() for s in group)
        print(f"Supplements: {2 * reps} complete applications (form {forms['docx']} .docx / {forms['pdf']} PDF, minutes, org chart), "
              f"then supplements in their threads ('SV:' to the previous reply, one more minutes PDF each); replies "
              f"{', '.join(f'{k} {n}' for k, n in kinds.items())}; {len(service.errors)} error line(s) in the service log")
        _paired_lines("end to end", curve, first, tenth, supplements)
        print(f"  {'':13} (append -> reply at SMTP; each holds Dovecot's fixed 0.5 s before it tells an IDLE client of new mail, "
              "NOTIFY_DELAY_MSECS in its mailbox-watch.c)")
        print(f"  stored        {db_summary(root)}")
        _paired_lines("in-process", *_supplements_in_process(Threads(reps, supplements)), supplements)
        print(f"  {'':13} (one `run --once` pass a mail over a Maildir, SQLite, no IMAP or SMTP: the service's own work)")
        ok = True
    finally:
        if service.alive():
            service.stop()
        smtp.stop()
        dovecot.stop()
        if ok:
            shutil.rmtree(root, ignore_errors=True)
    return ok


def benchmark_clock() -> Callable[[], None]:
    """Sets TASKFORCE_INTAKE_NOW to the benchmark's "now" for an in-process pass (whatever reads the
    clock reads it); returns the function that puts the variable back as it was."""
    saved = os.environ.get("TASKFORCE_INTAKE_NOW")
    os.environ["TASKFORCE_INTAKE_NOW"] = NOW

    def restore() -> None:
        if saved is None:
            os.environ.pop("TASKFORCE_INTAKE_NOW", None)
        else:
            os.environ["TASKFORCE_INTAKE_NOW"] = saved

    return restore


def _supplements_in_process(threads: Threads) -> tuple[list[list[float]], list[float], list[float]]:
    import mailbox

    from bot.service import run_once
    from config.settings import load_settings
    from tests.conftest import write_config

    from bot.runtime import Runtime

    root = Path(tempfile.mkdtemp(prefix="bench-supplements-own-"))
    restore_clock = benchmark_clock()
    try:
        rt = Runtime.open(load_settings(write_config(root, extra=CAPS)))
        inbox, outbox = mailbox.Maildir(str(root / "inbox"), create=True), mailbox.Maildir(str(root / "outbox"), create=True)
        now = dt.datetime.fromisoformat(NOW)
        seen: set[str] = set()

        def send(raw: bytes) -> tuple[float, object]:
            inbox.add(raw)
            start = time.perf_counter()
            summary = run_once(rt, now)
            seconds = time.perf_counter() - start
            new = [k for k in outbox.keys() if k not in seen]
            if summary.processed != 1 or len(new) != 1:
                raise RuntimeError(f"in-process pass: {summary}, {len(new)} replies")
            seen.update(new)
            return seconds, email.message_from_bytes(outbox.get_bytes(new[0]), policy=email.policy.default)

        return threads.run(send)
    finally:
        restore_clock()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backlog", type=int, default=int(os.environ.get("BENCH_BACKLOG", "1000")))
    parser.add_argument("--supplements", action="store_true", help="only the supplement figure")
    args = parser.parse_args()
    if args.supplements:
        sys.exit(0 if supplement_cost() else 1)
    sys.exit(0 if backlog(args.backlog) else 1)
