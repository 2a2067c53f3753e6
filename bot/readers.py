"""Documents are read in worker processes, each held to a time and a memory limit, so a file that makes
a reader hang, loop or allocate without end costs that one document ("tog for lang tid" / "for stor")
and never the service.  The same processes let the intake read the documents of the next mails while it
decides the current one, so on a backlog the machine's cores read side by side (`bot/intake.py`).

The pool is pebble's (a timeout per task kills and replaces the worker), started lazily on the first
document.  Workers are forked: they start in milliseconds with the readers already imported, and run
nothing but `expand` (no database, no logging of their own, so no lock a service thread held at the fork
matters; a fork server would import the service's main module again in every new worker).  Each worker
is the leader of its own process group and takes that group (its Tesseract processes) with it when it is
stopped."""
from __future__ import annotations

import concurrent.futures
import concurrent.futures.thread
import contextlib
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, Callable, TypeVar, cast

from pebble import ProcessExpired, ProcessPool

from config.settings import LimitSettings
from parsers.documents import ReadOptions, problems
from parsers.message import MessageFacts, parse_message
from parsers.reading import Found, expand, unpack, unreadable
from storage.files import FileStore

log = logging.getLogger(__name__)

MEGABYTE = 1024 * 1024
T = TypeVar("T")



@dataclass(frozen=True)
class Read:
    """Every document of one attachment, and how long the reader took (ms a document)."""

    found: list[Found]
    ms: int
    stored: frozenset[str] = frozenset()  # the digests whose reading came from the database, not from a reader


def read_attachment(filename: str, content_type: str, data: bytes, options: ReadOptions, unpack_only: bool = False,
                    keep: FileStore | None = None) -> Read:
    """What a worker runs: every document of one attachment (`parsers.reading.expand`), or with
    `unpack_only` a container's documents unpacked, not read (`parsers.reading.unpack`).  With `keep`
    the attachment and every document unpacked from it are first written to that file store (hashed,
    written and synced here, beside the other worker, not in the service's one thread); the service
    then only finds them there (`FileStore.put`) before it records a row naming them."""
    start = time.perf_counter()
    if keep is not None:
        _keep(keep, data)
    found = (unpack if unpack_only else expand)(filename, content_type, data, options)
    if keep is not None:
        for item in found:
            if item.data is not None and item.data is not data:
                _keep(keep, item.data)
    found = [Found(f.reading, None) if f.data is data else f for f in found]  # the caller has those bytes: not sent back
    return Read(found, round((time.perf_counter() - start) * 1000 / max(len(found), 1)))


def _keep(store: FileStore, data: bytes) -> None:
    """A file written ahead; a disk that refuses it is the service's to report: it writes every file
    again before its row (`bot/intake.py` `_read`), and fails the mail there, to be tried again."""
    with contextlib.suppress(OSError):
        store.put(data)


def parse_mail(raw: bytes) -> MessageFacts:
    """What a worker runs for a mail: its facts, attachments decoded (`parsers.message.parse_message`)."""
    return parse_message(raw)


def _start_worker(memory_mb: int, niceness: int = 0) -> None:
    """In each new worker: its own process group, which SIGTERM (pebble's stop) takes down with it, and
    the memory limit -- `memory_mb` on top of the address space the worker was forked with (a big parent
    must not leave a reader no room at all), inherited by the programs it starts; `niceness` lowers the
    priority of work that may wait (the evidence pictures) below the reading of new mail: niced, and on
    Linux SCHED_IDLE, so it takes only CPU time nothing else wants."""
    os.setpgid(0, 0)
    # Forked from a thread of a ThreadPoolExecutor (the scheduler's), the worker inherits that pool's
    # registry of threads to join at exit, its own thread among them: Python 3.11 then fails the exit
    # ("cannot join current thread") and the worker ends with code 1, which pebble takes for a crash --
    # of the document being read, or, between documents, of the whole pool (every read then fails).
    # None of those threads exist in the worker.
    cast("weakref.WeakKeyDictionary[Any, Any]", concurrent.futures.thread._threads_queues).clear()
    if niceness:
        os.nice(niceness)
        with contextlib.suppress(AttributeError, OSError):  # Linux: run only when no other process wants the CPU
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    signal.signal(signal.SIGTERM, lambda *_: os.killpg(0, signal.SIGKILL))
    limit = _address_space() + memory_mb * MEGABYTE
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _address_space() -> int:
    """This process's virtual memory size now (Linux: VmSize in /proc/self/status), 0 if unknown."""
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# A few lines of a form and of minutes: reading them once loads what the readers load on first use
# (dateparser's Danish locale alone takes half a second), so a worker forked after it reads its first
# document as fast as its hundredth.
WARM_UP = """Ansøgningsskema – Task Force
Kommune: Slagelse Kommune
Har kommunen afholdt et indledende møde med Task Forcen? Ja, den 14. januar 2025
Underskrift: Mette Hansen, direktør
Referat, Børne- og Ungeudvalget, mødet den 10. februar 2025
Punkt 4: Ansøgning om Task Force-forløb
Beslutning: Godkendt.
"""


