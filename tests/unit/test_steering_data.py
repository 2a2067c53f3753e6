"""The pack's data (bot/steering.py `pack_of`) over rows in a real SQLite database: the complete
applications are the ones the queue calls complete (the secretariat's overrides applied, taken from
`QueueItem.status`, never decided again), each with its newest score per criterion, and the scoring
action keeps history and writes only what changed."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import Session, SQLModel, create_engine, select

from bot.steering import Criterion, pack_of, scores_in_force
from config.settings import load_settings
from storage.models import Application, Assessment, AuditEvent, CheckOverride, Decision, Score
from tests.conftest import write_config
from triage import actions

NOW = dt.datetime(2025, 3, 31, 8, 0, tzinfo=dt.timezone.utc)


def checks(political: str) -> str:
    return json.dumps({
        "deadline": {"status": "ok", "required": True, "detail": "Rettidig."},
        "application_form": {"status": "ok", "required": True, "detail": "Skemaet er modtaget."},
        "director_signature": {"status": "ok", "required": True, "detail": "Underskrevet."},
        "political_backing": {"status": political, "required": True, "detail": "Referatet.",
                              "citations": [{"file": "referat.pdf", "location": "side 2", "snippet": "Udvalget godkendte"}]},
        "initial_meeting": {"status": "ok", "required": True, "detail": "Møde 4. oktober."},
    })


@pytest.fixture
def world(tmp_path):
    settings = load_settings(write_config(tmp_path))
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        for n, (status, political) in enumerate([("complete", "ok"), ("needs_review", "review"), ("incomplete", "missing")], 1):
            app = Application(reference=f"TFB-2025-{n:04d}", round_id="boern-unge-2025", sequence=n, municipality=f"Kommune {n}",
                              status=status, received_at=NOW - dt.timedelta(days=9 - n), updated_at=NOW)
            session.add(app)
            session.flush()
            session.add(Assessment(application_id=app.id, status=status, checks_json=checks(political), created_at=NOW))
        session.commit()
    yield settings, engine
    engine.dispose()


def app_of(session: Session, reference: str) -> Application:
    return session.exec(select(Application).where(Application.reference == reference)).one()


def test_the_pack_holds_what_the_queue_calls_complete(world):
    settings, engine = world
    with Session(engine) as session:
        second = app_of(session, "TFB-2025-0002")
        session.add(CheckOverride(application_id=second.id, check_name="political_backing", status="ok", reason="Referat set", by="sara",
                                  created_at=NOW))
        session.add(Decision(application_id=second.id, decision="declined", comment="For få pladser", by="sara", created_at=NOW))
        session.commit()
        pack = pack_of(session, settings, settings.rounds[0], NOW)
    assert [a.reference for a in pack.applications] == ["TFB-2025-0001", "TFB-2025-0002"] and pack.not_complete == 1
    overridden = pack.applications[1]
    assert overridden.overridden and overridden.decision == "declined" and overridden.decision_comment == "For få pladser"
    political = next(c for c in overridden.checks if c.name == "political_backing")
    assert (political.status, political.bot_status, political.override) == ("ok", "review", "Referat set — sara")
    assert political.evidence[0].snippet == "Udvalget godkendte"
    assert [s.value for s in overridden.scores] == [None] * 5


def test_scoring_keeps_history_and_the_newest_is_in_force(world):
    settings, engine = world
    with Session(engine) as session:
        app = app_of(session, "TFB-2025-0001")
        actions.score(session, app, {"motivation": ("4", "Konkret"), "readiness": ("3", "")}, "sara", NOW)
        actions.score(session, app, {"motivation": ("5", "Meget konkret"), "readiness": ("3", "")}, "bo", NOW + dt.timedelta(hours=1))
        with pytest.raises(actions.ActionError, match="uændret"):
            actions.score(session, app, {"motivation": ("5", "Meget konkret"), "readiness": ("3", "")}, "bo", NOW)
        with pytest.raises(actions.ActionError, match="Parathed: vælg et point fra 1 til 5"):
            actions.score(session, app, {"readiness": ("0", "")}, "bo", NOW)
        session.commit()
        assert [(s.criterion, s.value, s.actor) for s in session.exec(select(Score).order_by(Score.id))] == [
            ("motivation", 4, "sara"), ("readiness", 3, "sara"), ("motivation", 5, "bo")]
        in_force = scores_in_force(session, app.id)
        assert (in_force[Criterion.MOTIVATION].value, in_force[Criterion.MOTIVATION].note) == (5, "Meget konkret")
        assert [e.action for e in session.exec(select(AuditEvent))] == ["score", "score"]
        pack = pack_of(session, settings, settings.rounds[0], NOW)
    first = pack.applications[0]
    assert [s.value for s in first.scores] == [5, 3, None, None, None] and (first.total, first.scored) == (8, 2)
