"""The states are enums shared by the tables, the rules and the web app: every member of every enum has
a Danish label, the values stay the strings rows and JSON already hold, and the outbox applies the
configured retry policy whoever sends."""
from __future__ import annotations

import datetime as dt
import inspect
from enum import StrEnum
from pathlib import Path
from typing import Callable

import pytest
from sqlmodel import Session, SQLModel, create_engine, select

from bot import states
from bot.delivery import DeliveryError, DeliveryUnavailable
from bot.outbox import RetryPolicy, flush, send_pending
from bot.states import ReplyKind, ReplyState, ReplyTemplate
from config.settings import DeliverySettings
from storage.models import Reply
from triage.labels import LABELS, label

ENUMS = [obj for _, obj in inspect.getmembers(states, inspect.isclass) if issubclass(obj, StrEnum) and obj.__module__ == states.__name__]
MEMBERS = [(enum, member) for enum in ENUMS for member in enum]
TEMPLATES = Path(__file__).resolve().parents[2] / "config" / "templates"
NOW = dt.datetime(2025, 3, 21, 13, 0, tzinfo=dt.timezone.utc)


def test_every_enum_is_listed_and_labelled():
    assert set(ENUMS) == set(states.ALL)
    assert set(LABELS) == set(ENUMS), "an enum of bot/states.py without labels in triage/labels.py"


@pytest.mark.parametrize(("enum", "member"), MEMBERS, ids=[f"{e.__name__}.{m.name}" for e, m in MEMBERS])
def test_every_member_has_a_danish_label(enum, member):
    text = LABELS[enum].get(member)
    assert text and text.strip(), f"{enum.__name__}.{member.name} has no Danish label"
    assert text.casefold() != member.value.casefold() and text.casefold() != member.name.casefold()
    assert label(member.value, enum) == text  # a plain string from the database finds it too


def test_no_label_for_a_state_that_does_not_exist():
    for enum, names in LABELS.items():
        assert set(names) <= {m.value for m in enum}, enum.__name__


def test_values_are_the_strings_in_rows_json_and_headers():
    # CONTRACT.md: X-Taskforce-Reply, queue --json status/kind, check --json statuses
    assert {m.value for m in ReplyKind} == {"receipt", "missing_items", "late", "reminder", "closing", "not_open", "information_request",
                                            "decision_approved", "decision_declined", "decision_waiting_list"}
    assert {m.value for m in states.ApplicationStatus} == {"complete", "incomplete", "needs_review", "late", "inquiry", "incomplete_at_deadline"}
    assert {m.value for m in states.CheckStatus} == {"ok", "missing", "review", "late", "not_required"}
    assert {m.value for m in states.AttachmentRole} == {"application_form", "minutes", "other", "unreadable", "unread"}
    assert {m.value for m in ReplyState} == {"pending", "claimed", "sending", "sent", "failed", "in_doubt"}
    assert {m.value for m in states.AnswerState} == {"", "auto", "before_answer_from", "not_needed", "held", "unknown_sender", "unauthenticated"}
    assert {m.value for m in states.MessageState} == {"stored", "processed", "failed", "quarantined", "erased"}
    assert states.ReplyState.SENT == "sent" and f"{states.Lateness.REFUSED}" == "refused" and str(states.AnswerState.HELD) == "held"


def test_every_template_is_a_reply_template_and_back():
    files = {p.name.removesuffix(".txt.j2") for p in TEMPLATES.glob("*.txt.j2") if not p.name.startswith("_")}
    assert files == {m.value for m in ReplyTemplate}
    assert {m.value for m in ReplyKind} <= files  # each kind has a template of its own name


# --- the outbox applies the policy of the settings ------------------------------------------------


class Refusing:
    """A delivery that refuses every mail, as a server answering 451 (or 550)."""

    def __init__(self, error: DeliveryError) -> None:
        self.error, self.calls, self.closed = error, 0, False

    def send(self, raw: bytes, sender: str, recipients: list[str], on_data: Callable[[], None] | None = None) -> None:
        self.calls += 1
        raise self.error

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/outbox.db")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Reply(dedupe_key="k", kind=ReplyKind.RECEIPT, message_id="<r@sbst.dk>", to="a@slagelse.dk", sender="taskforce@sbst.dk",
                          subject="Kvittering", raw=b"Subject: x\r\n\r\nx\r\n", created_at=NOW))
        session.commit()
    return engine


def only_reply(engine) -> Reply:
    with Session(engine) as session:
        return session.exec(select(Reply)).one()


def test_send_pending_schedules_the_retry_the_settings_say(engine):
    settings = DeliverySettings(kind="smtp", retry_seconds=300, retry_max_seconds=3600, max_attempts=5)
    delivery = Refusing(DeliveryError("451 prøv igen"))
    result = send_pending(engine, settings, NOW, delivery)
    reply = only_reply(engine)
    assert (result.sent, result.failed) == (0, 1) and not delivery.closed  # a delivery given is the caller's to close
    assert (reply.state, reply.attempts, reply.next_attempt_at) == (ReplyState.PENDING, 1, NOW + dt.timedelta(seconds=300))
    send_pending(engine, settings, NOW + dt.timedelta(seconds=120), delivery)  # not due: the default minute would be
    assert delivery.calls == 1 and only_reply(engine).attempts == 1


def test_send_pending_gives_up_after_the_configured_attempts(engine):
    settings = DeliverySettings(kind="smtp", max_attempts=1)
    send_pending(engine, settings, NOW, Refusing(DeliveryUnavailable("kan ikke nås")))
    reply = only_reply(engine)
    assert (reply.state, reply.attempts, reply.next_attempt_at) == (ReplyState.FAILED, 1, None) and "kan ikke nås" in reply.error


def test_send_pending_opens_and_closes_the_configured_delivery(engine, tmp_path):
    result = send_pending(engine, DeliverySettings(kind="maildir", path=tmp_path / "outbox"), NOW)
    assert result.sent == 1 and only_reply(engine).state == ReplyState.SENT
    assert len(list((tmp_path / "outbox" / "new").iterdir())) == 1


def test_flush_has_no_policy_of_its_own(engine):
    with pytest.raises(TypeError):
        flush(engine, Refusing(DeliveryError("451")), NOW)  # type: ignore[call-arg]
    assert RetryPolicy.of(DeliverySettings(kind="smtp", retry_seconds=7)).first == dt.timedelta(seconds=7)
