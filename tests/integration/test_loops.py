"""Loop and abuse protection through the real command (Maildir in and out: the caps do not depend on
the transport).  Mail over a cap is stored and assessed; only the automatic reply is held back."""
from __future__ import annotations

import email
import email.policy
import sqlite3

from tests.conftest import Installation, write_config
from tests.integration.test_imap_smtp import FORM, MINUTES
from tests.mails import mail


def kinds(inst: Installation) -> list[str]:
    return [email.message_from_bytes(r, policy=email.policy.default)["X-Taskforce-Reply"] for r in inst.outbox]


def held(inst: Installation) -> list[str]:
    with sqlite3.connect(inst.root / "intake.db") as db:
        return [r[0] for r in db.execute("select automatic_reason from message where answered = 'held' order by id")]


def test_our_own_addresses_are_never_answered(tmp_path):
    inst = Installation(tmp_path, write_config(tmp_path, extra='[loops]\nown_addresses = ["Sekretariat@SBST.dk"]'))
    inst.deliver(mail(sender="Task Force <taskforce@sbst.dk>", attachments=[FORM, MINUTES], received="2025-03-20 10:00:00"))
    inst.deliver(mail(sender="sekretariat@sbst.dk", attachments=[FORM, MINUTES], received="2025-03-20 10:01:00"))
    inst.cli("run", "--once", now="2025-03-20T12:00:00+01:00")
    assert inst.outbox == []
    with sqlite3.connect(tmp_path / "intake.db") as db:
        rows = db.execute("select kind, automatic_reason from message order by id").fetchall()
    assert [k for k, _ in rows] == ["automatic", "automatic"] and all("egen adresse" in r for _, r in rows)


def test_per_sender_cap_per_day(tmp_path):
    inst = Installation(tmp_path, write_config(tmp_path, extra="[loops]\nper_sender_per_day = 2\nper_thread_per_10min = 100"))
    for n in range(3):
        inst.deliver(mail(attachments=[FORM, MINUTES], subject=f"Ansøgning {n}", received=f"2025-03-20 10:0{n}:00"))
    inst.cli("run", "--once", now="2025-03-20T12:00:00+01:00")
    assert kinds(inst) == ["receipt", "receipt"]
    assert len(held(inst)) == 1 and "det seneste døgn" in held(inst)[0]
    inst.deliver(mail(attachments=[FORM, MINUTES], subject="Ansøgning igen", received="2025-03-21 13:00:00"))
    inst.cli("run", "--once", now="2025-03-21T13:00:00+01:00")  # a day later the sender may be answered again
    assert kinds(inst) == ["receipt", "receipt", "receipt"]


def test_per_thread_cap_per_ten_minutes(tmp_path):
    inst = Installation(tmp_path, write_config(tmp_path, extra="[loops]\nper_thread_per_10min = 1"))
    inst.deliver(mail(attachments=[FORM], message_id="<a@slagelse.dk>", received="2025-03-20 10:00:00"))
    inst.deliver(mail(sender="Anne <anne@slagelse.dk>", subject="SV: Ansøgning", attachments=[MINUTES],
                      in_reply_to="<a@slagelse.dk>", received="2025-03-20 10:01:00"))
    inst.cli("run", "--once", now="2025-03-20T10:05:00+01:00")
    assert kinds(inst) == ["missing_items"]
    assert len(held(inst)) == 1 and "10 minutter" in held(inst)[0]
    inst.deliver(mail(sender="Anne <anne@slagelse.dk>", subject="SV: Ansøgning", attachments=[MINUTES, FORM],
                      in_reply_to="<a@slagelse.dk>", received="2025-03-20 10:30:00"))
    inst.cli("run", "--once", now="2025-03-20T10:30:00+01:00")
    assert kinds(inst) == ["missing_items", "receipt"]
