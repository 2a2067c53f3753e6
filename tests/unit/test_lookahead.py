"""The intake's lookahead (bot/intake.py `arrivals`): how many mails it holds ahead of the one being
decided -- two a reader process, and no more than two of the largest mail the limits allow, so a run of
large mails is not all held in memory.  Storing is faked: this is the window's arithmetic only."""
from __future__ import annotations

import datetime as dt

ON_TIME = dt.datetime(2025, 3, 20, 10, 0, tzinfo=dt.timezone.utc)

def _lookahead(monkeypatch, sizes: list[int], processes: int = 2, message_mb: int = 1) -> list[int]:
    """For each mail handed on, how many mails had been taken in by then (storing is faked)."""
    import types

    import bot.intake as intake
    from bot.mailboxes import IncomingMail

    taken: list[int] = []
    monkeypatch.setattr(intake, "_arrive", lambda rt, mail, now, summary: (taken.append(1), intake.Arrival(mail, 0, True, ON_TIME))[1])  # processed before: not parsed
    limits = types.SimpleNamespace(processes=processes, message_mb=message_mb)
    rt = types.SimpleNamespace(settings=types.SimpleNamespace(limits=limits))
    mails = (IncomingMail(key=str(i), raw=b"x" * size) for i, size in enumerate(sizes))
    return [len(taken) for _ in intake.arrivals(rt, mails, ON_TIME, intake.RunSummary())]  # type: ignore[arg-type]


def test_the_lookahead_holds_two_mails_a_reader_process(monkeypatch):
    assert _lookahead(monkeypatch, [100] * 8) == [5, 6, 7, 8, 8, 8, 8, 8]  # 4 ahead of the one decided


def test_the_lookahead_holds_no_more_than_two_of_the_largest_mails(monkeypatch):
    mb = 1024 * 1024
    assert _lookahead(monkeypatch, [mb] * 5) == [3, 4, 5, 5, 5]  # 2 MB held at most, plus the one just taken in
    assert _lookahead(monkeypatch, [3 * mb, 100, 100]) == [2, 3, 3]  # a mail over the bound waits only for the next one
