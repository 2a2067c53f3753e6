"""Monitoring over the real commands: `run --once` over a seeded Maildir (SQLite and PostgreSQL), then
the real `serve`: /metrics parses and says what the database holds, /healthz and /readyz judge the
last poll and the database, `metrics_token` guards /metrics, `taskforce-intake health` gives the same
verdict, and `run --once` with `log_format = "json"` logs one JSON line per mail, without its content."""
from __future__ import annotations

import json
import time
from collections import Counter

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

import bot.intake as intake
from bot.logs import formatter
from bot.metrics import registry
from bot.runtime import Runtime
from bot.service import run_once
from config.settings import load_settings
from storage.db import make_engine
from tests.conftest import Installation, write_config
from tests.factories.forms import FormSpec, form_docx
from tests.mails import at, mail
from tests.web import Server, free_port, seed

SEEDED = "2025-03-22T12:00:00+01:00"  # seed()'s `run --once`: the last successful poll
SOON = "2025-03-22T12:05:00+01:00"  # 300 s later
STALE = "2025-03-22T12:20:34+01:00"  # 1234 s later: over the limit of 900
TOKEN = "hemmeligt-maaletegn-123"


def metrics(response: httpx.Response) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and labels."""
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def rows(inst: Installation, sql: str) -> list[tuple]:
    engine = make_engine(load_settings(inst.config).database_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def configure(inst: Installation, monitoring: str) -> None:
    """A `[monitoring]` table added to the installation's file."""
    inst.config.write_text(inst.config.read_text(encoding="utf-8") + f"\n[monitoring]\n{monitoring}\n", encoding="utf-8")


@pytest.fixture
def seeded(each_database: Installation) -> Installation:
    configure(each_database, "poll_stale_seconds = 900")  # watched: the operator's setting (default 0, not watched)
    seed(each_database)
    return each_database


def test_metrics_say_what_the_database_holds_and_healthz_judges_the_last_poll(seeded):
    server = Server.start(seeded, now=SOON)
    try:
        with server.client() as client:
            found = metrics(client.get("/metrics"))
            health = client.get("/healthz")
            ready = client.get("/readyz")
    finally:
        server.stop()
    messages = Counter((k, s, a or "undecided") for k, s, a in rows(seeded, "SELECT kind, state, answered FROM message"))
    assert sum(messages.values()) == 5 and messages[("application", "processed", "auto")] == 4
    assert {labels: v for (name, labels), v in found.items() if name == "taskforce_intake_messages"} == {
        (("answered", a), ("kind", k), ("outcome", s)): float(n) for (k, s, a), n in messages.items()}
    sent = len(seeded.outbox)  # the replies in the Maildir outbox, counted from the files: 4 receipts or notices, a reminder
    assert sent == 5 and found[("taskforce_intake_replies", (("state", "sent"),))] == sent
    assert found[("taskforce_intake_replies", (("state", "in_doubt"),))] == 0
    assert found[("taskforce_intake_outbox_size", ())] == 0 and found[("taskforce_intake_quarantine_size", ())] == 0
    readings = Counter(rows(seeded, "SELECT role, format FROM document WHERE read_ms > 0"))
    counted = {(dict(labels)["role"], dict(labels)["format"]): v for (name, labels), v in found.items()
               if name == "taskforce_intake_reader_seconds_count"}
    assert len(readings) >= 2 and counted == {kind: float(n) for kind, n in readings.items()}  # docx and pdf forms
    total_ms = rows(seeded, "SELECT SUM(read_ms) FROM document WHERE read_ms > 0")[0][0]
    summed = sum(v for (name, _), v in found.items() if name == "taskforce_intake_reader_seconds_sum")
    assert summed == pytest.approx(total_ms / 1000)
    assert found[("taskforce_intake_last_poll_age_seconds", ())] == 300
    assert found[("taskforce_intake_up", ())] == 1 and found[("taskforce_intake_healthy", ())] == 1
    assert not any("slagelse" in str(labels).lower() or "@" in str(labels) for _, labels in found)  # no personal data in labels
    assert health.status_code == 200
    assert health.json() | {"last_poll": None} == {"status": "ok", "database": "ok", "last_poll": None, "last_poll_age_seconds": 300,
                                                    "poll_stale_seconds": 900, "reasons": []}
    assert ready.status_code == 200 and ready.json()["status"] == "ok"


