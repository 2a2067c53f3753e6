"""The IMAP mailbox (imapclient): Exchange Online / Microsoft 365 or Dovecot.

Identity of a mail: `imap:<UIDVALIDITY>:<UID>` (the `key`), recorded on its message row.  A key known
as processed is moved out without downloading it again.  When UIDVALIDITY changes (a mailbox rebuilt or
migrated), every key is new: the mail is downloaded again, and the content hash (sha256, in
bot/intake.py) and the Message-ID (bot/loops.py) make sure it is not processed or answered twice.

The received time is INTERNALDATE (the server's clock on arrival), never the sender's Date header.
Mail is moved to the done folder (MOVE, else COPY + EXPUNGE) only after it is stored and processed.
A dropped connection is reopened with exponential backoff (tenacity), within a pass as between passes.

Several workers on one mailbox (`claims`, bot/claims.py): a mail is claimed before it is downloaded and
released once it is moved; one another worker has in hand is skipped (counted in `held_elsewhere`, so
the service looks again soon in case that worker dies).  A mail the other worker moved meanwhile is
no error: a FETCH of it yields nothing, a MOVE of it is skipped (EXPUNGEISSUED, NO, UID gone).
"""
from __future__ import annotations

import datetime as dt
import imaplib
import logging
import threading
import time
from typing import Callable, Iterator

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, stop_when_event_set, wait_exponential

from bot.claims import MailClaims
from bot.mailboxes import IncomingMail, MailboxError
from bot.mailboxes.auth import TokenProvider, msal_token_provider, tls_context
from config.settings import MailboxSettings

log = logging.getLogger(__name__)

MOVE_BATCH = 25  # mails done, moved out together
DROPPED = (OSError, imaplib.IMAP4.abort, EOFError)  # socket gone, TLS gone, server said BYE


WIRE_LOG = "imapclient.imaplib"  # imapclient's logger for imaplib's own trace of the conversation


def quiet(client: IMAPClient) -> IMAPClient:
    """imapclient turns imaplib's trace fully on (`debug = 5`) and sends it to its logger at DEBUG, and
    imaplib formats each trace line before the logger can drop it: the `repr` of every FETCH literal,
    twice, which is 3 ms of CPU for a mail of 200 kB (15 times the download itself).  The trace stays
    on when that logger is enabled for DEBUG (an operator debugging the conversation), else it is off."""
    if not logging.getLogger(WIRE_LOG).isEnabledFor(logging.DEBUG):
        client._imap.debug = 0  # imaplib.IMAP4's trace level
    return client


class ImapError(MailboxError):
    """The mailbox cannot be used (unreachable, login refused, folder missing); names server, user, folder."""


