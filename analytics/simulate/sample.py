"""The shipped sample county: contract files the simulator wrote, installed with the package.

It travels as package data (``pyproject.toml``), so ``saferank demo`` and the notebooks find it after
a plain ``pip install .`` as well as in a checkout. Regenerate it with
``saferank simulate analytics/simulate/sample_county`` (see the README's "The simulated county").
"""

from __future__ import annotations

from pathlib import Path

SAMPLE_COUNTY = Path(__file__).resolve().parent / "sample_county"
