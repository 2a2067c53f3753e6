"""The service: mailboxes, the intake pipeline, the decision and its rules, replies, delivery, the scheduler."""
