"""Schema migrations (storage/schema.py, storage/migrations), on SQLite and PostgreSQL: an empty database
is migrated to the models' schema; a database made by taskforce-intake 0.1.0, before migrations (its
DDL frozen in tests/fixtures/, never built from the live models), upgrades with its data; the service
refuses a database made before migrations, an older and a newer one, naming the command to run; a
later migration applies (a table copied on SQLite, foreign keys kept) and `db revision` writes one."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel
from typer.testing import CliRunner

from config.settings import load_settings
from storage import models  # noqa: F401  (the tables)
from storage import schema
from tests.conftest import ROOT, Installation
from tests.mails import mail

FIXTURES = ROOT / "tests" / "fixtures"
T0 = dt.datetime(2025, 3, 20, 9, 0, tzinfo=dt.timezone.utc)
# nullable columns added after 0.1.0's tables were first made: an older installation lacks them
OLDER_INSTALL_LACKS = (("message", "auth_verdict"), ("message", "auth_flags"), ("reply", "next_attempt_at"), ("reply", "claimed_at"),
                       ("user", "role"), ("attachment", "problem_detail"))
UPGRADE_HINT = "taskforce-intake db upgrade"
LATER = "9000"  # the extra migration of `later_migration`: a number no real one will have soon


def head() -> str:
    """This program's newest revision (migrations are being added: never spelled out here)."""
    return schema.current(sa.create_engine("sqlite://")).head


def engine_of(inst: Installation) -> sa.Engine:
    from storage.db import make_engine

    return make_engine(load_settings(inst.config).database_url)


def differences_from_models(engine: sa.Engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)


def build_release_0_1_0(engine: sa.Engine, lacking: tuple[tuple[str, str], ...] = ()) -> None:
    """The tables as 0.1.0's start-up made them (the frozen DDL), less the `lacking` columns."""
    ddl = (FIXTURES / f"schema-0.1.0-{engine.dialect.name}.sql").read_text(encoding="utf-8")
    with engine.begin() as conn:
        for statement in ddl.split(";\n"):
            lines = [line for line in statement.splitlines() if line.strip() and not line.startswith("--")]
            if not lines:
                continue
            table = lines[0].removeprefix("CREATE TABLE ").split(" ")[0].strip('"') if lines[0].startswith("CREATE TABLE") else None
            gone = {column for t, column in lacking if t == table}
            conn.exec_driver_sql("\n".join(line for line in lines if line.strip().split(" ")[0].strip('"') not in gone))
    have = {(t, c["name"]) for t in sa.inspect(engine).get_table_names() for c in sa.inspect(engine).get_columns(t)}
    assert have and not have & set(lacking)


