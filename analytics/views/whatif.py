"""What-if comparisons for analysts: how a risk list or a plan changes with a rule, and what each would find.

- ``list_changes(before, after, k)`` / ``list_change_summary``: which enterprises enter and leave the
  top ``k`` of a risk list when a rule changes (a feature family removed, another model), and how
  far the whole order moved (Spearman correlation of ranks).
- ``expected_found(scores, probabilities, k)``: the expected number of positives among the top ``k``
  of a ranking, when each firm's chance is ``probabilities`` (a model's calibrated scores, or a
  simulated county's ``truth.csv``). Ranks follow the risk list's own rule (``risklist.rank_scores``:
  score descending, then enterprise id). ``picks_compared`` does it for several rankings, several
  sources of probabilities and several ``k``, beside a random pick (mean probability × ``k``, its
  exact expectation).
- ``plan_outcome(plan, probabilities)`` / ``plans_compared``: a plan's visits by reason, what it
  expects to find by its own calibrated scores (``Plan.expected_found``), a random plan of the same
  size, and, given other probabilities (truth), what its visits would find by those.

The campaign's report (``CAMPAIGN``): 295 enterprises inspected and 383 hazards found by 15 teams
in a fortnight, in a county of about 20,000 supervised units. ``campaign_visits(n)`` scales the
visits to a county of ``n`` operating firms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from analytics.risk.risklist import rank_scores

CAMPAIGN = {"visits": 295, "hazards": 383, "teams": 15, "days": 14, "county_enterprises": 20_000}
CHANGES = ("kept", "entered", "left")


def _ranks(risk_list: pd.DataFrame) -> pd.Series:
    return pd.Series(risk_list["rank"].astype("int64").to_numpy(),
                     index=pd.Index(risk_list["enterprise_id"].astype(str), name="enterprise_id"))


def list_changes(before: pd.DataFrame, after: pd.DataFrame, k: int) -> pd.DataFrame:
    """The enterprises in the top ``k`` of either list (``enterprise_id``, ``rank``): ``rank_before``,
    ``rank_after`` (NaN when not on that list), ``change`` in ``CHANGES``; by ``rank_after``, then
    ``rank_before``."""
    ranks = pd.DataFrame({"rank_before": _ranks(before), "rank_after": _ranks(after)})
    top_before, top_after = ranks["rank_before"] <= k, ranks["rank_after"] <= k
    chosen = ranks.loc[top_before | top_after]
    change = np.select([top_before[chosen.index] & top_after[chosen.index], top_after[chosen.index]],
                       ["kept", "entered"], default="left")
    out = chosen.assign(change=pd.Categorical(change, categories=CHANGES))
    return out.sort_values(["rank_after", "rank_before"], kind="stable", na_position="last").reset_index()


def list_change_summary(before: pd.DataFrame, after: pd.DataFrame, k: int) -> dict[str, float]:
    """``k``, counts ``kept`` / ``entered`` / ``left``, ``overlap`` (kept / k) and ``rank_correlation``
    (Spearman, over the enterprises on both lists)."""
    changes = list_changes(before, after, k)["change"].value_counts()
    both = pd.DataFrame({"before": _ranks(before), "after": _ranks(after)}).dropna()
    return {"k": int(k), **{c: int(changes.get(c, 0)) for c in CHANGES},
            "overlap": float(changes.get("kept", 0) / k) if k else float("nan"),
            "rank_correlation": float(both["before"].corr(both["after"], method="spearman"))}


def top_k(scores: pd.Series, k: int) -> pd.Index:
    """The enterprise ids of the top ``k`` by the risk list's rank rule."""
    return rank_scores(scores).index[:k]


def expected_found(scores: pd.Series, probabilities: pd.Series, k: int) -> float:
    """Sum of ``probabilities`` over the top ``k`` of ``scores`` (both indexed by enterprise id; a firm
    without a probability counts 0)."""
    chosen = top_k(scores, k)
    return float(probabilities.reindex(chosen).fillna(0.0).sum())


def picks_compared(rankings: Mapping[str, pd.Series], probabilities: Mapping[str, pd.Series],
                   ks: Iterable[int]) -> pd.DataFrame:
    """One row per (``k``, ``ranking``), ``random`` first: the expected positives among the ``k`` picked,
    one column per source of ``probabilities`` (``by_<name>``), plus ``share_of_best_<name>`` when a
    ranking is named like that source (picking by the probabilities themselves: the best possible).

    Firms are those of the first ranking; a random pick of ``k`` expects mean probability × ``k``.
    """
    firms = next(iter(rankings.values())).index.astype(str)
    rows = []
    for k in ks:  # a loop over a few capacities
        random = {f"by_{name}": float(p.reindex(firms).fillna(0.0).mean() * k) for name, p in probabilities.items()}
        rows.append({"k": int(k), "ranking": "random", **random})
        for label, scores in rankings.items():  # a loop over a few rankings
            rows.append({"k": int(k), "ranking": label,
                         **{f"by_{name}": expected_found(scores, p, k) for name, p in probabilities.items()}})
    out = pd.DataFrame(rows)
    for name in probabilities:
        if name in rankings:
            best = out.loc[out["ranking"] == name].set_index("k")[f"by_{name}"]
            out[f"share_of_best_{name}"] = out[f"by_{name}"] / out["k"].map(best)
    return out


def campaign_visits(enterprises: int, campaign: Mapping[str, int] = CAMPAIGN) -> int:
    """The campaign's visits scaled to a county of ``enterprises`` firms (at least 1)."""
    return max(1, int(round(campaign["visits"] * enterprises / campaign["county_enterprises"])))


def plan_outcome(plan: object, probabilities: pd.Series | None = None) -> dict[str, float]:
    """``visits``, ``enterprises``, counts per visit reason, ``expected_found`` (the plan's own calibrated
    scores), ``expected_random`` (a random plan of the same size), ``ratio``, and with ``probabilities``
    (index enterprise id) ``expected_true``: their sum over the visited enterprises."""
    visits = plan.visits
    out: dict[str, float] = {"visits": len(visits), "enterprises": int(visits["enterprise_id"].nunique()),
                             **plan.reason_counts(), "expected_found": plan.expected_found,
                             "expected_random": plan.expected_random, "ratio": plan.ratio}
    if probabilities is not None:
        ids = visits["enterprise_id"].astype(str)
        out["expected_true"] = float(probabilities.reindex(ids).fillna(0.0).sum())
    return out


def plans_compared(plans: Mapping[str, object], probabilities: pd.Series | None = None) -> pd.DataFrame:
    """``plan_outcome`` of each plan, one row per plan (index its name)."""
    out = pd.DataFrame.from_dict({name: plan_outcome(plan, probabilities) for name, plan in plans.items()},
                                 orient="index")
    out.index.name = "plan"
    return out
