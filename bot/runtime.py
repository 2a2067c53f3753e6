"""The service's edges, opened once and handed down: settings, database, file store, templates, the
engines the readers are given and the reader processes that run them."""
from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment
from sqlalchemy.engine import Engine

from bot.engines import read_options
from bot.readers import Readers
from bot.replies import environment
from config.settings import Settings
from parsers.documents import ReadOptions
from storage.db import make_engine
from storage.files import FileStore
from storage.schema import prepare

PAINTER_NICENESS = 10


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    store: FileStore
    templates: Environment
    options: ReadOptions
    readers: Readers
    painters: Readers  # one process below the readers' priority: the evidence pictures (bot/pictures.py) wait, new mail does not

    @classmethod
    def open(cls, settings: Settings, options: ReadOptions | None = None) -> "Runtime":
        """`options`: the readers' engines (default: this installation's, `bot.engines.read_options`).
        An empty database is created at the newest schema; one made before migrations, an older or a
        newer one raises storage.schema.SchemaError (Danish: which command to run), before anything starts."""
        engine = make_engine(settings.database_url)
        try:
            prepare(engine)
        except Exception:
            engine.dispose()
            raise
        options = options if options is not None else read_options(settings.trust_roots)
        return cls(settings, engine, FileStore(settings.files), environment(settings.templates), options,
                   Readers(options, settings.limits), Readers(options, settings.limits, processes=1, niceness=PAINTER_NICENESS))

    def close(self) -> None:
        """Stops the reader processes and closes the database's connections."""
        self.readers.close()
        self.painters.close()
        self.engine.dispose()
