"""What happened after an as-of date: the labels a risk score is judged against, and their selection bias.

The score (data contract v2, last section) is the chance that **one** visit the list would send — not
a 回头看 follow-up of a known hazard — finds a major hazard (重大隐患), or that an accident happens, in
the 90 days after as-of. The label is built to match it, per visit, not per firm:

- the visits that count are the inspections in the window whose mode is not ``follow_up`` (a
  follow-up returns to a hazard already known, so its finds are not the list's); the visit's mode is
  kept (``first_mode``) and may be a covariate;
- the labelled visit is the **first** such visit in the window, and ``major_found`` is a major hazard
  found *at that visit* (linked by ``inspection_id``, or, where a hazard names no inspection, found by
  the same enterprise on the same day);
- ``label`` = ``major_found or accident`` (an accident anywhere in the window).

Why the first visit, one example per firm and origin: it is exactly the event the score states (one
visit), so a firm visited three times in the window is not three times as likely to be labelled (the
"any visit" label counted 1 − (1 − p)³ for it); and it keeps one row per firm and origin with weight
1, so the office's habit of visiting some firms often does not also make them weigh more in training
(a per-visit rate weighted by the number of visits would). The cost: the later visits of a window are
not used for the label; they are still counted (``visits``, ``visit_hits``) for per-visit figures.

``build_labels(tables, as_of, horizon_days=90)``: one row per enterprise operating on ``as_of``
(index ``enterprise_id``, sorted, the same rows as ``build_features``), describing the label window
``(as_of, as_of + horizon_days]`` of ``timeline.label_window``:

- ``inspected``: at least one visit that counts (so the firm has a visit label);
- ``inspected_random``: at least one double-random (双随机, mode ``random``) visit in the window;
- ``first_mode``: the mode of the labelled visit;
- ``major_found``: a major hazard found at the labelled visit; ``accident``: an accident in the window
  (``False`` when the accidents table is absent: none recorded);
- ``label`` = ``major_found or accident``: what the risk list's score estimates;
- ``visits`` / ``visit_hits``: visits that count, and how many of them found a major hazard;
- ``random_visits`` / ``random_hits``: the same for the double-random visits alone — the precision
  on random visits is ``random_hits / random_visits`` of the firms at the top, finds at the random
  visit itself, not at any visit of a firm that once had one;
- ``major_found_any``: a major hazard found at any visit in the window, follow-ups included (the old
  label, kept to show how much it over-stated);
- ``first_team``: the team of the labelled visit (None where not recorded): who found it, a
  training-only covariate of ``models.team.TeamAveraged``, never a feature of the list.

Labels need the records *after* ``as_of``; they are the only code that looks there, and only through
the window.

Selection bias, and what we do about it
---------------------------------------
A major hazard can only be found where someone inspects, so a label exists only for inspected firms
(accidents aside), and inspectors do not go at random: they target firms they already suspect. A model
scored on targeted visits alone is judged on a sample tilted toward the firms the office already
ranks high.

1. *The unbiased sample.* Double-random inspections (mode ``random``) pick firms by lot. Among them,
   the hit rate is the county's true rate, and a model's precision there is an honest one. The
   backtest always reports the random-only figures beside the weighted ones.
2. *Measuring the bias.* ``selection_bias(labels)``: per visit, the share of non-random visits (that
   count) finding a major hazard over the share of double-random visits finding one. A ratio of 1
   means no selection.
3. *Correcting it.* ``inspection_weights(X, labels)`` fits a propensity model — a logistic
   regression of "inspected in the window" on the feature matrix of the as-of date — and gives each
   inspected firm the weight ``1 / p̂`` with ``p̂`` clipped below at ``clip`` (default 0.05, so no
   firm weighs more than 20), normalised to mean 1 over the inspected; a firm not inspected weighs 0
   (it has no label) unless an accident labels it, which weighs 1. Training uses these weights as
   ``sample_weight``; the backtest weighs its precision, recall, AUC, Brier score and calibration with
   them, so the figures describe the whole operating county rather than the visited part.
   Inverse-propensity weighting corrects only what the features explain about who was visited; the
   random-only evaluation is the check on what they do not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from analytics.contract import schema
from analytics.contract.dates import HORIZON_DAYS
from analytics.snapshot.snapshot import AsOf, Snapshot
from analytics.snapshot.timeline import label_window

LABEL_COLUMNS = ("inspected", "inspected_random", "major_found", "accident", "label", "first_mode", "visits",
                 "visit_hits", "random_visits", "random_hits", "major_found_any", "first_team")
PROPENSITY_CLIP = 0.05
FOLLOW_UP = "follow_up"  # 回头看: returns to a known hazard; not a visit the list would send


def _in_window(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    return (dates > start) & (dates <= end)


def _visits_with_finds(inspections: pd.DataFrame, majors: pd.DataFrame) -> pd.Series:
    """Per inspection (aligned with ``inspections``), whether a major hazard was found at it: linked by
    ``inspection_id``, or, for a hazard naming no inspection, by the same enterprise on the same day."""
    linked = majors["inspection_id"].astype(object) if "inspection_id" in majors.columns else pd.Series(
        None, index=majors.index, dtype=object)
    has_link = linked.notna() & linked.astype(str).str.len().gt(0)
    by_id = inspections["inspection_id"].astype(str).isin(linked.loc[has_link].astype(str))
    unlinked = majors.loc[~has_link]
    same_day = pd.MultiIndex.from_arrays([inspections["enterprise_id"].astype(str), inspections["date"]]).isin(
        pd.MultiIndex.from_arrays([unlinked["enterprise_id"].astype(str), unlinked["found_date"]]))
    return pd.Series(by_id.to_numpy() | same_day, index=inspections.index)


def build_labels(tables: dict[str, pd.DataFrame], as_of: AsOf | object, horizon_days: int = HORIZON_DAYS,
                 ids: pd.Index | None = None) -> pd.DataFrame:
    """The labels of the enterprises operating on ``as_of`` (see the module docstring). ``ids``: those
    enterprises when the caller holds them (the index of ``build_features`` on ``as_of``), so the
    tables are not cut a second time; each firm's label depends on its own records only."""
    as_of = AsOf.parse(as_of)  # an AsOf passes through; a date (tests, notebooks) is parsed here
    if ids is None:
        enterprises = Snapshot.from_tables(tables, as_of).operating  # who was supervised: what was known then
        ids = pd.Index(np.sort(enterprises["enterprise_id"].astype(str).to_numpy()), name="enterprise_id")
    as_of = as_of.ts
    start, end = label_window(as_of, horizon_days)

    inspections = tables["inspections"]
    inspections = inspections.loc[_in_window(inspections["date"], start, end)]
    inspections = inspections.sort_values(["date", "inspection_id"], kind="stable")
    hazards = tables["hazards"]
    majors_all = hazards.loc[hazards["level"].astype(object).eq("major")]
    majors = majors_all.loc[_in_window(majors_all["found_date"], start, end)]

    mode = inspections["mode"].astype(object).fillna("routine")
    visit = inspections.assign(enterprise_id=inspections["enterprise_id"].astype(str), mode=mode,
                               hit=_visits_with_finds(inspections, majors).to_numpy())
    counted = visit.loc[visit["mode"].ne(FOLLOW_UP)]
    first = counted.drop_duplicates("enterprise_id").set_index("enterprise_id")
    counted = counted.assign(random=counted["mode"].eq("random"))
    per_firm = counted.assign(random_hit=counted["random"] & counted["hit"]).groupby("enterprise_id").agg(
        visits=("hit", "size"), visit_hits=("hit", "sum"), random_visits=("random", "sum"),
        random_hits=("random_hit", "sum")).reindex(ids, fill_value=0)

    accidents = tables.get("accidents")
    accident_ids = (accidents.loc[_in_window(accidents["date"], start, end), "enterprise_id"].astype(str)
                    if accidents is not None else pd.Series([], dtype=str))
    major_found = first["hit"].reindex(ids, fill_value=False).to_numpy(dtype=bool)
    accident = ids.isin(accident_ids)
    modes = pd.CategoricalDtype(schema.TABLES["inspections"].column("mode").code_values())
    return pd.DataFrame({
        "inspected": ids.isin(first.index),
        "inspected_random": per_firm["random_visits"].to_numpy() > 0,
        "major_found": major_found,
        "accident": accident,
        "label": major_found | accident,
        "first_mode": first["mode"].reindex(ids).astype(modes).to_numpy(),
        "visits": per_firm["visits"].to_numpy(dtype="int64"),
        "visit_hits": per_firm["visit_hits"].to_numpy(dtype="int64"),
        "random_visits": per_firm["random_visits"].to_numpy(dtype="int64"),
        "random_hits": per_firm["random_hits"].to_numpy(dtype="int64"),
        "major_found_any": ids.isin(majors["enterprise_id"].astype(str)),
        # the team of the labelled visit: a training-only covariate (``models.team``), never a feature
        "first_team": (first["team"].astype(object).reindex(ids).to_numpy() if "team" in first.columns
                       else np.full(len(ids), None, dtype=object)),
    }, index=ids)


