"""`make demo`: the main job on the embedded defaults (SQLite and Maildirs under ./var).

The bot is switched on on 1 March 2025, then a realistic week of mail arrives in the task force
mailbox, and the bot runs once after the deadline (TASKFORCE_INTAKE_NOW replays the clock)."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import mailbox
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.factories.forms import FormSpec, form_docx, form_pdf  # noqa: E402
from tests.factories.minutes import MinutesSpec, minutes_docx, minutes_pdf  # noqa: E402
from tests.mails import mail, out_of_office  # noqa: E402

VAR = ROOT / "var"
MARKER = VAR / ".demo"


def cli(*args: str, now: str) -> None:
    env = {**os.environ, "TASKFORCE_INTAKE_NOW": now}
    env.pop("TASKFORCE_INTAKE_CONFIG", None)
    subprocess.run([sys.executable, "-m", "taskforce_intake", *args], cwd=ROOT, env=env, check=True)


def _specs() -> dict[str, FormSpec]:
    return {
        "aarhus": FormSpec(municipality="Aarhus Kommune", address="Rådhuspladsen 2, 8000 Aarhus C", cvr="55133018",
                           director_name="Lone Berg", director_phone="89 40 20 00", director_email="lobe@aarhus.dk"),
        "odense": FormSpec(municipality="Odense Kommune", address="Flakhaven 2, 5000 Odense C", cvr="35209115",
                           director_name="Karsten Lund", director_phone="65 51 10 00", director_email="kalu@odense.dk", signature="none"),
        "esbjerg": FormSpec(municipality="Esbjerg Kommune", address="Torvegade 74, 6700 Esbjerg", cvr="29189803",
                            director_name="Birgit Holm", director_phone="76 16 16 16", director_email="biho@esbjerg.dk"),
        "vejle": FormSpec(municipality="Vejle Kommune", address="Skolegade 1, 7100 Vejle", cvr="29189900",
                          director_name="Anders Krog", director_phone="76 81 00 00", director_email="ankr@vejle.dk",
                          programme="handicap", area="voksenhandicapområdet", initial_meeting=None),
    }


def week_one() -> list[tuple[str, bytes]]:
    spec = _specs()
    return [
        ("A question from Horsens", mail(sender="Peter Juul <peju@horsens.dk>", subject="Spørgsmål om fristen",
                                         body="Hej. Hvornår er fristen for at søge, og skal referatet være godkendt?", received="2025-03-10 10:00:00")),
        ("Vejle: handicap round (rolling)", mail(
            sender="Anders Krog <ankr@vejle.dk>", to="taskforcehandicap@sbst.dk",
            attachments=[("Ansøgning handicap Vejle.docx", form_docx(spec["vejle"], "headings")),
                         ("Referat Socialudvalget.pdf", minutes_pdf(MinutesSpec(municipality="Vejle Kommune", body="Socialudvalget", programme="handicap"), "prose"))],
            received="2025-03-12 08:30:00", message_id="<demo-vejle@vejle.dk>")),
        ("Slagelse: complete (Word form + minutes PDF)", mail(
            attachments=[("Ansøgningsskema Slagelse.docx", form_docx(FormSpec(), "table")),
                         ("Referat BUU 30.09.2019.pdf", minutes_pdf(MinutesSpec(), "numbered"))],
            received="2025-03-18 09:12:44", message_id="<demo-slagelse@slagelse.dk>")),
        ("An out-of-office robot", out_of_office(received="2025-03-18 09:13:02")),
        ("Aarhus: form as PDF, minutes only as a link", mail(
            sender="Lone Berg <lobe@aarhus.dk>", body="Referatet kan ses her: https://aarhus.dk/politik/referater/buu-2025-02-12",
            attachments=[("Ansøgning Task Force Aarhus.pdf", form_pdf(spec["aarhus"], "headings"))],
            received="2025-03-19 14:03:10", message_id="<demo-aarhus@aarhus.dk>")),
        ("Odense: unsigned form, minutes attached", mail(
            sender="Karsten Lund <kalu@odense.dk>",
            attachments=[("ansoegning_odense.docx", form_docx(spec["odense"], "inline")),
                         ("Beslutningsprotokol.docx", minutes_docx(MinutesSpec(municipality="Odense Kommune", body="Børn- og Ungeudvalget"), "table"))],
            received="2025-03-20 16:40:00", message_id="<demo-odense@odense.dk>")),
    ]


def aarhus_answers() -> list[tuple[str, bytes]]:
    return [("Aarhus answers the notice with the minutes attached", mail(
        sender="Lone Berg <lobe@aarhus.dk>", subject="SV: Ansøgningen mangler oplysninger [TFB-2025-0003]",
        body="Hermed referatet fra Børne- og Ungeudvalget.", in_reply_to="<demo-aarhus@aarhus.dk>",
        attachments=[("Referat BUU 12.02.2025.pdf", minutes_pdf(MinutesSpec(municipality="Aarhus Kommune", meeting_date=dt.date(2025, 2, 12)), "firstagenda"))],
        received="2025-03-21 10:15:00"))]


def esbjerg_late() -> list[tuple[str, bytes]]:
    return [("Esbjerg: one second after noon on the deadline day", mail(
        sender="Birgit Holm <biho@esbjerg.dk>", date_header="2025-03-25 11:58:30",
        attachments=[("Ansøgningsskema.pdf", form_pdf(_specs()["esbjerg"], "table")),
                     ("Referat Byrådet.pdf", minutes_pdf(MinutesSpec(municipality="Esbjerg Kommune", body="Byrådet"), "econ"))],
        received="2025-03-25 12:00:01", message_id="<demo-esbjerg@esbjerg.dk>"))]


def arrive(inbox: mailbox.Maildir, mails: list[tuple[str, bytes]]) -> None:
    for label, raw in mails:
        inbox.add(raw)
        print(f"     + {label}")


def main() -> None:
    if VAR.exists() and not MARKER.exists():
        sys.exit(f"{VAR} holds data that the demo did not make; move it away first (the demo starts from an empty var/).")
    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir()
    MARKER.write_text("made by make demo\n")
    print("1. The bot is switched on, 1 March 2025 08:00, over an empty mailbox.")
    cli("run", "--once", now="2025-03-01T08:00:00+01:00")
    inbox = mailbox.Maildir(str(VAR / "inbox"), create=True)
    print("2. Mail arrives in var/inbox until 20 March; the bot runs on 20 March 17:00:")
    arrive(inbox, week_one())
    cli("run", "--once", now="2025-03-20T17:00:00+01:00")
    print("3. Aarhus answers the missing-items notice; the bot runs on 21 March 10:16:")
    arrive(inbox, aarhus_answers())
    cli("run", "--once", now="2025-03-21T10:16:00+01:00")
    print("4. 22 March 09:00, three days before the deadline: the reminder run.")
    cli("run", "--once", now="2025-03-22T09:00:00+01:00")
    print("5. The deadline, 25 March 12:00:00, passes; one mail comes a second late. The bot runs at 12:00:30:")
    arrive(inbox, esbjerg_late())
    cli("run", "--once", now="2025-03-25T12:00:30+01:00")
    print("6. The triage queue:")
    cli("queue", now="2025-03-25T13:00:00+01:00")
    outbox = mailbox.Maildir(str(VAR / "outbox"), create=False)
    print(f"7. {len(outbox)} replies in var/outbox/new (one file per mail):")
    for key in sorted(outbox.keys()):
        msg = email.message_from_bytes(outbox.get_bytes(key), policy=email.policy.default)
        print(f"   {msg['X-Taskforce-Reply']:14} to {msg['To']:22} {msg['Subject']}")
    print("\nWhere to look next:")
    print("   taskforce-intake queue --json            the queue as JSON")
    print("   ls var/outbox/new                        the Danish replies, as sent")
    print("   taskforce-intake check MESSAGE.eml --json   assess one mail without storing it")
    print("   taskforce-intake user add NAVN < kodeord.txt   an account for the web app (password on stdin)")
    print("   TASKFORCE_INTAKE_NOW=2025-03-25T13:00:00+01:00 taskforce-intake serve   the web app on http://127.0.0.1:8080")


if __name__ == "__main__":
    main()