class ImapMailbox:
    def __init__(
        self,
        settings: MailboxSettings,
        known: Callable[[str], bool] | None = None,
        stop: threading.Event | None = None,
        token: TokenProvider | None = None,
        backoff_seconds: float = 1.0,
        claims: MailClaims | None = None,
    ) -> None:
        self.settings = settings
        self.known = known or (lambda key: False)
        self.claims = claims
        self.held_elsewhere = 0  # mails of the last fetch another worker had in hand
        self.stop = stop or threading.Event()
        self.token = token or (msal_token_provider(settings.oauth) if settings.auth == "xoauth2" else None)
        self.client: IMAPClient | None = None
        self.uidvalidity = 0
        self._done_name: str | None = None
        self._moving: list[tuple[int, int]] = []  # (UIDVALIDITY, UID) of the mails done, not yet moved
        self._retrying = dict(
            retry=retry_if_exception_type(DROPPED), reraise=True, sleep=self.stop.wait,
            wait=wait_exponential(multiplier=backoff_seconds, max=300),
            stop=stop_after_attempt(settings.reconnect_attempts) | stop_when_event_set(self.stop),
            before_sleep=lambda state: log.warning("IMAP %s: forbindelsen tabt (%s); forsøger igen",
                                                   self.where, state.outcome.exception()),
        )

    @property
    def where(self) -> str:
        s = self.settings
        return f"{s.username}@{s.host}:{s.port}/{s.folder}"

    # -- connection -----------------------------------------------------------------------------
    def _connect(self) -> IMAPClient:
        s = self.settings
        context = tls_context(s.ca_file)
        client = quiet(IMAPClient(s.host, port=s.port, ssl=s.tls == "ssl", ssl_context=context, timeout=s.timeout))
        try:
            if s.tls == "starttls":
                client.starttls(context)
            if s.auth == "xoauth2":
                assert self.token is not None
                client.oauth2_login(s.username, self.token())
            else:
                client.login(s.username, s.password)
        except LoginError as exc:
            client.shutdown()
            raise ImapError(f"IMAP {self.where}: login afvist ({exc})") from None
        client.normalise_times = False  # INTERNALDATE with its offset
        info = client.select_folder(s.folder)
        self.uidvalidity = int(info[b"UIDVALIDITY"])
        return client

    def _ensure(self) -> IMAPClient:
        if self.client is None:
            self.client = self._connect()
        return self.client

    def _drop(self) -> None:
        if self.client is not None:
            try:
                self.client.shutdown()
            except Exception:  # noqa: BLE001 - it is already broken
                pass
        self.client = None
        self._done_name = None

    def _with_reconnect(self, action: Callable[[IMAPClient], object]) -> object:
        try:
            for attempt in Retrying(**self._retrying):
                with attempt:
                    try:
                        return action(self._ensure())
                    except DROPPED:
                        self._drop()
                        raise
        except DROPPED as exc:
            raise ImapError(f"IMAP {self.where} kan ikke nås: {type(exc).__name__}: {exc}") from exc
        return None  # stop was set

    def key(self, uid: int) -> str:
        return f"imap:{self.uidvalidity}:{uid}"

    # -- the Mailbox protocol ---------------------------------------------------------------------
    def fetch(self) -> Iterator[IncomingMail]:
        """Everything in the folder now, oldest UID first, downloaded `batch_size` at a time (with
        claims: as many as the service holds ahead, so the rest is left for the other workers).  Stops
        before the next mail once `stop` is set (the mail in hand is finished by the caller).  The mails
        done meanwhile are moved out before it ends."""
        try:
            yield from self._fetch()
        finally:
            self.flush()

    def _fetch(self) -> Iterator[IncomingMail]:
        handled: set[str] = set()
        self.held_elsewhere = 0
        step = min(self.settings.batch_size, (self.claims.batch if self.claims else None) or self.settings.batch_size)
        while not self.stop.is_set():
            uids = self._with_reconnect(lambda c: sorted(c.search(["UNDELETED"])))
            todo = [u for u in (uids or []) if self.key(u) not in handled]
            if not todo:
                return
            try:
                for start in range(0, len(todo), step):
                    fresh = self._claimed(todo[start:start + step], handled)
                    data = self._download(fresh) if fresh else {}
                    for index, uid in enumerate(fresh):
                        if self.stop.is_set():
                            for left in fresh[index:]:
                                self._release(self.key(left))
                            return
                        item = data.get(uid)
                        handled.add(self.key(uid))
                        if item is None or item.get(b"BODY[]") is None:  # expunged meanwhile by someone else (Dovecot: BODY[] NIL)
                            self._release(self.key(uid))
                            continue
                        when = item[b"INTERNALDATE"]
                        yield IncomingMail(key=self.key(uid), raw=bytes(item[b"BODY[]"]),
                                           internal_date=when.astimezone(dt.timezone.utc) if when else None)
                return
            except DROPPED as exc:
                log.warning("IMAP %s: forbindelsen tabt midt i en portion (%s); genoptager", self.where, exc)
                self._drop()  # the next round searches again; handled keys are not offered twice

    def _claimed(self, batch: list[int], handled: set[str]) -> list[int]:
        """The UIDs of `batch` to download: claimed by this worker (another worker's are skipped), not
        processed before (those are just moved: killed before moving them)."""
        fresh = []
        for uid in batch:
            key = self.key(uid)
            if self.claims is not None and not self.claims.take(key):
                handled.add(key)
                self.held_elsewhere += 1
            elif self.known(key):
                handled.add(key)
                self._moving.append((self.uidvalidity, uid))
            else:
                fresh.append(uid)
        return fresh

    def _download(self, uids: list[int]) -> dict:
        """INTERNALDATE and the raw bytes of `uids`; a UID expunged meanwhile by another worker is left
        out (the server answers NO [EXPUNGEISSUED]: a NOOP brings its expunges, the rest is fetched)."""
        def download(client: IMAPClient) -> dict:
            try:
                return client.fetch(uids, ["INTERNALDATE", "BODY.PEEK[]"])
            except IMAPClientError as exc:
                if isinstance(exc, imaplib.IMAP4.abort) or not self._gone(client, uids, exc):
                    raise
                left = [u for u in uids if self._exists(client, u)]
                return client.fetch(left, ["INTERNALDATE", "BODY.PEEK[]"]) if left else {}

        return self._with_reconnect(download) or {}  # type: ignore[return-value]

    def _gone(self, client: IMAPClient, uids: list[int], exc: Exception) -> bool:
        """The command failed because (some of) the mails are no longer there."""
        if any(word in str(exc).upper() for word in ("EXPUNGEISSUED", "NONEXISTENT", "NO LONGER EXIST")):
            return True
        return not all(self._exists(client, u) for u in uids)

    @staticmethod
    def _exists(client: IMAPClient, uid: int) -> bool:
        client.noop()  # the server reports what other sessions expunged
        return uid in client.search(["UID", str(uid)])

    def done(self, key: str) -> None:
        """Move a stored and processed mail to the done folder, with the next few (`MOVE_BATCH` in one
        MOVE: a round trip a mail was a tenth of a backlog's time), and at the latest when `fetch` ends,
        before IDLE and on `close`.  Moving later loses nothing: a mail offered again is known by its
        hash and only moved.  A key from before a UIDVALIDITY change is left alone: the next pass sees
        the mail under its new key, knows its hash and moves it."""
        _, validity, uid = key.split(":")
        self._moving.append((int(validity), int(uid)))
        if len(self._moving) >= MOVE_BATCH:
            self.flush()

    def flush(self) -> None:
        """Move the mails done so far out, then release their claims."""
        moving, self._moving = self._moving, []
        if moving:
            self._move(moving)

    def _move(self, moving: list[tuple[int, int]]) -> None:
        """Move mails out, (UIDVALIDITY, UID) each, then release their claims.  Only those of the
        UIDVALIDITY the connection has when it moves them (a reconnect may bring a new one: old UIDs
        then name other mails); one that is gone already (moved by another worker) is not an error."""
        def move(client: IMAPClient) -> None:
            uids = [uid for validity, uid in moving if validity == self.uidvalidity]
            if not uids:
                return
            folder = self._done_folder(client)
            try:
                self._move_now(client, uids, folder)
            except IMAPClientError as exc:
                if isinstance(exc, imaplib.IMAP4.abort) or not self._gone(client, uids, exc):
                    raise
                log.info("IMAP %s: mail %s er allerede flyttet (af en anden proces)", self.where, ", ".join(map(str, uids)))
                rest = [uid for uid in uids if self._exists(client, uid)]
                if len(rest) < len(uids) and rest:  # the others of the batch: moved on their own
                    self._move_now(client, rest, folder)

        try:
            self._with_reconnect(move)
        finally:
            for validity, uid in moving:
                self._release(f"imap:{validity}:{uid}")

    def _move_now(self, client: IMAPClient, uids: list[int], folder: str) -> None:
        if self.settings.use_move and client.has_capability("MOVE"):
            client.move(uids, folder)
        else:  # a crash between the two leaves a copy in both folders: harmless, the hash is known
            client.copy(uids, folder)
            client.delete_messages(uids)
            client.uid_expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()

    def _release(self, key: str) -> None:
        if self.claims is not None:
            self.claims.release(key)

    def _done_folder(self, client: IMAPClient) -> str:
        """The configured done folder ("Ansøgninger/Behandlet") in the server's hierarchy delimiter,
        created (and subscribed, so Outlook shows it) when missing; imapclient does modified UTF-7."""
        if self._done_name is None:
            personal = client.namespace().personal
            delimiter = (personal[0][1] if personal and personal[0][1] else "/")
            delimiter = delimiter.decode() if isinstance(delimiter, bytes) else delimiter
            name = self.settings.done_folder.replace("/", delimiter)
            if not client.folder_exists(name):
                client.create_folder(name)
                client.subscribe_folder(name)
            self._done_name = name
        return self._done_name

    def can_idle(self) -> bool:
        return self.settings.idle and bool(self._with_reconnect(lambda c: c.has_capability("IDLE")))

    def wait(self, timeout: float) -> bool:
        """IDLE until the server reports new mail (True), `timeout` passes or `stop` is set (False)."""
        self.flush()
        client = self._ensure()
        client.idle()
        log.info("IMAP %s: IDLE, venter på ny post", self.where)
        try:
            deadline = time.monotonic() + timeout
            while not self.stop.is_set() and (left := deadline - time.monotonic()) > 0:
                for response in client.idle_check(timeout=min(1.0, left)):
                    if len(response) > 1 and response[1] in (b"EXISTS", b"RECENT"):
                        log.info("IMAP %s: ny post, henter", self.where)
                        return True
            return False
        finally:
            client.idle_done()

    def close(self) -> None:
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - closing: a mail not moved is moved by the next pass
            log.warning("IMAP %s: behandlede mails blev ikke flyttet ved lukning; flyttes ved næste kørsel", self.where, exc_info=True)
        if self.client is not None:
            try:
                self.client.logout()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
        self._drop()
        if self.claims is not None:
            self.claims.close()
