"""The round page's figures (triage/rounds.py) and chart geometry (triage/charts.py), from inputs built
here, with every expected number worked out by hand in the comments."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.queue import QueueItem
from config.settings import Round
from triage import charts
from triage.rounds import (Assessed, BucketCount, CheckCount, DayCount, History, NoticeSent, StatusCount, Waiting, check_counts,
                           completion, days_left, duration, figures, received_per_day, status_counts, waiting)

CPH = ZoneInfo("Europe/Copenhagen")
UTC = dt.timezone.utc
DEADLINE = dt.datetime(2025, 3, 25, 12, 0, tzinfo=CPH)
ROUND = Round("boern-unge-2025", "boern-unge", "taskforce@sbst.dk", "TFB-2025", dt.datetime(2025, 1, 1, tzinfo=CPH), DEADLINE)
ROLLING = Round("handicap", "handicap", "taskforcehandicap@sbst.dk", "TFH", dt.datetime(2024, 1, 1, tzinfo=CPH), None)
ALL_OK = {"deadline": "ok", "application_form": "ok", "director_signature": "ok", "political_backing": "ok", "initial_meeting": "ok"}


def at(text: str) -> dt.datetime:
    """Copenhagen local time (winter, +01:00, in March before the 30th)."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=CPH)


def item(reference: str, received: dt.datetime, status: str = "complete", kind: str = "application", bot_status: str | None = None,
         overrides: dict[str, str] | None = None, **checks: str) -> QueueItem:
    return QueueItem(reference, "boern-unge-2025", kind, f"Kommune {reference}", "", status, received, 1,
                     {name: {"status": s} for name, s in {**ALL_OK, **checks}.items()} if kind == "application" else {}, 0,
                     bot_status=bot_status or status,
                     overrides={name: {"status": s, "reason": "r", "by": "anna"} for name, s in (overrides or {}).items()},
                     application_id=int(reference[-2:]))


def test_received_per_day_by_local_day_from_the_first_to_the_deadline_day():
    received = [
        at("2025-03-20 10:00"),
        dt.datetime(2025, 3, 20, 22, 59, tzinfo=UTC),  # 23:59 local: still the 20th
        dt.datetime(2025, 3, 20, 23, 30, tzinfo=UTC),  # 00:30 local: the 21st
        at("2025-03-23 09:00"),
        DEADLINE,  # 12:00:00 on the deadline day is on time
    ]
    # after the deadline: every day from the 20th to the 25th, the days without any included
    assert received_per_day(received, DEADLINE, at("2025-03-27 10:00"), CPH) == (
        DayCount(dt.date(2025, 3, 20), 2), DayCount(dt.date(2025, 3, 21), 1), DayCount(dt.date(2025, 3, 22), 0),
        DayCount(dt.date(2025, 3, 23), 1), DayCount(dt.date(2025, 3, 24), 0), DayCount(dt.date(2025, 3, 25), 1))
    # before the deadline: up to today, not into days that have not come
    assert [d.day.day for d in received_per_day(received[:4], DEADLINE, at("2025-03-23 18:00"), CPH)] == [20, 21, 22, 23]
    assert received_per_day([], DEADLINE, at("2025-03-23 18:00"), CPH) == ()
    # a rolling round: up to today
    assert received_per_day([at("2025-03-20 10:00")], None, at("2025-03-22 08:00"), CPH) == (
        DayCount(dt.date(2025, 3, 20), 1), DayCount(dt.date(2025, 3, 21), 0), DayCount(dt.date(2025, 3, 22), 0))


def test_statuses_are_the_queues_own_overrides_applied():
    items = [item("T01", at("2025-03-20 10:00")), item("T02", at("2025-03-20 11:00"), "incomplete"),
             item("T03", at("2025-03-21 10:00"), "complete", bot_status="incomplete", overrides={"political_backing": "ok"}),
             item("T04", at("2025-03-21 11:00"), "inquiry", kind="inquiry"), item("T05", at("2025-03-25 13:00"), "late")]
    # the status the queue shows (T03 complete by override), every status in the queue's order, zeros too
    assert status_counts(items) == (StatusCount("complete", 2), StatusCount("incomplete", 1), StatusCount("needs_review", 0),
                                    StatusCount("late", 1), StatusCount("inquiry", 1), StatusCount("incomplete_at_deadline", 0))


