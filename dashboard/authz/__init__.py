"""Callback authorisation: a deny-by-default table of every callback (``table``), the kinds of value
each position may hold (``kinds``), the positional check of a request (``check``) and what a scoped
account may name (``scope``). ``dashboard.auth.guard`` calls ``check`` for every callback request."""

from dashboard.authz.check import Allowed, Refusal, check
from dashboard.authz.table import TABLE, Rule

__all__ = ["TABLE", "Allowed", "Refusal", "Rule", "check"]
