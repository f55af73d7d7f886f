"""Selection that cannot fool itself: tune on early origins, choose on later ones, report on the last.

The backtest's origins are split in time (``split_origins``):

- *report*: the last third. Their figures are what the card, the model page and ``saferank train``
  show; nothing that chooses reads them.
- *choose*: origins whose label window closed by the first reported origin (``origin + horizon ≤
  report[0]``), after the tuning ones. The winner among the rules and the tuned candidates is chosen
  on their pooled precision at capacity.
- *tune*: the earliest of those. Each learned family's hyper-parameters (``TUNING_GRID``: the
  logistic ``C``; the boosting's learning rate, leaves and whether it splits categories natively)
  are chosen on them, per county, on the county's own records: no default tuned on any county's
  truth. The variants are compared by their ranking (pooled precision at capacity), which
  calibration does not change, so the boosted variants are fitted without calibration folds there
  (one fit each instead of three; a tie in precision is broken by the Brier score of the trees' own
  probabilities).

Because every fit at an origin uses only snapshots whose windows closed by that origin, and the
choosing origins' windows close by the first reported origin, changing anything found after that
date (the reported origins' labels) cannot change the tuning or the choice (tested by poisoning them).

The choice keeps the simpler model unless the gain exceeds its uncertainty (``choose_simpler``):
candidates are taken in order of simplicity (rules, logistic, boosted, blend) and the first whose
pooled precision is not below the best one's by more than ``Z`` standard errors of the difference wins.
The standard error is binomial on the pooled top-``k`` visits, inflated by the square root of the
number of origins a window spans (overlapping 90-day windows at monthly origins count each visit
about three times).

With too few origins to hold three disjoint parts (fewer than about 6 monthly origins for 90-day
windows), tuning and choosing share the origins before the reported ones, and the notes say so.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analytics.contract.dates import HORIZON_DAYS, to_timestamp
from analytics.features.registry import FEATURES
from analytics.models.backtest import default_models, new_cache, run_backtest
from analytics.models.learned import BlendModel, BoostedModel, LogisticModel
from analytics.models.team import TeamAveraged
from analytics.models.uncertainty import block_length

Z = 1.96
SIMPLICITY = {"random": -1, "rule_of_thumb": 0, "prior_violations": 0, "last_inspection": 0, "logistic": 1,
              "logistic_team": 1.5, "boosted": 2, "blend": 3}
TUNING_GRID = {
    "logistic": [{"C": c} for c in (0.001, 0.01, 0.1, 1.0)],
    # categories split on their codes (ordinal) or into any two sets (native): tuned like the rest
    "boosted": [{"learning_rate": rate, "max_leaf_nodes": leaves, "min_samples_leaf": leaf, "categorical": categorical}
                for categorical in ("ordinal", "native")
                for rate, leaves, leaf in ((0.03, 8, 150), (0.1, 15, 50))],
}
NO_ROOM_NOTE = {
    "zh": "回测起点太少，调参与择优共用报告起点之前的起点（报告起点仍未被读取）。",
    "en": "Too few backtest origins for three parts: tuning and choosing share the origins before the reported ones "
          "(the reported origins are still never read).",
}


def split_origins(origins: list[object], horizon_days: int = HORIZON_DAYS) -> tuple[list, list, list]:
    """``(tune, choose, report)`` origins, oldest first (see the module docstring)."""
    origins = sorted(to_timestamp(o) for o in origins)
    if len(origins) < 2:
        return origins, origins, origins
    n_report = max(1, len(origins) // 3)
    report = origins[-n_report:]
    closed = [o for o in origins[:-n_report] if o + pd.Timedelta(days=horizon_days) <= report[0]]
    if len(closed) < 2:
        closed = origins[:-n_report]
        return closed, closed, report
    n_tune = max(1, len(closed) // 2)
    return closed[:n_tune], closed[n_tune:], report


def _directions() -> dict[str, int]:
    specs = FEATURES.values() if isinstance(FEATURES, dict) else FEATURES
    return {s.name: int(s.risk_direction) for s in specs if getattr(s, "risk_direction", 0)}


def family(name: str, params: dict, seed: int, ranking_only: bool = False) -> object:
    """A learned candidate of family ``name`` with ``params`` (the blend takes both families' params).
    ``ranking_only``: a boosted model without calibration folds (``BoostedModel(calibration_folds=0)``),
    for the tuning origins, where the variants are compared by their ranking (precision at capacity)."""
    if name == "logistic":
        return LogisticModel(**params)
    if name == "boosted":
        extra = {"calibration_folds": 0} if ranking_only else {}
        return BoostedModel(monotonic=_directions() or None, random_state=seed, **params, **extra)
    return BlendModel(LogisticModel(**params.get("logistic", {})), family("boosted", params.get("boosted", {}), seed))


def pooled_precision(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per model: top-``k`` visits ``n``, ``hits`` and ``precision`` pooled over the rows' origins, mean Brier."""
    sums = metrics.groupby("model", sort=False)[["n_top_labelled", "n_top_positive"]].sum()
    n, hits = sums["n_top_labelled"].astype(float), sums["n_top_positive"].astype(float)
    return pd.DataFrame({"n": n, "hits": hits, "precision": hits / n.where(n > 0),
                         "brier": metrics.groupby("model", sort=False)["brier"].mean()})


def choose_simpler(pooled: pd.DataFrame, overlap: int = 1, z: float = Z) -> tuple[str, dict]:
    """The simplest model whose pooled precision is within ``z`` inflated standard errors of the best."""
    eligible = pooled.drop(index=[m for m in ("random", "truth") if m in pooled.index]).dropna(subset=["precision"])
    if eligible.empty:
        return "rule_of_thumb", {}
    best = eligible.sort_values(["precision", "brier"], ascending=[False, True], kind="stable").index[0]
    p_best, n_best = eligible.loc[best, "precision"], eligible.loc[best, "n"]
    ordered = eligible.assign(_simple=[SIMPLICITY.get(m, 9) for m in eligible.index], _p=-eligible["precision"],
                              _b=eligible["brier"].fillna(np.inf)).sort_values(["_simple", "_p", "_b"], kind="stable")
    detail = {}
    for name, row in ordered.iterrows():  # a loop over a handful of models
        se = math.sqrt(max(p_best * (1 - p_best), 1e-12) / n_best
                       + max(row["precision"] * (1 - row["precision"]), 1e-12) / max(row["n"], 1)) * math.sqrt(overlap)
        gap = float(p_best - row["precision"])
        detail[str(name)] = {"precision": float(row["precision"]), "n": int(row["n"]), "gap_to_best": gap,
                             "se_of_gap": se, "within_noise": gap <= z * se}
    for name in ordered.index:
        if detail[str(name)]["within_noise"]:
            return str(name), {"best": str(best), "candidates": detail}
    return str(best), {"best": str(best), "candidates": detail}


def nested_select(known: dict[str, pd.DataFrame], origins: list[object], capacity: float | int, snapshots: int,
                  seed: int = 0, truth: pd.DataFrame | None = None, horizon_days: int = HORIZON_DAYS,
                  grid: dict | None = None, cache: object = None, capacity_of: str = "operating",
                  window_days: int | None = None) -> dict:
    """Tune, choose, report (module docstring). Returns ``winner``, ``model`` (unfitted, tuned),
    ``models`` (all of the comparison, unfitted), ``params`` per family, ``split`` (the three lists of dates), ``choice`` (the rule's detail),
    ``result`` (the backtest of the choosing and reported origins), ``reported`` (its rows at the
    reported origins), ``notes`` and ``cache`` (the features, labels and weights built, for reuse;
    ``cache``: one from ``backtest.new_cache(known, horizon_days)`` the caller shares). ``capacity_of`` and
    ``window_days`` go to every backtest run here (``run_backtest``), so a county judged on its own visits
    re-ordered over 30-day windows is also tuned and chosen that way."""
    grid = TUNING_GRID if grid is None else grid
    tune, choose, report = split_origins(origins, horizon_days)
    notes = {} if set(tune).isdisjoint(choose) else dict(NO_ROOM_NOTE)
    cache = new_cache(known, horizon_days) if cache is None else cache
    variants = {f"{name}|{i}": family(name, params, seed, ranking_only=True) for name, options in grid.items()
                for i, params in enumerate(options)}
    scoring = {"capacity_of": capacity_of, "window_days": window_days}
    tuning = run_backtest(known, tune, variants, capacity=capacity, snapshots=snapshots, seed=seed,
                          horizon_days=horizon_days, cache=cache, **scoring)
    tuned_pooled = pooled_precision(tuning.metrics.loc[tuning.metrics["model"].isin(list(variants))])
    params = {}
    for name, options in grid.items():  # a loop over families
        scores = tuned_pooled.reindex([f"{name}|{i}" for i in range(len(options))])
        ranked = scores.assign(_p=-scores["precision"].fillna(-1), _b=scores["brier"].fillna(np.inf)).sort_values(
            ["_p", "_b"], kind="stable")
        params[name] = options[int(ranked.index[0].split("|")[1])]
    candidates = {name: family(name, params[name], seed) for name in ("logistic", "boosted")}
    candidates["blend"] = family("blend", {"logistic": params["logistic"], "boosted": params["boosted"]}, seed)
    inspections = known.get("inspections")
    if inspections is not None and "team" in inspections.columns and inspections["team"].notna().any():
        candidates["logistic_team"] = TeamAveraged(family("logistic", params["logistic"], seed))  # who visits, averaged away
    models = {**default_models(include_learned=False), **candidates}
    later = sorted(set(choose) | set(report))
    result = run_backtest(known, later, models, capacity=capacity, truth=truth, snapshots=snapshots, seed=seed,
                          horizon_days=horizon_days, cache=cache, **scoring)
    at = result.metrics["origin"]
    choosing = result.metrics.loc[at.isin(choose)]
    winner, choice = choose_simpler(pooled_precision(choosing), overlap=block_length(choose, window_days or horizon_days))
    reported = result.metrics.loc[at.isin(report)]
    return {"winner": winner, "model": models[winner], "models": models, "params": params, "choice": choice, "result": result,
            "reported": reported, "notes": notes, "cache": cache,
            "split": {part: [d.date().isoformat() for d in dates] for part, dates in
                      (("tune", tune), ("choose", choose), ("report", report))}}
