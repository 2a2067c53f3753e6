"""`taskforce-intake queue` in a terminal (issue 13, "Terminal output that fits"): the table fits 80
columns with every reference and status whole; `--wide` has a column a check; `--csv` has the queue's
fields, a row an application.  Through the real command, as an operator runs it."""
from __future__ import annotations

import csv
import io

from tests.conftest import Installation
from tests.factories.forms import FormSpec, form_docx
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.mails import mail

MINUTES = minutes_pdf(MinutesSpec(), "numbered")
ODENSE = FormSpec(municipality="Odense Kommune", cvr="35209115", director_name="Karsten Lund", director_email="kalu@odense.dk")


def _round_closed(inst: Installation) -> list[dict]:
    inst.deliver(mail(message_id="<a@slagelse.dk>", attachments=[("skema.docx", form_docx(FormSpec(), "table")), ("referat.pdf", MINUTES)]))
    inst.deliver(mail(sender="Karsten Lund <kalu@odense.dk>", message_id="<b@odense.dk>", received="2025-03-21 09:00:00",
                      attachments=[("ansøgning.docx", form_docx(ODENSE, "table"))]))  # no minutes: incomplete at the deadline
    inst.cli("run", "--once", now="2025-03-25T13:00:00+01:00")
    return inst.queue()


def test_the_table_fits_80_columns_with_whole_references_and_statuses(installation):
    items = _round_closed(installation)
    assert {i["status"] for i in items} == {"complete", "incomplete_at_deadline"}
    out = installation.cli("queue", now="2025-03-25T13:00:00+01:00").stdout
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80, out
    for item in items:
        row = next(line for line in lines if item["reference"] in line)  # the reference whole, on its row
        assert f" {item['status']} " in row, row
    odense = next(line for line in lines if "Odense" in line)
    assert "referat" in odense  # the check that is not met, named
    wide = installation.cli("queue", "--wide").stdout
    assert "boern-unge-2025" in wide and "missing" in wide and max(len(line) for line in wide.splitlines()) > 80


def test_csv_has_the_fields_of_the_json_queue(installation):
    items = _round_closed(installation)
    rows = list(csv.DictReader(io.StringIO(installation.cli("queue", "--csv").stdout)))
    assert [(r["reference"], r["status"], r["municipality"]) for r in rows] == [(i["reference"], i["status"], i["municipality"]) for i in items]
    for row, item in zip(rows, items):
        assert row["political_backing"] == item["checks"]["political_backing"]["status"]
        assert row["received_at"] == item["received_at"]
