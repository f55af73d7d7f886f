"""Outsourcing contracts: active on the as-of date, with unqualified contractors or without a safety
agreement, and contracts started in the last year. A flag counts only where it is recorded ``false``."""

from __future__ import annotations

from analytics.features.workspace import Workspace, day_numbers, flags


def compute(ws: Workspace) -> dict[str, object]:
    contracts, pos = ws.events("contracts")
    start = day_numbers(contracts["start_date"])
    end = day_numbers(contracts["end_date"])
    active = (start <= ws.today) & ~(end < ws.today)
    return {
        "active_contracts": ws.count(pos, active),
        "active_unqualified": ws.count(pos, active & flags(contracts["contractor_qualified"], False)),
        "active_without_agreement": ws.count(pos, active & flags(contracts["safety_agreement"], False)),
        "contracts_365d": ws.count(pos, ws.within(start, 365)),
    }
