"""A Maildir outbox: every reply as a file, for the demo and for inspection without a mail server."""
from __future__ import annotations

import mailbox
from pathlib import Path
from typing import Callable


class MaildirOutbox:
    def __init__(self, path: Path) -> None:
        for sub in ("tmp", "new", "cur"):  # also over an empty folder an operator made
            (path / sub).mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(str(path), create=True)

    def send(self, raw: bytes, sender: str, recipients: list[str], on_data: Callable[[], None] | None = None) -> None:
        if on_data:
            on_data()
        self.box.add(raw)

    def close(self) -> None:
        self.box.close()
