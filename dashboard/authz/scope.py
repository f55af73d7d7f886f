"""What a scoped account may name: an inspector its team's enterprises and visits, a leader the plans
that have begun. ``None`` means the role is not scoped for that kind of object (it sees them all).

The answers come from the analytics functions that scope the data themselves
(``plans_store.visits_for``, ``plans_store.list_plans``), so the guard and the pages agree.
"""

from __future__ import annotations

from analytics.accounts.users import User, can
from analytics.operations import plans_store
from dashboard.context import get_store


def visible_enterprises(user: User | None) -> frozenset[str] | None:
    """An inspector's enterprises: those of the team's visits up to today (none before any plan)."""
    if user is None:
        return frozenset()
    if user.role != "inspector":
        return None
    visits = plans_store.visits_for(get_store(), user)
    return frozenset(visits["enterprise_id"].astype(str)) if len(visits) else frozenset()


def visible_visits(user: User | None) -> frozenset[str] | None:
    """An inspector's visits: the team's, up to today."""
    if user is None:
        return frozenset()
    if user.role != "inspector":
        return None
    visits = plans_store.visits_for(get_store(), user)
    return frozenset(visits["visit_id"].astype(str)) if "visit_id" in visits and len(visits) else frozenset()


def visible_plans(user: User | None) -> frozenset[str] | None:
    """The plans whose existence ``user`` may know (``plans_store.list_plans`` scoped to the user)."""
    if user is None or not can(user, "plans"):
        return frozenset()
    if user.role not in plans_store.PLAN_SCOPED_ROLES:
        return None
    return frozenset(plans_store.list_plans(get_store(), user=user)["plan_id"].astype(str))


def may_see_enterprise(user: User | None, enterprise_id: object) -> bool:
    visible = visible_enterprises(user)
    return visible is None or str(enterprise_id) in visible


SCOPES = {"enterprise": visible_enterprises, "visit": visible_visits, "plan": visible_plans}


def scope_of(user: User | None):
    """``scope(kind)`` for ``authz.check``: the names of ``kind`` the user may use (None: all)."""
    return lambda kind: SCOPES[kind](user)