def test_a_stale_poll_is_a_503_with_the_reason_and_the_health_command_agrees(seeded):
    server = Server.start(seeded, now=STALE)
    try:
        with server.client() as client:
            health = client.get("/healthz")
            ready = client.get("/readyz")
            found = metrics(client.get("/metrics"))
    finally:
        server.stop()
    reason = "Sidste vellykkede postkassekontrol var for 1234 sekunder siden (grænse 900)"
    assert health.status_code == 503 and health.json()["status"] == "fejl" and health.json()["reasons"] == [reason]
    assert ready.status_code == 200  # readiness asks no poll
    assert found[("taskforce_intake_healthy", ())] == 0 and found[("taskforce_intake_last_poll_age_seconds", ())] == 1234
    stale = seeded.cli("health", now=STALE, check=False)
    assert stale.returncode == 1 and reason in stale.stdout
    fresh = seeded.cli("health", "--json", now=SOON, check=False)
    assert fresh.returncode == 0 and json.loads(fresh.stdout)["last_poll_age_seconds"] == 300


def test_the_database_gone_is_a_503_and_up_0(pg_installation, postgres_server):
    import psycopg

    seed(pg_installation)
    server = Server.start(pg_installation, now=SOON)
    try:
        with server.client() as client:
            assert client.get("/healthz").status_code == 200
            name = load_settings(pg_installation.config).database_url.rsplit("/", 1)[1]
            with psycopg.connect(postgres_server.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            health, ready = client.get("/healthz"), client.get("/readyz")
            found = metrics(client.get("/metrics"))
    finally:
        server.stop()
    assert health.status_code == 503 and health.json()["reasons"] == ["Databasen kan ikke nås"] and health.json()["database"] == "fejl"
    assert ready.status_code == 503 and ready.json()["reasons"] == ["Databasen kan ikke nås"]
    assert found[("taskforce_intake_up", ())] == 0 and found[("taskforce_intake_healthy", ())] == 0
    assert not any(name == "taskforce_intake_messages" for name, _ in found)
    gone = pg_installation.cli("health", now=SOON, check=False)
    assert gone.returncode == 1 and "Databasen kan ikke nås" in gone.stdout


def test_the_health_command_with_no_database_server(tmp_path):
    inst = Installation(tmp_path, write_config(tmp_path))
    closed = f"postgresql+psycopg://intake@127.0.0.1:{free_port()}/intake"  # nothing listens there
    inst.config.write_text(inst.config.read_text(encoding="utf-8").replace(f'url = "sqlite:///{tmp_path}/intake.db"', f'url = "{closed}"'),
                           encoding="utf-8")
    result = inst.cli("health", check=False)
    assert result.returncode == 1 and "Databasen kan ikke nås" in result.stdout


def test_metrics_token(installation):
    seed(installation)
    configure(installation, f'metrics_token = "{TOKEN}"')
    server = Server.start(installation, now=SOON)
    try:
        with server.client() as client:
            missing = client.get("/metrics")
            wrong = client.get("/metrics", headers={"Authorization": "Bearer forkert"})
            right = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            health = client.get("/healthz")  # the token guards /metrics only
    finally:
        server.stop()
    assert missing.status_code == 401 and wrong.status_code == 401 and "Bearer" in missing.headers["www-authenticate"]
    assert TOKEN not in missing.text and "taskforce_intake" not in missing.text
    assert metrics(right)[("taskforce_intake_up", ())] == 1
    assert health.status_code == 200 and TOKEN not in health.text


SUBJECT = "Ansøgning fra Fjordby HEMMELIGT-EMNE"
SECTION_TEXT = "Vores motivation er HEMMELIG-DOKUMENTTEKST om sagsbehandlingen"


def test_run_once_logs_one_json_line_per_mail_without_its_content(installation):
    configure(installation, 'log_format = "json"')
    installation.deliver(mail(subject=SUBJECT, body="Brødtekst HEMMELIG-BRØDTEKST", message_id="<a1@slagelse.dk>",
                              attachments=[("Ansøgningsskema.docx", form_docx(FormSpec(sections={3: SECTION_TEXT}), "table"))]))
    installation.deliver(mail(sender="Per Holm <peho@odense.dk>", subject="Hvornår er fristen? HEMMELIGT-EMNE",
                              body="HEMMELIG-BRØDTEKST", message_id="<q1@odense.dk>", received="2025-03-21 11:00:00"))
    installation.deliver(mail(sender="MAILER-DAEMON@slagelse.dk", subject="Undeliverable: HEMMELIGT-EMNE", message_id="<b1@slagelse.dk>",
                              headers={"Auto-Submitted": "auto-replied"}, received="2025-03-21 12:00:00"))
    result = installation.cli("run", "--once", now=SEEDED)
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    events = [e for e in lines if e.get("event") == "message_settled"]
    assert len(events) == 3 and all(e["outcome"] == "processed" and e["level"] == "INFO" and e["logger"] == "bot.events" for e in events)
    stored = {row[0]: row[1:] for row in rows(installation, "SELECT m.id, m.kind, m.answered, a.reference, m.round_id FROM message m "
                                                            "LEFT JOIN application a ON a.id = m.application_id")}
    assert {e["message_id"]: (e["kind"], e["answered"], e["reference"], e["round"]) for e in events} == stored
    assert {e["kind"] for e in events} == {"application", "inquiry", "automatic"}
    assert all(isinstance(e["duration_ms"], int) and e["duration_ms"] >= 0 and e["time"] for e in events)
    for secret in ("HEMMELIG", "Fjordby", "@slagelse.dk", "@odense.dk", "Mette Hansen"):
        assert secret not in result.stderr
    again = installation.cli("run", "--once", now=SEEDED)  # nothing new: no events
    assert not [line for line in again.stderr.splitlines() if "message_settled" in line]


def test_run_once_at_a_terminal_prints_its_summary_and_the_events_only_when_verbose(installation):
    """Text format (the default): `run --once` is read by a person, who gets the summary line; the line
    per mail with `--verbose`."""
    installation.deliver(mail(message_id="<t1@slagelse.dk>", attachments=[("Ansøgningsskema.docx", form_docx(FormSpec(), "table"))]))
    installation.deliver(mail(message_id="<t2@slagelse.dk>", subject="Hvornår er fristen?", received="2025-03-21 11:00:00"))
    quiet = installation.cli("run", "--once", now=SEEDED)
    assert "behandlet 2" in quiet.stderr and "message_settled" not in quiet.stderr  # the summary (rich's console is stderr)
    installation.deliver(mail(message_id="<t3@odense.dk>", sender="Per Holm <peho@odense.dk>", subject="Spørgsmål",
                              received="2025-03-21 12:00:00"))
    verbose = installation.cli("--verbose", "run", "--once", now=SEEDED)
    events = [line for line in verbose.stderr.splitlines() if "bot.events: message_settled" in line]
    assert len(events) == 1 and "outcome=processed" in events[0] and "kind=inquiry" in events[0]


def test_a_failed_mail_is_an_event_with_its_error_type_only_and_is_counted_in_the_quarantine(installation, monkeypatch, caplog):
    """In-process, as tests/integration/test_quarantine.py: the envelope step fails for one mail."""
    real = intake._envelope

    def envelope(row, facts):
        if "Boom" in facts.subject:
            raise RuntimeError("disk full while writing HEMMELIG-FEJLTEKST")
        return real(row, facts)

    monkeypatch.setattr(intake, "_envelope", envelope)
    installation.deliver(mail(subject="Boom: ansøgning", message_id="<boom@slagelse.dk>"))
    caplog.set_level("INFO", logger="bot.events")
    when = at("2025-03-20 10:05:00")
    rt = Runtime.open(load_settings(installation.config))
    try:
        run_once(rt, when)
        exposition = generate_latest(registry(rt.engine, lambda: when, 900)).decode()
    finally:
        rt.close()
    [record] = [r for r in caplog.records if r.name == "bot.events"]
    event = json.loads(formatter("json").format(record))
    assert event["outcome"] == "failed" and event["state"] == "failed" and event["error_type"] == "RuntimeError" and event["attempts"] == 1
    assert event["kind"] == "pending" and event["reference"] is None
    assert "HEMMELIG" not in json.dumps(event) and "Boom" not in json.dumps(event)
    found = metrics(httpx.Response(200, text=exposition, headers={"content-type": "text/plain"}))
    assert found[("taskforce_intake_quarantine_size", ())] == 1
    assert found[("taskforce_intake_messages", (("answered", "undecided"), ("kind", "pending"), ("outcome", "failed")))] == 1
    assert found[("taskforce_intake_last_poll_age_seconds", ())] == 0  # the pass itself succeeded: the mailbox was read


def test_the_long_running_worker_records_its_polls(installation):
    """`run --serve` (the worker and the web app in one process) on the real clock: after the worker's
    pass over the Maildir (polled: no IDLE) /healthz and `health` read the poll it recorded."""
    server = Server.start(installation, now=None, command=("-v", "run", "--serve"))
    try:
        deadline = time.monotonic() + 120
        while not any("next poll" in line for line in list(server.log)):  # logged after the pass and its record_poll
            assert time.monotonic() < deadline, "the worker's first pass did not end:\n" + "".join(server.log)
            time.sleep(0.2)
        with server.client() as client:
            health = client.get("/healthz")
        command = installation.cli("health", "--json")
    finally:
        server.stop()
    assert health.status_code == 200 and health.json()["last_poll"] is not None and health.json()["last_poll_age_seconds"] < 60
    assert json.loads(command.stdout)["last_poll"] >= health.json()["last_poll"]  # the same row (or a later pass's): UTC ISO times
