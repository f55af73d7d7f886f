"""The risk list: scores → ranks, levels and reasons, stored per (as-of, model version)."""
