"""The health verdict (bot/health.py), a pure function of the last poll, the database and the limit;
the text log line of an event (bot/logs.py); the `[monitoring]` settings."""
from __future__ import annotations

import datetime as dt
import logging

import pytest

from bot.health import UNREACHABLE, health
from bot.logs import TextFormatter
from config.settings import ConfigError, MonitoringSettings, load_settings, parse_settings

NOW = dt.datetime(2025, 3, 24, 9, 0, tzinfo=dt.timezone.utc)


def ago(seconds: float) -> dt.datetime:
    return NOW - dt.timedelta(seconds=seconds)


def test_a_recent_poll_is_healthy():
    verdict = health(NOW, ago(120), True, 900)
    assert verdict.healthy and verdict.reasons == () and verdict.last_poll_age == 120
    assert verdict.to_json() == {"status": "ok", "database": "ok", "last_poll": ago(120).isoformat(), "last_poll_age_seconds": 120,
                                 "poll_stale_seconds": 900, "reasons": []}


def test_a_poll_older_than_the_limit_is_unhealthy_with_the_age_and_the_limit():
    assert health(NOW, ago(900), True, 900).healthy  # the limit itself is still fine
    verdict = health(NOW, ago(1234), True, 900)
    assert not verdict.healthy
    assert verdict.reasons == ("Sidste vellykkede postkassekontrol var for 1234 sekunder siden (grænse 900)",)
    assert verdict.to_json()["status"] == "fejl" and verdict.to_json()["last_poll_age_seconds"] == 1234


def test_an_unreachable_database_is_unhealthy_whatever_the_poll():
    verdict = health(NOW, ago(1), False, 900)
    assert not verdict.healthy and verdict.reasons == (UNREACHABLE,) and verdict.to_json()["database"] == "fejl"
    assert not health(NOW, None, False, 0).healthy  # even with the poll not watched


def test_before_the_first_poll_a_fresh_start_has_the_limit_to_poll():
    starting = health(NOW, None, True, 900, started=ago(60))
    assert starting.healthy and "startede for 60 sekunder siden" in starting.reasons[0]
    late = health(NOW, None, True, 900, started=ago(901))
    assert not late.healthy and "Ingen vellykket postkassekontrol" in late.reasons[0]
    assert not health(NOW, None, True, 900).healthy  # no start known: no grace


def test_a_replayed_clock_behind_the_poll_counts_as_a_fresh_poll():
    verdict = health(NOW, NOW + dt.timedelta(hours=1), True, 900)
    assert verdict.healthy and verdict.last_poll_age == 0


def test_limit_zero_watches_no_poll():
    assert health(NOW, None, True, 0).healthy
    assert health(NOW, ago(10**6), True, 0).healthy


def test_an_event_is_one_text_line_with_its_fields():
    record = logging.LogRecord("bot.events", logging.INFO, __file__, 1, "message_settled", None, None)
    record.__dict__.update(event="message_settled", message_id=7, outcome="processed", duration_ms=12)
    line = TextFormatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert line == "INFO bot.events: message_settled message_id=7 outcome=processed duration_ms=12"  # the event named once


def test_monitoring_settings_and_their_errors(tmp_path):
    assert parse_settings({}, "x.toml", tmp_path).monitoring == MonitoringSettings(0, "", "text")  # not watched unless set
    token = tmp_path / "token"
    token.write_text("fra-fil\n", encoding="utf-8")
    chosen = parse_settings({"monitoring": {"poll_stale_seconds": 0, "metrics_token_file": str(token), "log_format": "json"}}, "x.toml",
                            tmp_path).monitoring
    assert chosen == MonitoringSettings(0, "fra-fil", "json") and "fra-fil" not in repr(chosen)
    with pytest.raises(ConfigError, match=r"x.toml: \[monitoring\] poll_stale_seconds = 600: .*\[mailbox\] idle_seconds \(600 sekunder\)"):
        parse_settings({"mailbox": {"kind": "imap"}, "monitoring": {"poll_stale_seconds": 600}}, "x.toml", tmp_path)
    with pytest.raises(ConfigError, match=r"\[mailbox\] poll_seconds \(30 sekunder\)"):  # a Maildir is polled, never IDLEd
        parse_settings({"monitoring": {"poll_stale_seconds": 30}}, "x.toml", tmp_path)
    with pytest.raises(ConfigError, match=r"\[monitoring\] log_format = 'xml': skal være en af text, json"):
        parse_settings({"monitoring": {"log_format": "xml"}}, "x.toml", tmp_path)
    env = {"TASKFORCE_INTAKE__MONITORING__LOG_FORMAT": "json", "TASKFORCE_INTAKE_METRICS_TOKEN": "fra-miljø"}
    assert load_settings(None, env).monitoring == MonitoringSettings(0, "fra-miljø", "json")
