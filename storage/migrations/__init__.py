"""The schema's history as Alembic migrations (versions/), run by storage/schema.py from an Engine:
no alembic.ini.  A migration is frozen in time: it never imports storage.models."""
