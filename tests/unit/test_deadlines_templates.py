"""Reminder moments and the deadline second across summer time; every Danish template renders."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.assessment import assess
from bot.deadlines import due_reminder, reminder_moments
from bot.replies import Answered, Notice, ReceivedFile, compose, environment
from bot.rules import Dossier, ReceivedDocument
from config.settings import Round
from parsers.reading import read_document
from tests.factories.forms import FormSpec, form_docx

CPH = ZoneInfo("Europe/Copenhagen")
# Summer time starts 30 March 2025 at 02:00; this round's deadline is the day after.
SPRING = Round("r", "boern-unge", "taskforce@sbst.dk", "TFB-2025", dt.datetime(2025, 1, 1, tzinfo=CPH),
               dt.datetime(2025, 3, 31, 12, 0, tzinfo=CPH))


def test_reminders_at_nine_local_time_on_both_sides_of_the_summer_time_change():
    first, second = reminder_moments(SPRING)
    assert first.isoformat() == "2025-03-28T09:00:00+01:00"
    assert second.isoformat() == "2025-03-30T09:00:00+02:00"


@pytest.mark.parametrize(
    "now, due",
    [
        ("2025-03-28T07:59:59+00:00", None),
        ("2025-03-28T08:00:00+00:00", "2025-03-28T09:00:00+01:00"),
        ("2025-03-30T06:59:59+00:00", "2025-03-28T09:00:00+01:00"),
        ("2025-03-30T07:00:00+00:00", "2025-03-30T09:00:00+02:00"),
        ("2025-03-31T10:00:00+00:00", None),  # 12:00:00 summer time: the deadline itself, no reminder
        ("2025-04-02T10:00:00+00:00", None),
    ],
)
def test_due_reminder(now, due):
    got = due_reminder(SPRING, dt.datetime.fromisoformat(now))
    assert (got.isoformat() if got else None) == due


@pytest.mark.parametrize("received, status", [("2025-03-31T10:00:00+00:00", "ok"), ("2025-03-31T10:00:01+00:00", "late")])
def test_deadline_second_in_summer_time(received, status):
    reading = read_document("skema.docx", "", form_docx(FormSpec(), "table"))
    when = dt.datetime.fromisoformat(received)
    result = assess(Dossier(SPRING, when, (ReceivedDocument(reading, when),)), when)
    assert result.check("deadline").status == status


TEMPLATES = ["receipt", "missing_items", "late", "supplement_received", "late_supplement", "reminder", "closing", "not_open"]


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_in_danish_with_the_reference(template):
    reading = read_document("Ansøgningsskema.docx", "", form_docx(FormSpec(signature="none"), "table"))
    received = dt.datetime(2025, 3, 20, 10, 0, tzinfo=CPH)
    assessment = assess(Dossier(SPRING, received, (ReceivedDocument(reading, received),)), received)
    notice = Notice(
        kind=template if template in ("receipt", "missing_items", "late", "reminder", "closing", "not_open") else "receipt",
        template=template, dedupe_key=f"test:{template}", round=SPRING, reference="TFB-2025-0007", to="meha@slagelse.dk",
        municipality="Slagelse Kommune",
        answered=Answered("<m@slagelse.dk>", (), "meha@slagelse.dk", "Ansøgning", received, "ab" * 32),
        assessment=assessment, files=(ReceivedFile("Ansøgningsskema.docx", "application_form"),),
        changes=("Politisk opbakning (referat)",),
    )
    msg = compose(environment(), notice, CPH, received)
    body = msg.get_content()
    assert "[TFB-2025-0007]" in msg["Subject"]
    assert "Slagelse Kommune" in body and "Task Force Sekretariatet" in body
    assert "{{" not in body and "{%" not in body
    if template in ("missing_items", "reminder", "closing", "supplement_received"):
        assert "Direktørens underskrift" in body and "Sådan kan det opfyldes" in body
    if template in ("receipt", "missing_items", "late"):
        assert "20.03.2025 kl. 10:00:00" in body and "Ansøgningsskema.docx" in body


def test_the_secretariat_can_override_a_template_without_code(tmp_path):
    (tmp_path / "receipt.txt.j2").write_text("Emne: Tak!\nKære {{ municipality }}, reference {{ reference }}.\n", encoding="utf-8")
    notice = Notice(kind="receipt", template="receipt", dedupe_key="k", round=SPRING, reference="TFB-2025-0001",
                    to="x@slagelse.dk", municipality="Slagelse Kommune")
    msg = compose(environment(tmp_path), notice, CPH, dt.datetime(2025, 3, 20, tzinfo=CPH))
    assert msg["Subject"] == "Tak! [TFB-2025-0001]"
    assert msg.get_content().strip() == "Kære Slagelse Kommune, reference TFB-2025-0001."
