"""Accounts, roles, API tokens and the append-only audit log."""
