"""English counts that agree with their number: "1 firm", "3 firms", "0 firms" (Chinese needs no plural).

One rule for every message the program writes in English: the analytics reports and summaries, the
command line's lines and the dashboard's phrase book (``dashboard.i18n.t``), so it lives at the
bottom layer. The singular is for a count of exactly one; anything else (0, 2, 1.5, "12") takes the
plural.

=========================  =================================  ==================================
call                       1                                  3
=========================  =================================  ==================================
``count(n, "firm")``       ``1 firm``                         ``3 firms``
``count(n, "penalty",      ``1 penalty``                      ``3 penalties``
"penalties")``
``counts(series, "row")``  the same, row by row (vectorised)
``plural("{n} row(s)",     ``{n} row``                        ``{n} rows`` (then ``.format``)
{"n": n})``
=========================  =================================  ==================================
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_PLURAL = re.compile(r"\{(\w+)\}([^{}()]*?[a-z])\((s|es)\)")  # "{total} enterprise(s)", "{done}/{total} row(s)"


def is_one(value: object) -> bool:
    """True when ``value`` is the number 1 (``1``, ``1.0``, ``"1"``); a template such as plotly's
    ``%{customdata[2]}`` is not (it takes the plural)."""
    try:
        return float(str(value).replace(",", "")) == 1
    except ValueError:
        return False


def noun(n: object, one: str, many: str | None = None) -> str:
    """``one`` when ``n`` is 1, else ``many`` (default ``one`` + "s")."""
    return one if is_one(n) else (many or one + "s")


def count(n: object, one: str, many: str | None = None) -> str:
    """``n`` and its noun in agreement: ``count(1, "hazard")`` is "1 hazard", ``count(1200, "row")`` "1,200 rows"."""
    shown = f"{n:,}" if isinstance(n, int | np.integer) else str(n)
    return f"{shown} {noun(n, one, many)}"


def counts(values: pd.Series, one: str, many: str | None = None) -> pd.Series:
    """``count`` row by row over whole numbers (vectorised): "1 hazard", "3 hazards"."""
    numbers = values.astype("int64")
    return numbers.astype(str) + np.where(numbers == 1, " " + one, " " + (many or one + "s"))


def plural(text: str, values: dict[str, object]) -> str:
    """A phrase whose counts are written ``{n} firm(s)`` or ``{n} match(es)``, with each such noun
    agreeing with ``values[n]`` (the fields are left for ``str.format``)."""
    return _PLURAL.sub(lambda m: "{" + m[1] + "}" + m[2] + ("" if is_one(values.get(m[1])) else m[3]), text)
