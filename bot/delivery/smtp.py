"""SMTP delivery (smtplib): implicit TLS, STARTTLS or plain (loopback only), LOGIN/PLAIN or XOAUTH2.

One connection is opened lazily and reused for a flush.  `send` hands the message over in three SMTP
steps (MAIL, RCPT, DATA) and calls `on_data` just before DATA: until then nothing can have reached the
recipient, so the outbox can retry a crash before that point without any risk of a double reply."""
from __future__ import annotations

import logging
import re
import smtplib
from typing import Callable

from bot.delivery import DeliveryError, DeliveryUnavailable
from bot.mailboxes.auth import AuthError, TokenProvider, msal_token_provider, tls_context, xoauth2_string
from config.settings import DeliverySettings

log = logging.getLogger(__name__)


class SmtpDelivery:
    def __init__(self, settings: DeliverySettings, token: TokenProvider | None = None) -> None:
        self.settings = settings
        self.token = token or (msal_token_provider(settings.oauth) if settings.auth == "xoauth2" else None)
        self.smtp: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"SMTP {self.settings.host}:{self.settings.port}"

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = tls_context(s.ca_file) if s.tls != "none" else None
        if s.tls == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.tls == "starttls":
                smtp.starttls(context=context)
        smtp.ehlo_or_helo_if_needed()
        if s.auth == "xoauth2":
            assert self.token is not None
            blob = xoauth2_string(s.username, self.token())
            smtp.auth("XOAUTH2", lambda challenge=None: blob)
        elif s.username:
            smtp.login(s.username, s.password)
        return smtp

    def send(self, raw: bytes, sender: str, recipients: list[str], on_data: Callable[[], None] | None = None) -> None:
        try:
            if self.smtp is None:
                self.smtp = self._connect()
            smtp = self.smtp
            code, text = smtp.mail(sender)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, text, sender)
            for rcpt in recipients:
                code, text = smtp.rcpt(rcpt)
                if code not in (250, 251):
                    raise smtplib.SMTPRecipientsRefused({rcpt: (code, text)})
            if on_data:
                try:
                    on_data()
                except Exception:  # the outbox withdrew the mail (bot/outbox.py ClaimLost): nothing handed over
                    self._reset()
                    raise
            code, text = smtp.data(re.sub(rb"\r?\n", b"\r\n", raw))  # smtplib sends bytes as they are: SMTP wants CRLF
            if code != 250:
                raise smtplib.SMTPDataError(code, text)
        except smtplib.SMTPRecipientsRefused as exc:
            self._reset()
            code, text = next(iter(exc.recipients.values()))
            raise DeliveryError(f"{self.where} afviste modtageren ({code} {_text(text)})", permanent=500 <= code < 600) from None
        except smtplib.SMTPAuthenticationError as exc:
            self._drop()
            raise DeliveryUnavailable(f"{self.where}: login afvist ({exc.smtp_code} {_text(exc.smtp_error)})") from None
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise DeliveryError(f"{self.where} svarede {exc.smtp_code} {_text(exc.smtp_error)}",
                                permanent=500 <= exc.smtp_code < 600) from None
        except AuthError as exc:
            raise DeliveryUnavailable(f"{self.where}: {exc}") from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise DeliveryUnavailable(f"{self.where} kan ikke nås: {type(exc).__name__}: {exc}") from None

    def _reset(self) -> None:
        """After a refused mail the session goes on with the next one (RSET), or is reopened."""
        try:
            if self.smtp is not None:
                self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            except OSError:
                pass
        self.smtp = None

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
        self._drop()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
