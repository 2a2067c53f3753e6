"""An installation for the evidence pictures' tests: the web app's seeded round plus Vejle's
application with a PDF form signed with a picture and PDF minutes, all taken in by the real
`run --once` (which makes the pictures after delivering the replies)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.conftest import Installation
from tests.factories.forms import FormSpec, form_pdf
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.mails import mail
from tests.web import installation

FORM = "Ansøgningsskema Vejle.pdf"
MINUTES = "Referat Børne- og Ungeudvalget.pdf"
VEJLE = replace(FormSpec(), municipality="Vejle Kommune", cvr="29189900", director_name="Sofie Lund", director_email="solu@vejle.dk",
                address="Skolegade 1, 7100 Vejle", signature="image")


def evidence_installation(root: Path) -> Installation:
    inst = installation(root)
    inst.deliver(mail(sender="Sofie Lund <solu@vejle.dk>", message_id="<vejle-bu-1@vejle.dk>", received="2025-03-22 12:30:00",
                      attachments=[(FORM, form_pdf(VEJLE, "table")),
                                   (MINUTES, minutes_pdf(replace(MinutesSpec(), municipality="Vejle Kommune"), "numbered"))]))
    inst.cli("run", "--once", now="2025-03-22T13:00:00+01:00")
    return inst


def vejle_reference(inst: Installation) -> str:
    return next(i["reference"] for i in inst.queue() if i["municipality"] == "Vejle Kommune" and i["round"] == "boern-unge-2025")
