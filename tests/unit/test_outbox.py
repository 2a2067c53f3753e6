"""The outbox's schedule and the schema top-up for databases made before the outbox columns existed."""
import datetime as dt

from sqlalchemy import create_engine, inspect, text

from bot.outbox import RetryPolicy
from storage.db import migrate

T0 = dt.datetime(2025, 3, 20, 12, 0, tzinfo=dt.timezone.utc)


def test_backoff_doubles_from_a_minute_up_to_an_hour():
    policy = RetryPolicy()
    waits = [(policy.next_attempt(n, T0) - T0).total_seconds() / 60 for n in range(1, 10)]
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_migrate_adds_the_outbox_columns_to_an_old_reply_table(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/old.db")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE reply (id INTEGER PRIMARY KEY, application_id INTEGER, answers_message_id INTEGER, "
                          "kind VARCHAR NOT NULL, message_id VARCHAR NOT NULL, \"to\" VARCHAR NOT NULL, sender VARCHAR NOT NULL, "
                          "subject VARCHAR NOT NULL, raw BLOB, state VARCHAR NOT NULL, attempts INTEGER NOT NULL, "
                          "error VARCHAR NOT NULL, created_at DATETIME NOT NULL, sent_at DATETIME)"))
    migrate(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("reply")}
    assert {"next_attempt_at", "claimed_at"} <= columns
