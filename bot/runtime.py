"""The service's edges, opened once and handed down: settings, database, file store, templates, and
the engines the readers are given."""
from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment
from sqlalchemy.engine import Engine

from bot.engines import read_options
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

    @classmethod
    def open(cls, settings: Settings) -> "Runtime":
        engine = make_engine(settings.database_url)
        migrate(engine)
        return cls(settings, engine, FileStore(settings.files), environment(settings.templates), read_options(settings.trust_roots))
