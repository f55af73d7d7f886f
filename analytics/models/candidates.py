"""The learned models a county's training tries: logistic, gradient boosting and their blend.

Kept apart from ``select`` (which chooses among them) and ``backtest`` (which scores them), so both can
import the list without importing each other.
"""

from __future__ import annotations

from analytics.features.registry import FEATURES
from analytics.models.learned import BlendModel, BoostedModel, LogisticModel

SEED = 0


def candidates(seed: int = SEED) -> dict[str, object]:
    """The learned models tried, with monotonic constraints from the feature registry's risk directions."""
    specs = FEATURES.values() if isinstance(FEATURES, dict) else FEATURES
    directions = {s.name: int(s.risk_direction) for s in specs if getattr(s, "risk_direction", 0)}
    boosted = BoostedModel(monotonic=directions or None, random_state=seed)
    return {"logistic": LogisticModel(), "boosted": boosted, "blend": BlendModel(LogisticModel(), boosted)}