def test_checks_not_met_most_often_first_with_overrides_applied():
    items = [
        item("T01", at("2025-03-20 10:00"), "incomplete", political_backing="missing"),
        item("T02", at("2025-03-20 11:00"), "incomplete", political_backing="missing", director_signature="missing"),
        item("T03", at("2025-03-21 10:00"), "needs_review", director_signature="review"),
        # the bot found no minutes; the secretariat saw them: met
        item("T04", at("2025-03-21 11:00"), "complete", bot_status="incomplete", overrides={"political_backing": "ok"},
             political_backing="missing"),
        # the bot was unsure of the signature; the secretariat says it is missing
        item("T05", at("2025-03-21 12:00"), "incomplete", bot_status="needs_review", overrides={"director_signature": "missing"},
             director_signature="review"),
        item("T06", at("2025-03-25 13:00"), "late", deadline="late"),
    ]
    # signature: T02, T05 missing + T03 review = 3; minutes: T01, T02 = 2; deadline: T06 late = 1; the rest 0 (checks' order)
    assert check_counts(items) == (CheckCount("director_signature", 2, 1), CheckCount("political_backing", 2, 0),
                                   CheckCount("deadline", 1, 0), CheckCount("application_form", 0, 0), CheckCount("initial_meeting", 0, 0))


def test_time_from_first_mail_to_complete():
    first = at("2025-03-20 10:00")
    apps = [
        History(item("T01", first), (Assessed(first, "complete"),)),  # same day, 0
        History(item("T02", first), (Assessed(first, "incomplete"), Assessed(at("2025-03-22 09:00"), "complete"))),  # 2 days; 1d 23h
        History(item("T03", at("2025-03-10 10:00")),
                (Assessed(at("2025-03-10 10:00"), "incomplete"), Assessed(at("2025-03-15 10:00"), "complete"))),  # 5 days; 5d
        History(item("T04", at("2025-03-01 10:00")),
                (Assessed(at("2025-03-01 10:00"), "incomplete"), Assessed(at("2025-03-12 10:00"), "complete"))),  # 11 days; 11d
        History(item("T05", first, "incomplete"), (Assessed(first, "incomplete"),)),  # not complete
        # complete only by the secretariat's override on the 21st at 15:00: 1 day; 1d 5h
        History(item("T06", first, "complete", bot_status="incomplete", overrides={"political_backing": "ok"}),
                (Assessed(first, "incomplete"),), overridden_at=at("2025-03-21 15:00")),
        # complete, then a resend with a worse form, then complete again on the 4th: from the last time, 2 days; 2d
        History(item("T07", at("2025-03-02 10:00")), (Assessed(at("2025-03-02 10:00"), "complete"),
                                                       Assessed(at("2025-03-03 10:00"), "incomplete"), Assessed(at("2025-03-04 10:00"), "complete"))),
        History(item("T08", at("2025-03-25 13:00"), "late"), (Assessed(at("2025-03-25 13:00"), "late"),)),  # not complete
    ]
    found = completion(apps, CPH)
    # spans sorted: 0, 1d5h, 1d23h, 2d, 5d, 11d -> the median is between 1d23h and 2d
    assert found.median == dt.timedelta(days=1, hours=23, minutes=30)
    assert found.buckets == (BucketCount("Samme dag", 1), BucketCount("1–3 dage", 3), BucketCount("4–7 dage", 1),
                             BucketCount("Mere end 7 dage", 1), BucketCount("Ikke komplet", 2))


def test_a_calendar_day_is_a_copenhagen_day():
    late_evening = at("2025-03-20 23:30")
    found = completion([History(item("T01", late_evening), (Assessed(late_evening, "incomplete"), Assessed(at("2025-03-21 00:30"), "complete")))], CPH)
    assert found.median == dt.timedelta(hours=1) and found.buckets[1] == BucketCount("1–3 dage", 1)
    assert completion([History(item("T01", late_evening, "incomplete"))], CPH).median is None


def test_waiting_for_an_answer_to_a_missing_items_notice():
    now = at("2025-03-23 10:00")
    apps = [
        # notified on the 20th, nothing since: waits, 2 days to the deadline day
        History(item("T01", at("2025-03-20 10:00"), "incomplete", political_backing="missing"), written=(at("2025-03-20 10:00"),),
                notices=(NoticeSent(at("2025-03-20 10:01"), at("2025-03-20 10:00")),)),
        # wrote again on the 21st (the notice answered the first mail): not waiting
        History(item("T02", at("2025-03-20 10:00"), "incomplete", political_backing="missing"),
                written=(at("2025-03-20 10:00"), at("2025-03-21 09:00")), notices=(NoticeSent(at("2025-03-20 10:01"), at("2025-03-20 10:00")),)),
        # the secretariat settled the missing item by an override: not waiting
        History(item("T03", at("2025-03-20 10:00"), "complete", bot_status="incomplete", overrides={"political_backing": "ok"},
                     political_backing="missing"), written=(at("2025-03-20 10:00"),),
                notices=(NoticeSent(at("2025-03-20 10:01"), at("2025-03-20 10:00")),)),
        # no notice went out (a reply held back): not waiting
        History(item("T04", at("2025-03-20 10:00"), "incomplete", political_backing="missing"), written=(at("2025-03-20 10:00"),)),
        # a supplement that still left two items missing, answered "mangler" on the 19th: waits since that notice
        History(item("T05", at("2025-03-18 10:00"), "incomplete", director_signature="missing", political_backing="missing"),
                written=(at("2025-03-18 10:00"), at("2025-03-19 10:00")),
                notices=(NoticeSent(at("2025-03-18 10:01"), at("2025-03-18 10:00")), NoticeSent(at("2025-03-19 10:01"), at("2025-03-19 10:00")))),
    ]
    assert waiting(apps, DEADLINE, now, CPH) == (
        Waiting("T05", "Kommune T05", at("2025-03-19 10:01"), ("director_signature", "political_backing"), 2, False),
        Waiting("T01", "Kommune T01", at("2025-03-20 10:01"), ("political_backing",), 2, False))
    assert [(w.days_left, w.expired) for w in waiting(apps[:1], DEADLINE, at("2025-03-25 11:00"), CPH)] == [(0, False)]
    assert [(w.days_left, w.expired) for w in waiting(apps[:1], DEADLINE, at("2025-03-25 12:00:01"), CPH)] == [(0, True)]
    assert [(w.days_left, w.expired) for w in waiting(apps[:1], None, now, CPH)] == [(None, False)]


