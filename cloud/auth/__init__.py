"""Staff accounts, sessions, API tokens, roles and the audit log."""
