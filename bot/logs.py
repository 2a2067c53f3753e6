"""Where the log goes and in what shape: one line a record on stderr, "text" for a person at a terminal,
"json" (python-json-logger, one object a line) for a log collector.  Configured by the command
(`taskforce-intake run` / `serve`, from `[monitoring] log_format`), never at import time.

A record made with `extra=` (bot/events.py) carries its fields: as keys of the JSON object, or as
`key=value` after the message in a text line, so both formats say the same."""
from __future__ import annotations

import logging
import sys
from typing import Literal

try:
    from pythonjsonlogger.json import JsonFormatter
except ImportError:  # pragma: no cover - python-json-logger 2.x
    from pythonjsonlogger.jsonlogger import JsonFormatter  # type: ignore[no-redef,attr-defined,unused-ignore]

from pythonjsonlogger.core import RESERVED_ATTRS

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
EVENTS_LOGGER = "bot.events"  # always at INFO or below: one event per message whatever the level


class TextFormatter(logging.Formatter):
    """The usual text line, with the record's own fields after the message."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {k: v for k, v in extra_fields(record).items() if not (k == "event" and v == record.getMessage())}
        if not fields:
            return line
        head, _, tail = line.partition("\n")  # a traceback stays below the line
        return " ".join([head, *(f"{k}={v}" for k, v in fields.items())]) + (f"\n{tail}" if tail else "")


def extra_fields(record: logging.LogRecord) -> dict[str, object]:
    """What `extra=` added to the record (not the attributes every record has)."""
    return {k: v for k, v in record.__dict__.items() if k not in RESERVED_ATTRS and k not in ("message", "taskName")}


def formatter(log_format: LogFormat) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"asctime": "time", "levelname": "level",
                                                                                              "name": "logger"})
    return TextFormatter(TEXT_FORMAT)


def configure_logging(log_format: LogFormat, level: int = logging.WARNING, events: bool = True) -> None:
    """One handler on stderr for every logger (replacing any set before, e.g. by the command's
    `--verbose`); the per-message events at INFO even when the rest logs only warnings, unless `events`
    is False (`run --once` at a terminal prints its own summary: the events then follow `--verbose`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger(EVENTS_LOGGER).setLevel(min(level, logging.INFO) if events else logging.NOTSET)
