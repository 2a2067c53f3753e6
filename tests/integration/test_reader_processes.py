"""The reader processes (bot/readers.py) are replaced after `[limits] documents_per_worker` documents.
The service reads from a thread of the scheduler's ThreadPoolExecutor, so its workers are forked from
such a thread; a worker must still end cleanly when it is replaced, or pebble takes the exit for a
crash: of the document being read ("læsningen stoppede undervejs"), or of the whole pool, whose next
reads then fail or never return."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bot.readers import Read, Readers
from config.settings import LimitSettings
from parsers.documents import ReadOptions


def _read_one_at_a_time(readers: Readers, count: int) -> list[Read]:
    return [readers.read(f"bilag{n}.txt", "text/plain", f"Bilag {n}: organisationsdiagram".encode()).result() for n in range(count)]


def test_reader_processes_forked_from_a_scheduler_thread_are_replaced_cleanly():
    readers = Readers(ReadOptions(), LimitSettings(documents_per_worker=2), processes=1)
    try:
        with ThreadPoolExecutor(1) as scheduler:  # as apscheduler runs the pass
            reads = scheduler.submit(_read_one_at_a_time, readers, 9).result(timeout=60)
    finally:
        readers.close()
    assert [r.found[0].reading.role for r in reads] == ["other"] * 9  # every worker replaced between two documents
