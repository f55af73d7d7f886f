"""A simulated county: contract records with a known true risk (see ``world.py`` for the story)."""

from analytics.simulate.export import simulate_files, write_county
from analytics.simulate.population import town_geometry
from analytics.simulate.world import County, simulate_county

__all__ = ["County", "simulate_county", "simulate_files", "town_geometry", "write_county"]