def selection_bias(labels: pd.DataFrame, weights: pd.Series | None = None) -> dict[str, float]:
    """Per visit: the share of double-random visits and of the other visits that count finding a major
    hazard, and their ratio (NaN where undefined). ``n_random`` / ``n_targeted`` count visits.

    Labels without the per-visit counts (``visits``…) fall back to firms: the label rate of firms with a
    random visit and of the other labelled firms."""
    if {"visits", "visit_hits", "random_visits", "random_hits"} <= set(labels.columns):
        n_random, hits_random = float(labels["random_visits"].sum()), float(labels["random_hits"].sum())
        n_targeted = float(labels["visits"].sum()) - n_random
        hits_targeted = float(labels["visit_hits"].sum()) - hits_random
    else:
        random = labels["inspected_random"].to_numpy(dtype=bool)
        targeted = labels["inspected"].to_numpy(dtype=bool) & ~random
        hit = labels["label"].to_numpy(dtype=float)
        n_random, hits_random = float(random.sum()), float(hit[random].sum())
        n_targeted, hits_targeted = float(targeted.sum()), float(hit[targeted].sum())
    rate_random = hits_random / n_random if n_random > 0 else float("nan")
    rate_targeted = hits_targeted / n_targeted if n_targeted > 0 else float("nan")
    ratio = rate_targeted / rate_random if rate_random > 0 else float("nan")
    return {"n_random": int(n_random), "n_targeted": int(n_targeted), "hit_rate_random": rate_random,
            "hit_rate_targeted": rate_targeted, "ratio": ratio}


