"""One simulated county per test session: the shipped sample's settings (2,000 enterprises, seed 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.simulate import simulate_county, write_county


@pytest.fixture(scope="session")
def county():
    return simulate_county(enterprises=2000, seed=7, as_of="2026-11-15")


@pytest.fixture(scope="session")
def county_dir(county, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("county")
    write_county(county, out)
    return out
