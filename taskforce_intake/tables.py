"""The queue as the terminal shows it (`taskforce-intake queue`) and as a spreadsheet takes it
(`queue --csv`).  The narrow table fits an 80-column terminal with every reference and status whole:
the checks that are not met are named in one column instead of four, and only the municipality wraps;
`--wide` gives a column a check and the round and mail count besides."""
from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from typing import TextIO

from rich import box
from rich.table import Table

from bot.queue import QueueItem

CHECKS = ("application_form", "director_signature", "political_backing", "initial_meeting")
SHORT = {"application_form": "skema", "director_signature": "underskrift", "political_backing": "referat", "initial_meeting": "møde",
         "deadline": "frist"}


def open_points(item: QueueItem) -> str:
    """The checks not met, short: "underskrift?, referat" (a question mark: for a person to judge)."""
    points = []
    for name, check in item.checks.items():
        status = item.overrides.get(name, {}).get("status") or check.get("status", "")
        if status in ("missing", "late"):
            points.append(SHORT.get(name, name))
        elif status == "review":
            points.append(SHORT.get(name, name) + "?")
    return ", ".join(points) or "-"


def _when(item: QueueItem, tz: dt.tzinfo, wide: bool) -> str:
    return item.received_at.astimezone(tz).strftime("%d.%m.%Y %H:%M:%S" if wide else "%d.%m %H:%M")


def queue_table(items: Sequence[QueueItem], tz: dt.tzinfo, wide: bool = False) -> Table:
    table = Table(title="Triagekø", box=box.SIMPLE_HEAD if not wide else box.HEAVY_HEAD, pad_edge=False)
    table.add_column("Reference", no_wrap=True)
    if wide:
        table.add_column("Runde", no_wrap=True)
    table.add_column("Kommune", no_wrap=True) if wide else table.add_column("Kommune", overflow="fold", ratio=1)
    table.add_column("Status", no_wrap=True)
    table.add_column("Modtaget", no_wrap=True)
    if wide:
        table.add_column("Mails", justify="right")
        for name in CHECKS:
            table.add_column(SHORT[name].capitalize(), no_wrap=True)
    else:
        table.add_column("Åbne punkter", overflow="fold", ratio=1)
    for i in items:
        town = i.municipality if wide else i.municipality.removesuffix(" Kommune")  # the column says "Kommune"
        cells = [i.reference] + ([i.round] if wide else []) + [town or "(ukendt)", i.status, _when(i, tz, wide)]
        if wide:
            cells += [str(i.messages)] + [i.checks.get(n, {}).get("status", "") for n in CHECKS]
        else:
            cells.append(open_points(i))
        table.add_row(*cells)
    return table


def queue_csv(items: Sequence[QueueItem], tz: dt.tzinfo, out: TextIO) -> None:
    """One row an application or inquiry, every check's status its own column (the JSON's fields)."""
    writer = csv.writer(out)
    writer.writerow(["reference", "round", "kind", "municipality", "cvr", "status", "received_at", "messages", *CHECKS,
                     "not_answered", "decision", "unknown_sender", "sender_flags"])
    for i in items:
        writer.writerow([i.reference, i.round, i.kind, i.municipality, i.cvr, i.status, i.received_at.astimezone(tz).isoformat(),
                         i.messages, *(i.checks.get(n, {}).get("status", "") for n in CHECKS), i.unanswered, i.decision,
                         "ja" if i.unknown_sender else "", " | ".join(i.sender_flags)])