def fill(engine: sa.Engine, lacking: tuple[tuple[str, str], ...] = ()) -> dict[str, list[dict]]:
    """One of everything 0.1.0 stored, written through the database's own (reflected) tables, so it
    does not depend on today's models.  Returns the rows, to compare after the upgrade."""
    message = dict(id=1, sha256="a" * 64, mailbox_key="cur/1", message_id="<m1@slagelse.dk>", in_reply_to="", references="",
                   received_at=T0, received_source="received-header", sender="meha@slagelse.dk", recipients="taskforce@sbst.dk",
                   subject="Ansøgning om Task Force-forløb", kind="application", automatic_reason="", round_id="boern-unge-2025",
                   application_id=1, state="processed", error="", attempts=None, next_attempt_at=None, answered="auto", late="",
                   stored_at=T0, body="Hermed vores ansøgning", links="[]", auth_verdict="pass", auth_flags="[]")
    rows: dict[str, list[dict]] = {
        "servicestate": [dict(key="first_start", value="2025-01-01T00:00:00+00:00"), dict(key="schema_version", value="1")],
        "application": [dict(id=1, reference="TFB-2025-0001", round_id="boern-unge-2025", sequence=1, kind="application",
                             municipality="Slagelse Kommune", cvr="29188505", sender_domain="slagelse.dk", status="incomplete",
                             closed=False, closed_at=None, received_at=T0, updated_at=T0)],
        "message": [message],
        "attachment": [dict(id=1, message_id=1, filename="skema.docx", content_type="application/vnd.openxmlformats-officedocument."
                            "wordprocessingml.document", sha256="b" * 64, size=1234, role="application_form", problem="",
                            problem_detail=None)],
        "document": [dict(id=1, sha256="b" * 64, reader_version="7", filename="skema.docx", role="application_form", problem="",
                          format="docx", parts="", reading="{}", read_ms=12, created_at=T0)],
        "assessment": [dict(id=1, application_id=1, message_id=1, complete=False, status="incomplete", reply="missing_items",
                            checks_json='{"deadline": {"status": "ok", "detail": "modtaget før fristen"}}', created_at=T0)],
        "reply": [dict(id=1, dedupe_key="missing_items:1", application_id=1, answers_message_id=1, kind="missing_items",
                       template="missing_items", message_id="<r1@sbst.dk>", to="meha@slagelse.dk", sender="taskforce@sbst.dk",
                       subject="[TFB-2025-0001] Mangler", raw=b"Subject: x\r\n\r\nx\r\n", state="sent", attempts=1, error="",
                       created_at=T0, sent_at=T0, next_attempt_at=None, claimed_at=None)],
        "user": [dict(id=1, username="lena", password_hash="$argon2id$v=19$m=65536,t=3,p=4$x$y", active=True, created_at=T0,
                      role="laeser")],
        "note": [dict(id=1, application_id=1, text="Ringet til kommunen", by="lena", created_at=T0)],
        "auditevent": [dict(id=1, application_id=1, actor="lena", action="note", detail="", created_at=T0)],
    }
    for table, column in lacking:
        for row in rows[table]:
            row.pop(column)
    tables = sa.MetaData()
    tables.reflect(engine)
    with engine.begin() as conn:
        for name, values in rows.items():
            conn.execute(tables.tables[name].insert(), values)
        if engine.dialect.name == "postgresql":  # the ids were given: move the sequences past them, as 0.1.0's own inserts had
            for name in rows:
                if "id" in tables.tables[name].c:
                    conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), 1)"))
    return rows


