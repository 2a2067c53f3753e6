"""The service: mailboxes, the intake pipeline, the rules, replies, delivery, the scheduler, the CLI."""
