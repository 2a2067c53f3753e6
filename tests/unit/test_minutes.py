"""Minutes in five meeting-system layouts: kind, body, date, the Task Force item and its decision."""
import datetime as dt

import pytest

from parsers.minutes import classify_decision
from parsers.reading import read_document
from tests.factories.minutes import MINUTES_LAYOUTS, MinutesSpec, minutes_docx, minutes_pdf

FORMATS = {"docx": minutes_docx, "pdf": minutes_pdf}
CASES = [
    MinutesSpec(),
    MinutesSpec(kind="dagsorden", decision="none"),
    MinutesSpec(decision="postponed", body="Byrådet"),
    MinutesSpec(decision="rejected", body="Socialudvalget"),
    MinutesSpec(approval_wording=2, item_number=3, meeting_date=dt.date(2024, 11, 12)),
    MinutesSpec(approval_wording=4, item_number=11, body="Kommunalbestyrelsen"),
    MinutesSpec(approval_wording=1, body="Familie- og Socialudvalget", task_force_title="Deltagelse i Task Force forløb"),
    # the handicap item's text wraps onto a line starting "85. Det er …" (servicelovens § 85)
    MinutesSpec(programme="handicap", body="Socialudvalget", municipality="Vejle Kommune"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layout", MINUTES_LAYOUTS)
@pytest.mark.parametrize("spec", CASES, ids=lambda s: f"{s.kind}-{s.decision}-{s.body}-{s.item_number}")
def test_minutes_facts(layout, fmt, spec):
    reading = read_document(f"referat.{fmt}", "", FORMATS[fmt](spec, layout))
    assert reading.role == "minutes"
    m = reading.minutes
    assert (m.kind, m.decision) == (spec.kind, spec.decision)
    assert m.body == spec.body
    assert m.meeting_date == spec.meeting_date
    assert m.item is not None and "task" in m.item.snippet.lower()
    if spec.decision != "none":
        assert classify_decision(m.decision_evidence.snippet) == spec.decision


@pytest.mark.parametrize(
    "text, decision",
    [
        ("Godkendt.", "approved"),
        ("Indstillingen godkendt.", "approved"),
        ("Udvalget besluttede at godkende ansøgningen.", "approved"),
        ("Ikke godkendt.", "rejected"),
        ("Udvalget kunne ikke anbefale ansøgningen.", "rejected"),
        ("Udsat.", "postponed"),
        ("Sagen blev udsat til næste møde.", "postponed"),
        ("", "none"),
    ],
)
def test_decision_wording(text, decision):
    assert classify_decision(text) == decision
