"""Shared fixtures: a service installation in a temp folder (settings file, Maildirs, SQLite) and a
way to run the real CLI against it."""
from __future__ import annotations

import json
import re
import mailbox
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = """
[[rounds]]
id = "boern-unge-2025"
title = "Task Force børn og unge i udsatte positioner 2025"
programme = "boern-unge"
address = "taskforce@sbst.dk"
reference_prefix = "TFB-2025"
opens = "2025-01-01T00:00"
deadline = "2025-03-25T12:00"

[[rounds]]
id = "handicap"
title = "Taskforcen på handicapområdet"
programme = "handicap"
address = "taskforcehandicap@sbst.dk"
reference_prefix = "TFH"
opens = "2024-01-01T00:00"
"""


@dataclass
class Installation:
    """One configured service in a temp folder, driven through the real `taskforce-intake` command."""

    root: Path
    config: Path

    @property
    def inbox(self) -> mailbox.Maildir:
        return mailbox.Maildir(str(self.root / "inbox"), create=True)

    @property
    def outbox(self) -> list[bytes]:
        box = mailbox.Maildir(str(self.root / "outbox"), create=True)
        return [box.get_bytes(k) for k in sorted(box.keys(), key=lambda k: os.stat(box._path + "/" + box._lookup(k)).st_mtime_ns)]

    def deliver(self, raw: bytes) -> None:
        self.inbox.add(raw)

    def cli(self, *args: str, now: str | None = None, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess:
        env = {**os.environ, "TASKFORCE_INTAKE_CONFIG": str(self.config)}
        env.pop("TASKFORCE_INTAKE_NOW", None)
        if now:
            env["TASKFORCE_INTAKE_NOW"] = now
        result = subprocess.run([sys.executable, "-m", "taskforce_intake", *args], cwd=ROOT, env=env, capture_output=True, text=True, input=stdin)
        if check and result.returncode != 0:
            raise AssertionError(f"taskforce-intake {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def queue(self) -> list[dict]:
        return json.loads(self.cli("queue", "--json").stdout)


def write_config(root: Path, extra: str = "", mailbox_extra: str = 'answer_from = "2025-01-01T00:00"') -> Path:
    config = root / "intake.toml"
    config.write_text(
        f'timezone = "Europe/Copenhagen"\n{extra}\n'
        f'[storage]\nurl = "sqlite:///{root}/intake.db"\nfiles = "{root}/files"\n\n'
        f'[mailbox]\nkind = "maildir"\npath = "{root}/inbox"\n{mailbox_extra}\n\n'
        f'[delivery]\nkind = "maildir"\npath = "{root}/outbox"\n' + ROUNDS,
        encoding="utf-8",
    )
    return config


@pytest.fixture(autouse=True)
def _reader_processes_stop():
    """The reader processes a test's runtimes started are stopped after it (a Runtime a test drops is
    collected only at some later garbage collection, and its forked workers would live on till then)."""
    yield
    from bot.readers import Readers

    for readers in list(Readers.live):
        readers.close()


@pytest.fixture
def sqlite_installation(tmp_path: Path) -> Installation:
    return Installation(tmp_path, write_config(tmp_path))


@pytest.fixture
def installation(sqlite_installation: Installation) -> Installation:
    """SQLite, the embedded default; a module runs on both databases by overriding this with
    `each_database` (see `on_each_database`)."""
    return sqlite_installation


@pytest.fixture(scope="session")
def postgres_server():
    from tests.pg import cluster

    with cluster() as url:
        yield url


@pytest.fixture
def pg_installation(tmp_path: Path, postgres_server: str, request) -> Installation:
    """An installation whose database is a fresh PostgreSQL database."""
    from tests.pg import create_database

    import hashlib

    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:40]
    url = create_database(postgres_server, f"t_{name}_{hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:8]}")  # unique per test
    config = write_config(tmp_path)
    text = config.read_text(encoding="utf-8").replace(f'url = "sqlite:///{tmp_path}/intake.db"', f'url = "{url}"')
    config.write_text(text, encoding="utf-8")
    return Installation(tmp_path, config)


@pytest.fixture(params=["sqlite", "postgresql"])
def each_database(request) -> Installation:
    """The test runs twice: on an SQLite installation and on a PostgreSQL one."""
    return request.getfixturevalue("sqlite_installation" if request.param == "sqlite" else "pg_installation")


@pytest.fixture
def each_runtime(each_database: Installation):
    """The service's runtime over `each_database`, closed (its reader processes stopped) afterwards."""
    from bot.runtime import Runtime
    from config.settings import load_settings

    runtime = Runtime.open(load_settings(each_database.config))
    yield runtime
    runtime.close()


def on_each_database(each_database: Installation) -> Installation:
    """`installation = pytest.fixture(on_each_database)` in a module runs its tests on SQLite and on
    PostgreSQL (the pipeline suites: issue 12)."""
    return each_database
