"""One file a schema revision, numbered 0001, 0002 …; `taskforce-intake db revision MESSAGE` writes the next."""
