"""SafeRank's Dash dashboard and JSON API (imports ``analytics``, never the reverse)."""
