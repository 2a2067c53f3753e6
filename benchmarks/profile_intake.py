"""`make bench`, where the time goes: cProfile of one `run --once` pass in this process over n backlog
mails (benchmarks/backlog.py: form + minutes + org chart, each municipality's own documents, its own
bytes per mail) in a Maildir, answered into a Maildir outbox -- the intake pipeline without the mail
servers.  Prints the top functions by cumulative time, then the top ones by own time, compactly."""
from __future__ import annotations

import cProfile
import datetime as dt
import mailbox
import math
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.backlog import CAPS, NOW, backlog_mail, backlog_rounds, benchmark_clock, document_sets  # noqa: E402
from parsers.municipalities import all_municipalities  # noqa: E402


def _where(key: tuple[str, int, str]) -> str:
    """`parsers/reading.py:120 expand`, `pdfplumber/page.py:300 extract_words`, `{built-in ...}`."""
    filename, line, name = key
    if filename == "~":
        return name
    path = filename
    for prefix in (str(ROOT) + "/", "site-packages/", "/lib/python3."):
        if prefix in path:
            path = path.split(prefix, 1)[1]
    if path.startswith(("1", "9")) and "/" in path:  # .../lib/python3.11/email/... -> email/...
        path = path.split("/", 1)[1]
    return f"{path}:{line} {name}"


def print_top(stats: pstats.Stats, total: float, top: int, key: str, title: str) -> None:
    raw = stats.stats  # type: ignore[attr-defined]  # {func: (primitive calls, calls, own time, cumulative, callers)}
    column = 3 if key == "cumulative" else 2
    rows = sorted(raw.items(), key=lambda item: item[1][column], reverse=True)
    rows = [(f, v) for f, v in rows if f[2] != "<built-in method builtins.exec>"][:top]
    print(f"  {title} (cumulative s, % of the pass, own s, calls, function):")
    for func, (_, calls, own, cumulative, _) in rows:
        print(f"    {cumulative:7.2f} {100 * cumulative / total:5.1f}% {own:7.2f} {calls:9d}  {_where(func)[:110]}")


def profile_intake(count: int = 50, sets=None, top: int = 15, own: int = 8) -> bool:
    towns = len(all_municipalities())
    sets = sets if sets is not None else document_sets(count)
    mails = [backlog_mail(sets, i) for i in range(count)]
    root = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    restore_clock = benchmark_clock()
    try:
        from bot.runtime import Runtime
        from bot.service import run_once
        from config.settings import load_settings
        from tests.conftest import write_config

        config = write_config(root, extra=CAPS + backlog_rounds(math.ceil(count / towns)))
        inbox = mailbox.Maildir(str(root / "inbox"), create=True)
        for m in mails:
            inbox.add(m.raw)
        rt = Runtime.open(load_settings(config))
        now = dt.datetime.fromisoformat(NOW)
        profiler = cProfile.Profile()
        start = time.perf_counter()
        summary = profiler.runcall(run_once, rt, now)
        wall = time.perf_counter() - start
        stats = pstats.Stats(profiler)
        total = max(v[3] for v in stats.stats.values())  # type: ignore[attr-defined]  # run_once's cumulative time
        print(f"Profile: one `run --once` pass in-process over {count} backlog mails (Maildir in and out, SQLite), under cProfile: "
              f"{wall:.1f} s, {wall / count * 1000:.0f} ms a mail (profiling adds overhead); processed {summary.processed}, "
              f"failed {summary.failed}, replies {summary.replies_sent}")
        print_top(stats, total, top, "cumulative", f"top {top} by cumulative time")
        if own:
            print_top(stats, total, own, "own", f"top {own} by own time")
        return summary.processed == count and not summary.failed
    finally:
        restore_clock()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    profile_intake(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
