"""The secretariat's verdicts over the bot's: the newest override of each check is in force, and the
application's queue status is decided again from the checks as they then stand.  The bot's own
verdict is never changed; it stays in `assessment.checks_json`."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlmodel import Session, select

from bot.assessment import status_from
from storage.models import CheckOverride, Decision


def overrides_in_force(session: Session, application_id: int) -> dict[str, CheckOverride]:
    """The newest override of each check of one application."""
    rows = session.exec(select(CheckOverride).where(CheckOverride.application_id == application_id).order_by(CheckOverride.id)).all()
    return {row.check_name: row for row in rows}


def decision_in_force(session: Session, application_id: int) -> Decision | None:
    return session.exec(select(Decision).where(Decision.application_id == application_id).order_by(Decision.id.desc())).first()


def effective_checks(checks: Mapping[str, Mapping[str, object]], overrides: Mapping[str, CheckOverride]) -> dict[str, str]:
    """Each check's status with the overrides applied."""
    statuses = {name: str(check.get("status", "")) for name, check in checks.items()}
    for name, override in overrides.items():
        statuses[name] = override.status
    return statuses


def effective_status(bot_status: str, checks: Mapping[str, Mapping[str, object]], overrides: Mapping[str, CheckOverride]) -> str:
    """The queue status: the bot's when nothing is overridden (or for an inquiry); otherwise decided
    from the checks as they stand, in the bot's order of precedence (late, incomplete, needs review,
    complete).  An application still incomplete when the deadline closed stays `incomplete_at_deadline`."""
    if not overrides or bot_status == "inquiry":
        return bot_status
    statuses = effective_checks(checks, overrides)
    required = [name for name, check in checks.items() if check.get("required", True)] + [n for n in overrides if n not in checks]
    status = status_from(statuses, required)
    return "incomplete_at_deadline" if status == "incomplete" and bot_status == "incomplete_at_deadline" else status


def describe(overrides: Iterable[CheckOverride]) -> str:
    """One line for exports: `check: status (reason — by)`."""
    return "; ".join(f"{o.check_name}: {o.status} ({o.reason} — {o.by})" for o in overrides)
