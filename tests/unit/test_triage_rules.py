"""The pure parts of the web app: the status with the secretariat's overrides, the countdown, safe redirects."""
import datetime as dt

import pytest

from bot.overrides import effective_status
from storage.models import CheckOverride
from triage.app import safe_next
from triage.exports import safe
from triage.labels import countdown

CHECKS = {
    "deadline": {"status": "ok", "required": True},
    "application_form": {"status": "ok", "required": True},
    "director_signature": {"status": "review", "required": True},
    "political_backing": {"status": "missing", "required": True},
    "initial_meeting": {"status": "missing", "required": False},
}
NOW = dt.datetime(2025, 3, 24, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def override(name: str, status: str) -> CheckOverride:
    return CheckOverride(application_id=1, check_name=name, status=status, reason="r", by="anna", created_at=NOW)


@pytest.mark.parametrize("overrides, bot, expected", [
    ({}, "incomplete", "incomplete"),
    ({"political_backing": "ok"}, "incomplete", "needs_review"),
    ({"political_backing": "ok", "director_signature": "ok"}, "incomplete", "complete"),
    ({"director_signature": "ok"}, "incomplete_at_deadline", "incomplete_at_deadline"),
    ({"political_backing": "not_required", "director_signature": "ok"}, "incomplete_at_deadline", "complete"),
    ({"deadline": "late", "political_backing": "ok", "director_signature": "ok"}, "incomplete", "late"),
    ({"political_backing": "ok"}, "inquiry", "inquiry"),
])
def test_the_status_follows_the_overrides(overrides, bot, expected):
    assert effective_status(bot, CHECKS, {n: override(n, s) for n, s in overrides.items()}) == expected


@pytest.mark.parametrize("deadline, expected", [
    (dt.datetime(2025, 3, 25, 12, 0, tzinfo=NOW.tzinfo), "1 dag og 2 timer tilbage"),
    (dt.datetime(2025, 3, 24, 10, 45, tzinfo=NOW.tzinfo), "45 minutter tilbage"),
    (dt.datetime(2025, 3, 24, 11, 1, tzinfo=NOW.tzinfo), "1 time og 1 minut tilbage"),
    (dt.datetime(2025, 3, 21, 12, 0, tzinfo=NOW.tzinfo), "Fristen udløb for 2 dage og 22 timer siden"),
    (None, ""),
])
def test_countdown(deadline, expected):
    assert countdown(deadline, NOW) == expected


@pytest.mark.parametrize("target, expected", [("/applications/X?a=1", "/applications/X?a=1"), ("//evil.example", "/"),
                                              ("https://evil.example", "/"), ("/\\evil", "/"), (None, "/")])
def test_only_local_targets_after_login(target, expected):
    assert safe_next(target) == expected


def test_a_cell_that_would_be_a_formula_is_quoted():
    assert [safe(v) for v in ("=1+1", "+45 12", "-", "@x", "Slagelse", None)] == ["'=1+1", "'+45 12", "'-", "'@x", "Slagelse", ""]
