"""SQLModel tables, sessions, schema set-up and the content-addressed file store."""