def warm_up() -> None:
    expand("opvarmning.txt", "text/plain", WARM_UP.encode("utf-8"))


class Reading:
    """An attachment being read: `result()` waits for it and turns every way a reader can fail into an
    unreadable document with a Danish reason (the library's own text goes to the log)."""

    def __init__(self, future: concurrent.futures.Future[Read], filename: str, content_type: str, data: bytes,
                 limits: LimitSettings) -> None:
        self.future, self.filename, self.content_type, self.data, self.limits = future, filename, content_type, data, limits

    def cancel(self) -> None:
        """Not wanted any more (its mail failed): stopped if it has not started, else left to finish."""
        self.future.cancel()

    def result(self) -> Read:
        try:
            return self.future.result()
        except concurrent.futures.TimeoutError:
            problem, detail = problems.too_slow(self.filename, self.limits.reader_seconds), f"stopped after {self.limits.reader_seconds} s"
            log.warning("%s: læseren stoppet efter %d s", self.filename, self.limits.reader_seconds)
        except MemoryError:
            problem, detail = problems.too_much_memory(self.filename, self.limits.reader_memory_mb), "MemoryError"
            log.warning("%s: læseren løb tør for hukommelse (grænse %d MB)", self.filename, self.limits.reader_memory_mb)
        except ProcessExpired as exc:  # killed (out of memory in C code) or crashed
            problem, detail = problems.reader_stopped(self.filename), problems.detail_of(exc)
            log.warning("%s: læserprocessen døde (%s, afslutningskode %s)", self.filename, exc, exc.exitcode)
        except Exception as exc:  # expand handles a bad file itself: this is a bug, logged with its traceback
            problem, detail = problems.reader_stopped(self.filename), problems.detail_of(exc)
            log.exception("%s: læseren fejlede", self.filename)
        return Read([Found(unreadable(self.filename, self.content_type, self.data, problem, detail), None)], 0)  # its own bytes


class Readers:
    """The reader processes of one service (or command): started at the first `read`, stopped by `close`."""

    live: "weakref.WeakSet[Readers]" = weakref.WeakSet()  # every one not yet collected (tests close them all)

    def __init__(self, options: ReadOptions, limits: LimitSettings = LimitSettings(), processes: int | None = None,
                 niceness: int = 0) -> None:
        """`processes`: default `[limits]` (the cores); `niceness`: see `_start_worker`."""
        self.options, self.limits = options, limits
        self.processes, self.niceness = processes or limits.processes, niceness
        self._pool: ProcessPool | None = None
        self._lock = threading.Lock()
        Readers.live.add(self)

    def read(self, filename: str, content_type: str, data: bytes, unpack_only: bool = False,
             keep: FileStore | None = None) -> Reading:
        """Start reading one attachment (or only unpacking a container), its files first kept in `keep`
        (see `read_attachment`); the answer is `Reading.result()`."""
        future = self._started().schedule(read_attachment, (filename, content_type, data, self.options, unpack_only, keep),
                                           timeout=self.limits.reader_seconds)
        return Reading(future, filename, content_type, data, self.limits)

    def parse(self, raw: bytes) -> concurrent.futures.Future[MessageFacts]:
        """Start parsing one mail; the future raises what `run`'s do when the worker failed."""
        return self.run(parse_mail, raw)

    def run(self, task: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        """Run other work on documents in the same processes, under the same time and memory limits
        (bot/pictures.py renders the evidence pictures so): the future raises what `task` raised, or
        `concurrent.futures.TimeoutError` / `pebble.ProcessExpired` when the worker was stopped."""
        future: concurrent.futures.Future[T] = self._started().schedule(task, args, timeout=self.limits.reader_seconds)
        return future

    def _started(self) -> ProcessPool:
        with self._lock:
            if self._pool is None or not self._pool.active:
                warm_up()  # in this process, before the workers are forked from it
                context: Any = multiprocessing.get_context("fork")
                self._pool = ProcessPool(max_workers=self.processes, max_tasks=self.limits.documents_per_worker,
                                         initializer=_start_worker, initargs=(self.limits.reader_memory_mb, self.niceness),
                                         context=context)
                weakref.finalize(self, _stop, self._pool)  # a Runtime dropped without `close` (tests, scripts)
            return self._pool

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                _stop(self._pool)
                self._pool.join()
                self._pool = None


def _stop(pool: ProcessPool) -> None:
    pool.stop()  # type: ignore[no-untyped-call]  # pebble's stop() has no annotations
