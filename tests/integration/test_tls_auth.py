"""Encryption and login against the real servers: IMAP over implicit TLS and STARTTLS (Dovecot), SMTP
over implicit TLS and STARTTLS with LOGIN/PLAIN and XOAUTH2 (aiosmtpd), each checked by a private CA."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.delivery import DeliveryUnavailable
from bot.delivery.smtp import SmtpDelivery
from bot.runtime import Runtime
from bot.mailboxes.auth import xoauth2_string
from bot.service import run_once
from config.settings import DeliverySettings, load_settings
from tests.integration.conftest import imap_config
from tests.integration.test_imap_smtp import DONE, FORM, MINUTES
from tests.mails import at, mail
from tests.servers import PASSWORD, TOKEN, USER, start_dovecot, start_smtp

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("tls", ["ssl", "starttls"])
def test_tls_both_ways_with_password_login(tmp_path, tls):
    dovecot = start_dovecot(tls=True)
    smtp = start_smtp(tls=tls, auth=True, cert=(dovecot.cert, dovecot.cert.parent / "key.pem"))
    try:
        config = imap_config(
            tmp_path, dovecot, smtp, imap_tls=tls, imap_port=dovecot.ssl_port if tls == "ssl" else dovecot.port, smtp_tls=tls,
            mailbox_extra=f'ca_file = "{dovecot.cert}"',
            delivery_extra=f'ca_file = "{dovecot.cert}"\nusername = "{USER}"\npassword = "{PASSWORD}"')
        dovecot.append(mail(attachments=[FORM, MINUTES]), at("2025-03-20 10:00:00"))
        summary = run_once(Runtime.open(load_settings(config)), dt.datetime.fromisoformat("2025-03-20T12:00:00+01:00"))
        assert summary.replies_sent == 1, summary.errors
        (reply,) = smtp.sink.wait_for(1)
        assert reply.message["X-Taskforce-Reply"] == "receipt" and smtp.sink.logins[0][1] == USER
        assert len(dovecot.messages(DONE)) == 1
        assert "TLS" in (dovecot.root / "dovecot.log").read_text()
    finally:
        smtp.stop()
        dovecot.stop()


def test_untrusted_certificate_is_refused_with_a_clear_error(tmp_path):
    dovecot = start_dovecot(tls=True)
    smtp = start_smtp(tls="ssl", auth=True, cert=(dovecot.cert, dovecot.cert.parent / "key.pem"))
    try:
        delivery = SmtpDelivery(DeliverySettings(kind="smtp", host="127.0.0.1", port=smtp.port, tls="ssl", username=USER,
                                                 password=PASSWORD))  # no ca_file: the self-signed cert is not trusted
        with pytest.raises(DeliveryUnavailable, match=f"127.0.0.1:{smtp.port} kan ikke nås: SSLCertVerificationError"):
            delivery.send(b"Subject: x\n\nx\n", "taskforce@sbst.dk", ["a@b.dk"])
        assert smtp.sink.received == []
    finally:
        smtp.stop()
        dovecot.stop()


def test_smtp_xoauth2(tmp_path):
    dovecot = start_dovecot(tls=True)
    cert = (dovecot.cert, dovecot.cert.parent / "key.pem")
    smtp = start_smtp(tls="starttls", cert=cert, xoauth2=True)
    try:
        settings = DeliverySettings(kind="smtp", host="127.0.0.1", port=smtp.port, tls="starttls", username=USER,
                                    auth="xoauth2", ca_file=dovecot.cert)
        SmtpDelivery(settings, token=lambda: TOKEN).send(b"Subject: x\n\nx\n", "taskforce@sbst.dk", ["a@b.dk"])
        assert [r.recipients for r in smtp.sink.wait_for(1)] == [["a@b.dk"]]
        assert smtp.sink.logins == [("XOAUTH2", USER)]
        with pytest.raises(DeliveryUnavailable, match="login afvist"):
            SmtpDelivery(settings, token=lambda: "expired").send(b"Subject: x\n\nx\n", "taskforce@sbst.dk", ["a@b.dk"])
        assert len(smtp.sink.received) == 1
    finally:
        smtp.stop()
        dovecot.stop()


def test_xoauth2_string():
    assert xoauth2_string("taskforce@sbst.dk", "tok") == "user=taskforce@sbst.dk\x01auth=Bearer tok\x01\x01"


def test_imap_xoauth2(tmp_path):
    from bot.mailboxes.imap import ImapError, ImapMailbox
    from config.settings import MailboxSettings
    from tests.servers import TokenInfo

    info = TokenInfo()
    dovecot = start_dovecot(tls=True, tokeninfo_url=info.url)
    try:
        dovecot.append(mail(message_id="<x@slagelse.dk>"), at("2025-03-20 10:00:00"))
        settings = MailboxSettings(kind="imap", host="127.0.0.1", port=dovecot.port, tls="starttls", username=USER,
                                   auth="xoauth2", ca_file=dovecot.cert)
        box = ImapMailbox(settings, token=lambda: TOKEN)
        try:
            (incoming,) = list(box.fetch())
            assert b"<x@slagelse.dk>" in incoming.raw
        finally:
            box.close()
        with pytest.raises(ImapError, match=f"IMAP {USER}@127.0.0.1:{dovecot.port}/INBOX: login afvist"):
            ImapMailbox(settings, token=lambda: "expired")._connect()
        assert "method=XOAUTH2" in (dovecot.root / "dovecot.log").read_text()
    finally:
        dovecot.stop()
        info.stop()
