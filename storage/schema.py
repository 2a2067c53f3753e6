"""The database schema's state and its upgrades: Alembic migrations (storage/migrations), run from an
Engine, no alembic.ini.

A database is in one of five states (`SchemaState`):
- empty: no tables.  Every start (`prepare`) creates it at head, so a new installation, the embedded
  SQLite default and every test need no command.
- pre_alembic: made by taskforce-intake before migrations (tables, no `alembic_version`).  Start-up
  refuses; `taskforce-intake db upgrade` tops it up to the baseline the way that start-up did, checks
  that it is the baseline, stamps 0001 and upgrades to head.
- behind: an older revision.  Start-up refuses; `db upgrade`.
- head: ready.
- ahead: a revision this program does not know, so a newer taskforce-intake made it.  Everything
  refuses (running old code on a newer schema could lose data); install that version.

An upgrade is one transaction, taken under a lock (PostgreSQL: an advisory lock; SQLite: BEGIN
IMMEDIATE), so two programs starting on one empty database do not both create it.

Alembic is imported where it is used: its import (Mako, Pygments) costs a few tenths of a second that
`check`, which opens no database, need not pay."""
from __future__ import annotations

import enum
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"
BASELINE = "0001"  # the schema of taskforce-intake 0.1.0, the last made without migrations
UPGRADE = "taskforce-intake db upgrade"
LOCK = 7_214_023  # PostgreSQL advisory lock key: one upgrade at a time


class SchemaState(enum.StrEnum):
    EMPTY = "empty"
    PRE_ALEMBIC = "pre_alembic"
    BEHIND = "behind"
    HEAD = "head"
    AHEAD = "ahead"


class SchemaError(Exception):
    """This program cannot use the database as it is; the text (Danish) names the database and what to do."""


@dataclass(frozen=True)
class Schema:
    database: str  # its URL without the password
    revision: str | None  # alembic_version's revision; None: empty or made before migrations
    head: str  # the newest revision this program knows
    state: SchemaState

    def describe(self) -> str:
        """The state in plain Danish, for `db current`."""
        rev, head = self.revision, self.head
        return {
            SchemaState.EMPTY: f"ingen tabeller (tom database); den oprettes i version {head} ved første start eller med `{UPGRADE}`",
            SchemaState.PRE_ALEMBIC: f"ingen version: lavet af taskforce-intake før databasemigreringerne; kør `{UPGRADE}`",
            SchemaState.BEHIND: f"version {rev}, ældre end programmets {head}; kør `{UPGRADE}`",
            SchemaState.HEAD: f"version {rev}, den nyeste; databasen er klar",
            SchemaState.AHEAD: f"version {rev}, som dette program ikke kender (det kender op til {head}): databasen er lavet af en "
                               f"nyere taskforce-intake; installér den version",
        }[self.state]

    def refusal(self) -> str:
        """Why the program will not start on it, and the command that helps."""
        where = f"Databasen {self.database}"
        backup = "(tag en sikkerhedskopi af databasen først)"
        if self.state is SchemaState.PRE_ALEMBIC:
            return f"{where} er lavet af en ældre taskforce-intake (før databasemigreringerne) og skal opgraderes: kør `{UPGRADE}` {backup}."
        if self.state is SchemaState.BEHIND:
            return f"{where} er i version {self.revision}, men programmet kræver version {self.head}: kør `{UPGRADE}` {backup}."
        if self.state is SchemaState.AHEAD:
            return (f"{where} er lavet af en nyere taskforce-intake (version {self.revision}; dette program kender kun op til "
                    f"{self.head}): installér den version af taskforce-intake, der lavede den, eller en nyere.")
        return f"{where} har ingen tabeller: kør `{UPGRADE}`."


def current(engine: Engine) -> Schema:
    """The database's revision and state; changes nothing (`db current`, the health and config checks)."""
    with engine.connect() as conn:
        return _read(conn)


def prepare(engine: Engine) -> Schema:
    """What every start does: an empty database is created at head; any other must be at head already."""
    schema = current(engine)
    if schema.state is SchemaState.EMPTY:
        from alembic import command

        with _transaction(engine) as conn:
            schema = _read(conn)  # under the lock: another program may have created it meanwhile
            if schema.state is SchemaState.EMPTY:
                command.upgrade(_config(conn), "head")
                schema = _read(conn)
    return _usable(schema)


def upgrade(engine: Engine) -> tuple[Schema, Schema]:
    """`db upgrade`: from any state but ahead to head, in one transaction.  Returns before and after."""
    from alembic import command

    with _transaction(engine) as conn:
        before = _read(conn)
        if before.state is SchemaState.AHEAD:
            raise SchemaError(before.refusal())
        if before.state is SchemaState.PRE_ALEMBIC:
            _to_baseline(conn, before.database)
            command.stamp(_config(conn), BASELINE)
        command.upgrade(_config(conn), "head")
        return before, _read(conn)


