"""Fixtures that start real mail servers (tests/servers.py) and an installation configured for them."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROUNDS, Installation
from tests.servers import PASSWORD, USER, Dovecot, Smtp, dovecot_available, start_dovecot, start_smtp


def pytest_configure(config):
    # aiosmtpd warns about AUTH without STARTTLS also when the connection is implicit TLS
    config.addinivalue_line("filterwarnings", "ignore:Requiring AUTH while not requiring TLS:UserWarning")


@pytest.fixture
def dovecot():
    if not dovecot_available():
        pytest.fail("dovecot is not installed: `make test` installs it (scripts/packages/test.txt)")
    server = start_dovecot()
    yield server
    server.stop()


@pytest.fixture
def smtp():
    server = start_smtp()
    yield server
    server.stop()


def imap_config(root: Path, dovecot: Dovecot, smtp: Smtp, mailbox_extra: str = "", delivery_extra: str = "",
                extra: str = "", imap_tls: str = "none", imap_port: int | None = None, smtp_tls: str = "none") -> Path:
    config = root / "intake.toml"
    config.write_text(
        f'timezone = "Europe/Copenhagen"\n{extra}\n'
        f'[storage]\nurl = "sqlite:///{root}/intake.db"\nfiles = "{root}/files"\n\n'
        f'[mailbox]\nkind = "imap"\nhost = "127.0.0.1"\nport = {imap_port or dovecot.port}\ntls = "{imap_tls}"\n'
        f'username = "{USER}"\npassword = "{PASSWORD}"\ndone_folder = "Ansøgninger/Behandlet"\n'
        f'answer_from = "2025-01-01T00:00"\n{mailbox_extra}\n\n'
        f'[delivery]\nkind = "smtp"\nhost = "127.0.0.1"\nport = {smtp.port}\ntls = "{smtp_tls}"\n{delivery_extra}\n' + ROUNDS,
        encoding="utf-8",
    )
    return config


@pytest.fixture
def online(tmp_path, dovecot, smtp) -> Installation:
    """An installation reading Dovecot over IMAP and answering through aiosmtpd."""
    return Installation(tmp_path, imap_config(tmp_path, dovecot, smtp))