def stored(engine: sa.Engine, rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The same tables read back, only the columns `rows` had, timestamps in UTC."""
    tables = sa.MetaData()
    tables.reflect(engine)
    found: dict[str, list[dict]] = {}
    with engine.connect() as conn:
        for name, expected in rows.items():
            table = tables.tables[name]
            key = table.c.id if "id" in table.c else table.c.key
            found[name] = [{c: _utc(row[c]) for c in expected[0]} for row in conn.execute(sa.select(table).order_by(key)).mappings()]
    return found


def _utc(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)
    return value


def serve(inst: Installation) -> subprocess.CompletedProcess:
    """`serve` on a database it must refuse: it exits at once (a timeout, not a hang, if it did not)."""
    env = {**os.environ, "TASKFORCE_INTAKE_CONFIG": str(inst.config)}
    return subprocess.run([sys.executable, "-m", "taskforce_intake", "serve", "--port", "0"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def refused(result: subprocess.CompletedProcess, words: str) -> bool:
    """Exit 1 and one Danish line (no traceback) holding `words`."""
    return result.returncode == 1 and words in result.stderr and "Traceback" not in result.stderr and \
        len(result.stderr.strip().splitlines()) == 1


def test_an_empty_database_is_migrated_to_the_models_schema(each_database):
    inst = each_database
    engine = engine_of(inst)
    try:
        assert "ingen tabeller" in inst.cli("db", "current").stdout
        assert f"opgraderet fra tom database til version {head()}" in inst.cli("db", "upgrade").stdout
        assert differences_from_models(engine) == []
        assert schema.current(engine).state is schema.SchemaState.HEAD
        assert "den nyeste; databasen er klar" in inst.cli("db", "current").stdout
        assert "allerede i version" in inst.cli("db", "upgrade").stdout
    finally:
        engine.dispose()


def test_the_first_start_creates_the_schema_without_a_command(each_database):
    inst = each_database
    inst.deliver(mail())
    inst.cli("run", "--once", now="2025-03-21T12:00:00+01:00")
    engine = engine_of(inst)
    try:
        assert schema.current(engine).state is schema.SchemaState.HEAD
        assert differences_from_models(engine) == []
    finally:
        engine.dispose()
    assert [q["reference"] for q in inst.queue()] == ["TFB-2025-0001"]


@pytest.mark.parametrize("lacking", [(), OLDER_INSTALL_LACKS], ids=["0.1.0", "older"])
def test_old_database_keeps_its_data(each_database, lacking):  # short: tests/conftest.py names the PostgreSQL database by it
    """A database made before migrations is refused until `db upgrade`, which keeps every row."""
    inst = each_database
    engine = engine_of(inst)
    try:
        build_release_0_1_0(engine, lacking)
        rows = fill(engine, lacking)
        inst.deliver(mail(sender="kalu@odense.dk", received="2025-03-21 10:00:00"))
        assert refused(inst.cli("run", "--once", now="2025-03-21T12:00:00+01:00", check=False), UPGRADE_HINT)
        assert refused(serve(inst), UPGRADE_HINT)
        assert refused(inst.cli("queue", check=False), "før databasemigreringerne")
        assert "før databasemigreringerne; kør `taskforce-intake db upgrade`" in inst.cli("db", "current").stdout
        assert stored(engine, rows) == rows  # the refusals changed nothing

        assert f"opgraderet fra uden version (før migreringerne) til version {head()}" in inst.cli("db", "upgrade").stdout
        assert schema.current(engine).state is schema.SchemaState.HEAD
        assert differences_from_models(engine) == []
        assert stored(engine, rows) == rows
        with engine.connect() as conn:
            added = [conn.execute(sa.text(f'SELECT count(*) FROM "{t}" WHERE "{c}" IS NULL')).scalar() for t, c in lacking]
        assert added == [len(rows[t]) for t, _ in lacking]  # the columns are back, empty for the old rows
    finally:
        engine.dispose()
    old = inst.queue()
    assert [(q["reference"], q["municipality"], q["status"]) for q in old] == [("TFB-2025-0001", "Slagelse Kommune", "incomplete")]
    inst.cli("run", "--once", now="2025-03-21T12:00:00+01:00")  # the service starts and writes on the upgraded database
    assert [q["reference"] for q in inst.queue()] == ["TFB-2025-0001", "TFB-2025-0002"]
    inst.cli("user", "role", "lena", "admin")


def test_a_database_that_is_not_the_baseline_is_not_stamped(each_database):
    """A NOT NULL column missing is not what 0.1.0's start-up could top up: `db upgrade` names it and changes nothing."""
    inst = each_database
    engine = engine_of(inst)
    try:
        build_release_0_1_0(engine, (("reply", "template"), ("message", "auth_verdict")))
        upgrade = inst.cli("db", "upgrade", check=False)
        assert refused(upgrade, "reply.template") and "afviger fra dens skema" in upgrade.stderr
        assert schema.current(engine).state is schema.SchemaState.PRE_ALEMBIC
        # one transaction (on SQLite too: BEGIN IMMEDIATE holds the DDL): the column it did add is gone again
        assert "auth_verdict" not in {c["name"] for c in sa.inspect(engine).get_columns("message")}
    finally:
        engine.dispose()


def test_a_database_from_a_newer_program_is_refused(each_database):
    inst = each_database
    inst.cli("db", "upgrade")
    engine = engine_of(inst)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    newer = "er lavet af en nyere taskforce-intake (version 9999"
    assert refused(inst.cli("run", "--once", check=False), newer)
    assert refused(serve(inst), newer)
    assert refused(inst.cli("db", "upgrade", check=False), newer)
    assert refused(inst.cli("user", "add", "ny", stdin="et-langt-kodeord-2025\n", check=False), newer)
    assert "version 9999, som dette program ikke kender" in inst.cli("db", "current").stdout


@pytest.fixture
def later_migration(tmp_path, monkeypatch):
    """This program's migrations plus one more, as a colleague would add it: `application.priority`,
    on SQLite by copying the table (batch mode), which every other table's foreign keys point at.
    Yields (the head it follows, its revision)."""
    follows = head()
    copy = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "versions" / f"{LATER}_application_priority.py").write_text(f'''"""application.priority"""
import sqlalchemy as sa
from alembic import op

revision = "{LATER}"
down_revision = "{follows}"


def upgrade():
    with op.batch_alter_table("application", recreate="always" if op.get_bind().dialect.name == "sqlite" else "auto") as batch:
        batch.add_column(sa.Column("priority", sa.String(), nullable=True))


def downgrade():
    with op.batch_alter_table("application") as batch:
        batch.drop_column("priority")
''', encoding="utf-8")
    schema._script.cache_clear()
    monkeypatch.setattr(schema, "MIGRATIONS", copy)
    yield follows, LATER
    schema._script.cache_clear()


