"""What happened after an as-of date: the labels a risk score is judged against, and their selection bias.

``build_labels(tables, as_of, horizon_days=90)``: one row per enterprise operating on ``as_of``
(index ``enterprise_id``, sorted, the same rows as ``build_features``), describing the label window
``(as_of, as_of + horizon_days]`` of ``timeline.label_window``:

- ``inspected``: any inspection in the window; ``inspected_random``: any double-random (双随机,
  mode ``random``) inspection in it; ``first_mode``: the mode of the first one;
- ``major_found``: a major hazard (重大隐患) found in the window; ``accident``: an accident in it
  (``False`` when the accidents table is absent: none recorded);
- ``label`` = ``major_found or accident``: what the risk list's score estimates.

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
2. *Measuring the bias.* ``selection_bias(labels)``: the hit rate of firms inspected only by
   non-random visits over the hit rate of randomly inspected firms. A ratio of 1 means no selection;
   the shipped sample county shows about 1.2 over its backtest windows (per inspection, targeted visits
   find a major hazard at 6.7 %, random ones at 4.1 %).
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
from analytics.contract.dates import HORIZON_DAYS, to_timestamp
from analytics.snapshot.timeline import as_known_on, label_window, operating_on

LABEL_COLUMNS = ("inspected", "inspected_random", "major_found", "accident", "label", "first_mode")
PROPENSITY_CLIP = 0.05


def _in_window(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    return (dates > start) & (dates <= end)


def build_labels(tables: dict[str, pd.DataFrame], as_of: object, horizon_days: int = HORIZON_DAYS) -> pd.DataFrame:
    """The labels of the enterprises operating on ``as_of`` (see the module docstring)."""
    as_of = to_timestamp(as_of)
    start, end = label_window(as_of, horizon_days)
    enterprises = operating_on(as_known_on(tables, as_of), as_of)
    ids = pd.Index(np.sort(enterprises["enterprise_id"].astype(str).to_numpy()), name="enterprise_id")

    inspections = tables["inspections"]
    inspections = inspections.loc[_in_window(inspections["date"], start, end)]
    inspections = inspections.sort_values(["date", "inspection_id"], kind="stable")
    inspected_ids = inspections["enterprise_id"].astype(str)
    random_ids = inspected_ids.loc[inspections["mode"].astype(object).eq("random").to_numpy()]
    first = inspections.assign(enterprise_id=inspected_ids).drop_duplicates("enterprise_id").set_index("enterprise_id")

    hazards = tables["hazards"]
    majors = hazards.loc[_in_window(hazards["found_date"], start, end) & hazards["level"].astype(object).eq("major")]
    accidents = tables.get("accidents")
    accident_ids = (accidents.loc[_in_window(accidents["date"], start, end), "enterprise_id"].astype(str)
                    if accidents is not None else pd.Series([], dtype=str))

    major_found = ids.isin(majors["enterprise_id"].astype(str))
    accident = ids.isin(accident_ids)
    modes = pd.CategoricalDtype(schema.TABLES["inspections"].column("mode").code_values())
    return pd.DataFrame({
        "inspected": ids.isin(inspected_ids),
        "inspected_random": ids.isin(random_ids),
        "major_found": major_found,
        "accident": accident,
        "label": major_found | accident,
        "first_mode": first["mode"].astype(object).reindex(ids).astype(modes).to_numpy(),
    }, index=ids)


def selection_bias(labels: pd.DataFrame, weights: pd.Series | None = None) -> dict[str, float]:
    """Hit rates of randomly and only non-randomly inspected firms, and their ratio (NaN where undefined)."""
    random = labels["inspected_random"].to_numpy(dtype=bool)
    targeted = labels["inspected"].to_numpy(dtype=bool) & ~random
    hit = labels["label"].to_numpy(dtype=float)
    rate_random = float(hit[random].mean()) if random.any() else float("nan")
    rate_targeted = float(hit[targeted].mean()) if targeted.any() else float("nan")
    ratio = rate_targeted / rate_random if rate_random > 0 else float("nan")
    return {"n_random": int(random.sum()), "n_targeted": int(targeted.sum()), "hit_rate_random": rate_random,
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
