"""A Maildir inbox (stdlib `mailbox`).  Processed mail moves to the Maildir++ subfolder named like the
IMAP done folder, so the inbox holds only what is still to do."""
from __future__ import annotations

import datetime as dt
import mailbox
import os
from pathlib import Path
from typing import Iterator

from bot.mailboxes import IncomingMail


class MaildirMailbox:
    def __init__(self, path: Path, done_folder: str = "Behandlet") -> None:
        self.path = path
        for sub in ("tmp", "new", "cur"):  # also over an empty folder an operator made
            (path / sub).mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(str(path), create=True)
        self.done_name = done_folder.replace("/", ".")

    def _file(self, key: str) -> Path:
        return self.path / self.box._lookup(key)  # noqa: SLF001 - the stdlib keeps the sub-path private

    def fetch(self) -> Iterator[IncomingMail]:
        self.box.clean()
        entries = []
        for key in self.box.keys():
            try:
                stat = os.stat(self._file(key))
            except (KeyError, FileNotFoundError):
                continue  # gone meanwhile (another worker, or the operator)
            entries.append((stat.st_mtime, key))
        for mtime, key in sorted(entries):
            try:
                raw = self.box.get_bytes(key)
            except KeyError:
                continue
            yield IncomingMail(key=f"maildir:{key}", raw=raw, file_time=dt.datetime.fromtimestamp(mtime, dt.timezone.utc))

    def flush(self) -> None:
        """Nothing waits: `done` renames each file at once."""

    def done(self, key: str) -> None:
        """The file renamed into the done folder (Maildir++: `.Behandlet/new` or `cur`), as a mail client moves it:
        no parsing, no copy."""
        name = key.removeprefix("maildir:")
        try:
            source = self._file(name)
        except KeyError:
            return
        folder = self.box.add_folder(self.done_name) if self.done_name not in self.box.list_folders() else self.box.get_folder(self.done_name)
        target = Path(folder._path) / source.parent.name / source.name  # noqa: SLF001 - new/ stays new/, cur/ stays cur/
        try:
            os.replace(source, target)
        except FileNotFoundError:
            return  # moved meanwhile (another worker, or the operator)
        self.box._refresh()  # noqa: SLF001 - forget the moved file's key

    def close(self) -> None:
        self.box.close()