def new_revision(message: str, metadata: sa.MetaData) -> Path:
    """`db revision`, for developers: the next migration, autogenerated by comparing `metadata` (the
    models) with a scratch SQLite database upgraded to head, so no server is needed.  Numbered after
    the newest (0002, 0003 …).  Read and tidy it; tests/integration/test_migrations.py then checks the
    migrated schema against the models on SQLite and PostgreSQL."""
    from alembic import command

    number = max(int(s.revision) for s in _script().walk_revisions() if s.revision.isdigit()) + 1
    with tempfile.TemporaryDirectory() as scratch:
        engine = sa.create_engine(f"sqlite:///{scratch}/scratch.db")
        try:
            upgrade(engine)
            with engine.connect() as conn:
                script = command.revision(_config(conn, metadata), message, autogenerate=True, rev_id=f"{number:04d}")
        finally:
            engine.dispose()
    _script.cache_clear()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def _usable(schema: Schema) -> Schema:
    if schema.state is not SchemaState.HEAD:
        raise SchemaError(schema.refusal())
    return schema


@cache
def _script() -> ScriptDirectory:
    """Read once a process: ~1,700 tests open fresh databases."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))


def _config(connection: Connection, metadata: sa.MetaData | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes.update(connection=connection, target_metadata=metadata)
    return config


def _read(conn: Connection) -> Schema:
    from alembic.migration import MigrationContext

    tables = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
    revision = MigrationContext.configure(conn).get_current_revision()
    script = _script()
    heads = script.get_heads()
    if len(heads) != 1:  # two migrations written at once, both on the same parent: a developer's to chain
        raise SchemaError(f"Programmets databasemigreringer ({MIGRATIONS / 'versions'}) har {len(heads)} ender ({', '.join(sorted(heads))}): "
                          f"hver migrering skal bygge på den forrige (down_revision); ret det, før programmet bruges.")
    head = heads[0]
    if revision is None:
        state = SchemaState.PRE_ALEMBIC if tables else SchemaState.EMPTY
    elif revision == head:
        state = SchemaState.HEAD
    elif revision in {s.revision for s in script.walk_revisions()}:
        state = SchemaState.BEHIND
    else:
        state = SchemaState.AHEAD
    return Schema(conn.engine.url.render_as_string(hide_password=True), revision, head, state)


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for a whole upgrade, under a lock.  SQLite: an explicit BEGIN IMMEDIATE, since
    pysqlite leaves DDL outside its transactions (each CREATE its own commit: 4x slower, and a failed
    upgrade half done), and foreign keys off while a batch migration copies a table (SQLite's way
    of altering one), checked before the commit."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction
            conn.commit()
        try:
            with conn.begin():
                conn.exec_driver_sql("BEGIN IMMEDIATE" if sqlite else f"SELECT pg_advisory_xact_lock({LOCK})")
                yield conn
                if sqlite and (broken := conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
                    raise SchemaError(f"Opgraderingen af {engine.url.render_as_string(hide_password=True)} er rullet tilbage: den ville "
                                      f"efterlade {len(broken)} rækker, der peger på rækker, der ikke findes (første: {tuple(broken[0])}).")
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def _baseline() -> sa.MetaData:
    """0001's own tables: the schema a database made before migrations must have to be stamped 0001."""
    script = _script().get_revision(BASELINE)
    assert script is not None
    module: Any = script.module
    metadata: sa.MetaData = module.metadata
    return metadata


def _to_baseline(conn: Connection, database: str) -> None:
    """A database made before migrations is topped up the way that start-up did (missing tables
    created, missing nullable columns added: older installations lack some, e.g. message.auth_verdict;
    also the baseline's missing indexes), then compared with the baseline, so stamping 0001 tells the
    truth and the later migrations meet the schema they were written for."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    baseline = _baseline()
    baseline.create_all(conn)  # only the tables it lacks
    inspector = sa.inspect(conn)
    ops = Operations(MigrationContext.configure(conn))
    for table in baseline.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in columns and column.nullable:
                ops.add_column(table.name, sa.Column(column.name, column.type, nullable=True))
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(conn)
    differences = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), baseline)
    if differences:
        raise SchemaError(f"Databasen {database} er lavet af en ældre taskforce-intake, men afviger fra dens skema (version {BASELINE}) "
                          f"også efter at manglende tabeller, kolonner og indeks er tilføjet, så den er ikke ændret: ret forskellene, "
                          f"og kør `{UPGRADE}` igen (Alembic: {'; '.join(_difference(d) for d in differences)}).")


def _difference(diff: Any) -> str:
    """One of compare_metadata's differences, e.g. `add_column message.auth_verdict`."""
    if isinstance(diff, list):
        return "; ".join(_difference(d) for d in diff)
    kind, *rest = diff
    if kind.startswith("modify_"):  # (kind, schema, table, column, existing, old, new)
        return f"{kind} {rest[1]}.{rest[2]}: {rest[4]} → {rest[5]}"
    if kind in ("add_column", "remove_column"):  # (kind, schema, table, column)
        return f"{kind} {rest[1]}.{rest[2].name}"
    item = rest[0]
    table = getattr(item, "table", None)
    return f"{kind} {getattr(table, 'name', '')}.{getattr(item, 'name', None) or item}".replace(" .", " ")
