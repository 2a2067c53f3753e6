"""Which round a mail belongs to: by the address it was sent to, then by when it was received."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from config.settings import Round


@dataclass(frozen=True)
class Routing:
    round: Round | None
    open: bool  # False: the address is a round's, but the round had not opened at the received time


def route(rounds: tuple[Round, ...], recipients: tuple[str, ...], received_at: dt.datetime) -> Routing:
    """The newest round at one of the recipient addresses that had opened when the mail arrived.
    With no address match and a single round, that round (a forwarded mail loses its To)."""
    addressed = [r for r in rounds if any(a in recipients for a in r.addresses)]
    if not addressed and len({r.address for r in rounds}) == 1:
        addressed = list(rounds)
    if not addressed:
        return Routing(None, False)
    opened = sorted((r for r in addressed if r.is_open_at(received_at)), key=lambda r: r.opens)
    if opened:
        return Routing(opened[-1], True)
    return Routing(min(addressed, key=lambda r: r.opens), False)
