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
from storage.db import make_engine, migrate
from storage.files import FileStore


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    store: FileStore
    templates: Environment
    options: ReadOptions
    readers: Readers

    @classmethod
    def open(cls, settings: Settings, options: ReadOptions | None = None) -> "Runtime":
        """`options`: the readers' engines (default: this installation's, `bot.engines.read_options`)."""
        engine = make_engine(settings.database_url)
        migrate(engine)
        options = options if options is not None else read_options(settings.trust_roots)
        return cls(settings, engine, FileStore(settings.files), environment(settings.templates), options,
                   Readers(options, settings.limits))

    def close(self) -> None:
        """Stops the reader processes and closes the database's connections."""
        self.readers.close()
        self.engine.dispose()
