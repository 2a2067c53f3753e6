"""Where mail comes from: one Protocol, a Maildir (the embedded default) and IMAP."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
import threading
from typing import TYPE_CHECKING, Callable, Iterator, Protocol

from config.settings import MailboxSettings

if TYPE_CHECKING:
    from bot.claims import MailClaims


class MailboxError(Exception):
    """The mailbox cannot be used (unreachable, login refused); the message names server, user, folder."""


@dataclass(frozen=True)
class IncomingMail:
    """One mail as the mailbox hands it over.  `key` identifies it in that mailbox (for moving it to
    the done folder); `internal_date` is the server's received time where the mailbox has one (IMAP)."""

    key: str
    raw: bytes
    internal_date: dt.datetime | None = None
    file_time: dt.datetime | None = None


class Mailbox(Protocol):
    def fetch(self) -> Iterator[IncomingMail]:
        """Every mail not yet moved to the done folder, oldest first."""
        ...

    def done(self, key: str) -> None:
        """Move a stored and processed mail out of the inbox (IMAP: with the next few, see `flush`)."""
        ...

    def flush(self) -> None:
        """Move out at once the mails `done` has not moved yet (before their replies go out)."""
        ...

    def close(self) -> None: ...


def open_mailbox(settings: MailboxSettings, known: Callable[[str], bool] | None = None,
                 stop: threading.Event | None = None, claims: "MailClaims | None" = None) -> Mailbox:
    """`known(key)`: the mail under this key is already stored and processed (IMAP skips the download);
    `stop`: set on SIGTERM, the mailbox then hands out no further mail; `claims`: the mails this
    worker has in hand, when several workers share the mailbox (IMAP; bot/claims.py)."""
    if settings.kind == "maildir":
        from bot.mailboxes.maildir import MaildirMailbox

        assert settings.path is not None
        return MaildirMailbox(settings.path, settings.done_folder)
    from bot.mailboxes.imap import ImapMailbox

    return ImapMailbox(settings, known=known, stop=stop, claims=claims)
