"""Helpers for the web app's tests: a seeded installation (mail dropped into the Maildir inbox and
`run --once`), an account, and the real `taskforce-intake serve` on a free 127.0.0.1 port."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from tests.conftest import ROOT, Installation, write_config
from tests.factories.forms import FormSpec, form_docx, form_pdf
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.mails import mail

USER, PASSWORD = "anna", "korrekt hest batteri"
NOW = "2025-03-24T10:00:00+01:00"  # the service clock while serving: the deadline is 1 day 2 hours away
SCRIPT = "<script>alert('{}')</script>"
# no worker runs beside these servers (the seed's one pass is two days before NOW): /healthz does not
# watch the poll's age here; tests/integration/test_metrics_health.py does
UNWATCHED_POLL = "\n[monitoring]\npoll_stale_seconds = 0\n"


def seed(inst: Installation) -> None:
    """A small realistic round: complete, unsafe (script in subject, body and filename, no minutes),
    a question, and two handicap applications delivered out of arrival order."""
    inst.deliver(mail(attachments=[("Ansøgningsskema Slagelse.docx", form_docx(FormSpec(), "table")),
                                   ("Referat Børne- og Ungeudvalget 30.09.2019.pdf", minutes_pdf(MinutesSpec(), "numbered"))],
                      message_id="<slagelse-1@slagelse.dk>", received="2025-03-20 10:00:00"))
    inst.deliver(mail(sender="Lone Berg <lobe@aarhus.dk>", subject="Ansøgning " + SCRIPT.format("subject"),
                      body="Hej\n" + SCRIPT.format("body") + "\n<b>fed</b>", message_id="<aarhus-1@aarhus.dk>",
                      attachments=[(SCRIPT.format("file") + ".docx", form_docx(FormSpec(
                          municipality="Aarhus Kommune", address="Rådhuspladsen 2, 8000 Aarhus C", cvr="55133018",
                          director_name="Lone Berg", director_email="lobe@aarhus.dk"), "table"))],
                      received="2025-03-21 10:00:00"))
    inst.deliver(mail(sender="Per Holm <peho@odense.dk>", subject="Hvornår er fristen?", body="Hvornår er fristen for at søge?",
                      message_id="<odense-q@odense.dk>", received="2025-03-21 11:00:00"))
    handicap = FormSpec(programme="handicap", initial_meeting=None)
    inst.deliver(mail(sender="Sofie Lund <solu@vejle.dk>", to="taskforcehandicap@sbst.dk", subject="Ansøgning handicap",
                      attachments=[("skema.pdf", form_pdf(replace(handicap, municipality="Vejle Kommune", cvr="29189900",
                                   director_name="Sofie Lund", director_email="solu@vejle.dk", address="Skolegade 1, 7100 Vejle"), "headings"))],
                      received="2025-03-22 09:00:00"))
    inst.deliver(mail(sender="Ib Krog <ibkr@holbaek.dk>", to="taskforcehandicap@sbst.dk", subject="Ansøgning handicap",
                      attachments=[("skema.pdf", form_pdf(replace(handicap, municipality="Holbæk Kommune", cvr="29189447",
                                   director_name="Ib Krog", director_email="ibkr@holbaek.dk", address="Kanalstræde 2, 4300 Holbæk"), "headings"))],
                      received="2025-03-21 09:00:00"))
    inst.cli("run", "--once", now="2025-03-22T12:00:00+01:00")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """`taskforce-intake serve` in a subprocess; ready once uvicorn says so on stderr (no polling)."""

    inst: Installation
    process: subprocess.Popen
    url: str
    log: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, inst: Installation, now: str | None = NOW, command: tuple[str, ...] = ("serve",)) -> "Server":
        port = free_port()
        env = {**os.environ, "TASKFORCE_INTAKE_CONFIG": str(inst.config)}
        env.pop("TASKFORCE_INTAKE_NOW", None)
        if now:
            env["TASKFORCE_INTAKE_NOW"] = now
        process = subprocess.Popen([sys.executable, "-m", "taskforce_intake", *command, "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        server = cls(inst, process, f"http://127.0.0.1:{port}")
        assert process.stderr is not None
        for line in process.stderr:
            server.log.append(line)
            if "Uvicorn running on" in line:
                break
        else:
            raise AssertionError("serve did not start:\n" + "".join(server.log))
        threading.Thread(target=lambda: server.log.extend(process.stderr), daemon=True).start()  # type: ignore[arg-type]
        return server

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30, **kwargs)  # type: ignore[arg-type]


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def login(client: httpx.Client, user: str = USER, password: str = PASSWORD) -> httpx.Response:
    token = csrf(client.get("/login").text)
    return client.post("/login", data={"username": user, "password": password, "csrf_token": token})


def add_user(inst: Installation, name: str, role: str, password: str = PASSWORD) -> None:
    inst.cli("user", "add", name, "--role", role, stdin=password + "\n")


def installation(root: Path, extra: str = "") -> Installation:
    """Seeded, with USER as an `admin`: the day's work of the browser test ends with the round exports."""
    root.mkdir(parents=True, exist_ok=True)
    inst = Installation(root, write_config(root, extra=extra + UNWATCHED_POLL))
    seed(inst)
    add_user(inst, USER, "admin")
    return inst


class RanInRequest(AssertionError):
    """A reader, a renderer or the mail parser ran while the web app answered a request."""


def forbidden(name: str):
    """A stand-in for `name` that fails the test if it is called (monkeypatch it in before requests)."""
    def called(*args: object, **kwargs: object):
        raise RanInRequest(f"{name} ran during a web request")
    return called
