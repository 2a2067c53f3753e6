"""Pure parsers: bytes in, facts with evidence out.  No database, no network, no clock."""