def test_the_round_figures_together():
    apps = [
        History(item("T01", at("2025-03-20 10:00")), (Assessed(at("2025-03-20 10:00"), "complete"),), (at("2025-03-20 10:00"),)),
        History(item("T02", at("2025-03-21 10:00"), "incomplete", political_backing="missing"), (Assessed(at("2025-03-21 10:00"), "incomplete"),),
                (at("2025-03-21 10:00"),), (NoticeSent(at("2025-03-21 10:01"), at("2025-03-21 10:00")),)),
        History(item("T03", at("2025-03-21 11:00"), "inquiry", kind="inquiry"), written=(at("2025-03-21 11:00"),)),
        History(item("T04", at("2025-03-25 12:00:01"), "late", deadline="late"), (Assessed(at("2025-03-25 12:00:01"), "late"),)),
    ]
    found = figures(ROUND, apps, at("2025-03-26 09:00"), CPH)
    assert found.applications == 3 and found.after_deadline == 1  # the inquiry is no application; T04 is after the deadline
    assert [(d.day.day, d.count) for d in found.received] == [(20, 1), (21, 1), (22, 0), (23, 0), (24, 0), (25, 0)]
    assert [s.count for s in found.statuses] == [1, 1, 0, 1, 1, 0]
    assert found.checks[:2] == (CheckCount("deadline", 1, 0), CheckCount("political_backing", 1, 0))
    assert [b.count for b in found.completion.buckets] == [1, 0, 0, 0, 2] and found.completion.median == dt.timedelta(0)
    assert [(w.reference, w.days_left, w.expired) for w in found.waiting] == [("T02", -1, True)]
    assert figures(ROLLING, [], at("2025-03-26 09:00"), CPH).received == ()


def test_in_words():
    assert duration(dt.timedelta(days=1, hours=23, minutes=30)) == "1 dag og 23 timer"
    assert duration(dt.timedelta(days=2)) == "2 dage" and duration(dt.timedelta(hours=1)) == "1 time"
    assert duration(dt.timedelta(minutes=20)) == "under en time" and duration(None) == ""
    assert [days_left(n, False) for n in (2, 1, 0)] == ["2 dage", "1 dag", "Fristen er i dag"]
    assert days_left(-1, True) == "Fristen er udløbet" and days_left(None, False) == "Løbende runde"


def test_upright_bars_scale_to_the_largest():
    chart = charts.columns([("a", "a", 2, "bar"), ("b", "b", 0, "bar"), ("c", "c", 4, "bar")], height=200)
    # 18 above for the numbers, 22 below for the labels: 160 to draw in; 640 / 3 per bar, a fifth of it gap
    assert chart.baseline == 178
    a, b, c = chart.columns
    assert (c.y, c.height) == (18, 160) and (a.y, a.height) == (98, 80) and b.height == 0
    assert round(a.width, 2) == round(640 / 3 * 0.8, 2) and round(c.x, 2) == round(2 * 640 / 3 + 640 / 3 * 0.1, 2)
    long = charts.columns([(str(n), str(n), n, "bar") for n in range(40)])
    assert [c.label for c in long.columns if c.label] == [str(n) for n in range(0, 40, 3)]  # every 3rd of 40 (at most 16)
    assert charts.columns([("a", "a", 0, "bar")]).columns[0].height == 0  # nothing to scale to: no division by zero


def test_lying_bars_stack_their_parts():
    chart = charts.rows([("x", "X", [("missing", 2, "m"), ("review", 1, "r")]), ("y", "Y", [("missing", 1, "m"), ("review", 0, "r")])])
    # 640 - 230 for the labels - 40 for the number = 370 for the longest total, 3
    x, y = chart.rows
    assert [round(s.width, 2) for s in x.segments] == [246.67, 123.33] and x.segments[1].x == 230 + 370 * 2 / 3
    assert round(x.end, 6) == 600 and x.total == 3 and y.total == 1 and round(y.end, 2) == 353.33
    assert chart.height == 56 and (y.y, y.height) == (32, 20)
