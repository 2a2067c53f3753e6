"""The outbox's schedule.  (The outbox columns an older database lacks: tests/integration/test_migrations.py.)"""
import datetime as dt

from bot.outbox import RetryPolicy

T0 = dt.datetime(2025, 3, 20, 12, 0, tzinfo=dt.timezone.utc)


def test_backoff_doubles_from_a_minute_up_to_an_hour():
    policy = RetryPolicy()
    waits = [(policy.next_attempt(n, T0) - T0).total_seconds() / 60 for n in range(1, 10)]
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