def test_a_database_behind_is_refused_until_upgraded(each_database, later_migration):
    """In this process (the extra migration is in a temp folder), through the real commands."""
    inst = each_database
    inst.deliver(mail())
    inst.cli("run", "--once", now="2025-03-21T12:00:00+01:00")  # made at head by the program as it is
    was, later = later_migration
    from taskforce_intake.cli import app

    def cli(*args: str):
        return CliRunner().invoke(app, ["--config", str(inst.config), *args], env={"TASKFORCE_INTAKE_NOW": "2025-03-22T12:00:00+01:00"})

    result = cli("run", "--once")
    assert result.exit_code == 1 and f"er i version {was}, men programmet kræver version {later}: kør `taskforce-intake db upgrade`" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, schema.SchemaError)
    assert f"version {was}, ældre end programmets {later}" in cli("db", "current").output
    assert f"opgraderet fra {was} til version {later}" in cli("db", "upgrade").output
    assert f"version {later}, den nyeste" in cli("db", "current").output
    engine = engine_of(inst)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT reference, priority FROM application")).all() == [("TFB-2025-0001", None)]
            assert conn.execute(sa.text("SELECT count(*) FROM message WHERE application_id = 1")).scalar() == 1
            if engine.dialect.name == "sqlite":  # the copied table kept its rows' references and its foreign keys
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                with pytest.raises(sa.exc.IntegrityError):
                    conn.execute(sa.text("UPDATE message SET application_id = 99"))
    finally:
        engine.dispose()


def test_db_revision_writes_the_next_migration_without_the_models(tmp_path, monkeypatch):
    copy = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    schema._script.cache_clear()
    monkeypatch.setattr(schema, "MIGRATIONS", copy)
    try:
        wanted = sa.MetaData()
        for table in SQLModel.metadata.sorted_tables:
            table.to_metadata(wanted)
        wanted.tables["application"].append_column(sa.Column("priority", sa.String(), nullable=True))
        follows = head()
        path = schema.new_revision("application priority", wanted)
        text = path.read_text(encoding="utf-8")
        assert path.name == f"{int(follows) + 1:04d}_application_priority.py" and f'down_revision = "{follows}"' in text.replace("'", '"')
        assert "batch_alter_table('application'" in text and "sa.Column('priority', sa.String()" in text
        assert "storage" not in text and "sqlmodel" not in text  # frozen: it imports no model
        engine = sa.create_engine(f"sqlite:///{tmp_path}/new.db")
        schema.upgrade(engine)
        assert "priority" in {c["name"] for c in sa.inspect(engine).get_columns("application")}
        engine.dispose()
    finally:
        schema._script.cache_clear()


def test_two_migrations_on_one_parent_are_refused_by_name(tmp_path, monkeypatch):
    """Two colleagues' migrations written at once, both revising the same one: a clear error, not Alembic's."""
    copy = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "versions" / "9001_other.py").write_text(f'revision = "9001"\ndown_revision = "{head()}"\n\n\ndef upgrade():\n    pass\n',
                                                     encoding="utf-8")
    (copy / "versions" / "9002_another.py").write_text(f'revision = "9002"\ndown_revision = "{head()}"\n\n\ndef upgrade():\n    pass\n',
                                                       encoding="utf-8")
    schema._script.cache_clear()
    monkeypatch.setattr(schema, "MIGRATIONS", copy)
    try:
        with pytest.raises(schema.SchemaError, match="har 2 ender \\(9001, 9002\\)"):
            schema.current(sa.create_engine("sqlite://"))
    finally:
        schema._script.cache_clear()


def test_the_migrations_are_shipped_with_the_package():
    shipped = {p.relative_to(schema.MIGRATIONS).as_posix() for p in Path(schema.MIGRATIONS).rglob("*") if "__pycache__" not in p.parts}
    assert {"env.py", "script.py.mako", "versions/0001_baseline.py"} <= shipped
