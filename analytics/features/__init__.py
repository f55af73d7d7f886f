"""Point-in-time feature families and their registry.

``build_features(snapshot, families=None)`` is the matrix; ``skipped_families(snapshot)`` says
which families were left out and why; ``registry.FEATURES`` describes every column.
"""

from analytics.features.build import FAMILY_COMPUTE, build_features, skipped_families
from analytics.features.registry import FEATURES, FeatureSpec

__all__ = ["FAMILY_COMPUTE", "FEATURES", "FeatureSpec", "build_features", "skipped_families"]