def design_matrix(X: pd.DataFrame) -> np.ndarray:
    """``X`` as numbers for the propensity model: standardised numbers (missing → mean, plus an
    indicator) and one-hot categories."""
    parts = []
    for name in X.columns:  # a loop over columns
        column = X[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            parts.append(pd.get_dummies(column, dtype="float64").to_numpy())
            continue
        values = pd.to_numeric(column, errors="coerce").astype("float64").to_numpy(na_value=np.nan)
        missing = np.isnan(values)
        mean = float(np.nanmean(values)) if (~missing).any() else 0.0
        values = np.where(missing, mean, values)
        spread = float(values.std()) or 1.0
        parts.append(((values - mean) / spread).reshape(-1, 1))
        if missing.any():
            parts.append(missing.astype("float64").reshape(-1, 1))
    return np.hstack(parts) if parts else np.zeros((len(X), 0))


def inspection_propensity(X: pd.DataFrame, labels: pd.DataFrame) -> pd.Series:
    """P(inspected in the window | features on the as-of date), fitted on these rows."""
    inspected = labels["inspected"].reindex(X.index).fillna(False).to_numpy(dtype=bool)
    if inspected.all() or not inspected.any() or X.shape[1] == 0:
        return pd.Series(inspected.mean() if len(inspected) else np.nan, index=X.index, name="propensity")
    design = design_matrix(X)
    model = LogisticRegression(C=0.1, max_iter=200, tol=1e-3)  # a rough propensity is enough; converges fast
    with threadpool_limits(1):  # BLAS threads spin on shared cores: one thread is several times faster here
        model.fit(design, inspected)
    return pd.Series(model.predict_proba(design)[:, 1], index=X.index, name="propensity")


def inspection_weights(X: pd.DataFrame, labels: pd.DataFrame, clip: float = PROPENSITY_CLIP) -> pd.Series:
    """Inverse-propensity weights per row of ``labels`` (see the module docstring); index as ``labels``."""
    labels = labels.reindex(X.index)
    inspected = labels["inspected"].fillna(False).to_numpy(dtype=bool)
    accident = labels["accident"].fillna(False).to_numpy(dtype=bool)
    propensity = np.clip(inspection_propensity(X, labels).to_numpy(), clip, 1.0)
    weight = np.where(inspected, 1.0 / propensity, 0.0)
    if inspected.any():
        weight = weight / weight[inspected].mean()
    weight = np.where(~inspected & accident, 1.0, weight)
    return pd.Series(weight, index=X.index, name="weight")
