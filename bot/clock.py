"""The service's one clock.  Read once at the edge and passed on as a value; rules never read it.

`TASKFORCE_INTAKE_NOW` (ISO 8601 with offset) replaces the real clock for replays, demos and checks.
"""
from __future__ import annotations

import datetime as dt
import os

NOW_ENV = "TASKFORCE_INTAKE_NOW"


class ClockError(ValueError):
    pass


def now() -> dt.datetime:
    fixed = os.environ.get(NOW_ENV)
    if not fixed:
        return dt.datetime.now(dt.timezone.utc)
    try:
        value = dt.datetime.fromisoformat(fixed)
    except ValueError:
        raise ClockError(f"{NOW_ENV}={fixed!r} er ikke en ISO 8601-tid, fx 2025-03-25T12:00:00+01:00") from None
    if value.tzinfo is None:
        raise ClockError(f"{NOW_ENV}={fixed!r} mangler tidszone, fx +01:00")
    return value
