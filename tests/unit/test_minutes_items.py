"""The Task Force item among 10-20 others, first or last on the agenda, in all five layouts: the body,
the meeting date (also when "Mødedato" and the date are separate cells), and only its decision (also
when the meeting's end and the chair's signature follow it)."""
import datetime as dt

import pytest

from parsers.reading import read_document
from tests.factories.minutes import MINUTES_LAYOUTS, MinutesSpec, minutes_docx, minutes_pdf

FORMATS = {"pdf": minutes_pdf, "docx": minutes_docx}
CASES = [(20, 1, "approved"), (20, 20, "postponed"), (15, 11, "rejected"), (10, 10, "approved")]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layout", MINUTES_LAYOUTS)
@pytest.mark.parametrize("n_items, item, decision", CASES)
def test_task_force_item_among_many(layout, fmt, n_items, item, decision):
    spec = MinutesSpec(n_items=n_items, item_number=item, decision=decision, body="Kommunalbestyrelsen",
                       meeting_date=dt.date(2025, 2, 27))
    reading = read_document(f"referat.{fmt}", "", FORMATS[fmt](spec, layout))
    m = reading.minutes
    assert (reading.role, m.kind, m.body, m.meeting_date, m.decision) == ("minutes", "referat", "Kommunalbestyrelsen", dt.date(2025, 2, 27), decision)
    assert m.decision_evidence.file == f"referat.{fmt}" and m.decision_evidence.location
