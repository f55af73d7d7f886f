"""Training and choosing the serving model: stacked snapshots, the backtest, the selection rule, the fallback.

- ``training_set(tables, as_of, snapshots=12)``: feature snapshots at monthly as-of dates whose
  90-day label windows closed by ``as_of`` (so training as of a day uses only what was known that
  day), stacked with ``build_labels`` on the enterprises whose outcome was observed (inspected, or an
  accident); index ``(snapshot, enterprise_id)``; weights are the labels module's inverse-propensity
  weights when it gives them, else 1.
- ``choose(metrics)``: highest precision at capacity in the backtest, then lowest Brier score, then
  the simpler model (rule of thumb < logistic < boosted).
- ``too_little_history(y)``: fewer than ``MIN_POSITIVES`` labelled positives, a fresh county: the
  rule-of-thumb scorecard serves and the card and the CLI say so in both languages.
- ``train_models(store, as_of, registry)``: all of it, registering the winner (first one served).

The card keeps what the model page draws, so nothing is recomputed to show it: ``backtest`` (the
precision curve at 1–20 % capacity, calibration by decile, per town and per sector, for every model
of the comparison; ``backtest_record``), ``importance`` (mean |contribution| per feature on the
as-of firms, ``explain.global_importance``) and ``calibration`` (how scores became probabilities).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from analytics.contract.dates import HORIZON_DAYS, to_timestamp
from analytics.contract.errors import UserError
from analytics.models.backtest import CAPACITY_OF, capacity_count, new_cache, run_backtest
from analytics.models.campaign import CampaignRule
from analytics.models.candidates import SEED
from analytics.models.nested import nested_select
from analytics.models.team import VISIT_TEAM
from analytics.snapshot.snapshot import AsOf, Snapshot, as_snapshot
from analytics.snapshot.timeline import rolling_origins
from analytics.store.database import latest_record_date
from analytics.features import build_features
from analytics.models.explain import global_importance
from analytics.models.labels import build_labels, inspection_weights
from analytics.models.registry import ModelRegistry, data_fingerprint
from analytics.models.sample import TrainingSample

MIN_POSITIVES = 30
SNAPSHOTS = 24
BACKTEST_ORIGINS = 12  # 4 origins let noise pick the winner (the truth itself ranked below the rule of thumb)
CAPACITY = 0.05
SIMPLICITY = {"random": -1, "rule_of_thumb": 0, "prior_violations": 0, "last_inspection": 0, "logistic": 1, "boosted": 2,
              "blend": 3}
METRIC_LABELS = {
    "precision_at_capacity": ("容量内命中率", "Precision at capacity"),
    "brier": ("Brier 分数", "Brier score"),
    "precision_random_only": ("容量内命中率（仅双随机）", "Precision (random inspections only)"),
    "capture_of_best": ("占最优命中比例（回测）", "Share of best possible (backtest)"),
    "capture_at_as_of": ("占最优命中比例（评估日）", "Share of best possible (as-of list)"),
}
FALLBACK_NOTE = {
    "zh": "本县已标注的阳性样本不足 {n} 个（实有 {found} 个），暂用含专项行动重点的经验评分卡（CampaignRule），积累检查结果后再训练模型。",
    "en": "This county has fewer than {n} labelled positives ({found} found), so the office's rule-of-thumb "
          "scorecard with the campaign's priorities serves until more inspection results accumulate.",
}


def _weights(features: pd.DataFrame, labels: pd.DataFrame, weighted: bool) -> pd.Series:
    """``labels.inspection_weights`` (inverse propensity of being inspected) or ones."""
    if not weighted:
        return pd.Series(1.0, index=features.index)
    return inspection_weights(features, labels)


def _align_categories(frames: list[pd.DataFrame]) -> pd.DataFrame:
    stacked = pd.concat(frames)
    for name in frames[0].columns:
        kinds = [f[name].dtype for f in frames if name in f]
        if any(isinstance(k, pd.CategoricalDtype) for k in kinds):
            union = pd.Index([]).append([pd.Index(k.categories) for k in kinds if isinstance(k, pd.CategoricalDtype)]).unique()
            stacked[name] = pd.Categorical(stacked[name].astype(object), categories=union)
    return stacked


def snapshot_dates(as_of: object, snapshots: int = SNAPSHOTS, horizon_days: int = HORIZON_DAYS) -> list[pd.Timestamp]:
    """Monthly as-of dates, the latest ``horizon_days`` before ``as_of`` (its label window closed)."""
    return rolling_origins(to_timestamp(as_of) - pd.Timedelta(days=horizon_days), count=snapshots)


def training_set(tables: Snapshot | dict[str, pd.DataFrame], as_of: object = None, snapshots: int = SNAPSHOTS,
                 horizon_days: int = HORIZON_DAYS, weighted: bool = True,
                 visit_team: bool = False, cache: object = None) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    """``(X, y, weights)`` stacked over ``snapshot_dates``; only records known on the snapshot's date
    (a tables dict is cut to ``as_of`` first) are used. ``visit_team``: add the team of the labelled
    visit (``models.team.VISIT_TEAM``), a training-only column that only ``TeamAveraged`` may read;
    without it the matrix holds exactly the features a list is scored with. ``cache``: a
    ``backtest.new_cache`` of the same known tables, horizon and weighting, whose dates the backtest
    built already (the latest snapshots are its origins): each date's matrix is built once."""
    known_then = as_snapshot(tables, as_of)
    as_of, known = known_then.as_of.ts, known_then.as_dict()
    frames, targets, weights = [], [], []
    for snapshot in snapshot_dates(as_of, snapshots, horizon_days):  # a loop over dates
        if cache is not None:
            features, labels, date_weights = cache.get(snapshot, horizon_days)
        else:
            features = build_features(known, snapshot)
            labels = build_labels(known, snapshot, horizon_days=horizon_days).reindex(features.index)
            date_weights = _weights(features, labels, weighted)
        observed = (labels["inspected"].fillna(False).astype(bool) | labels["accident"].fillna(False).astype(bool))
        if not observed.any():
            continue
        chosen = features.loc[observed.to_numpy()]
        chosen.index = pd.MultiIndex.from_arrays([np.full(len(chosen), snapshot), chosen.index.astype(str)],
                                                 names=["snapshot", "enterprise_id"])
        if visit_team and "first_team" in labels and labels["first_team"].notna().any():  # training-only: who visited
            chosen = chosen.assign(**{VISIT_TEAM: labels.loc[observed, "first_team"].to_numpy()})
        frames.append(chosen)
        targets.append(labels.loc[observed, "label"].fillna(False).astype(int).to_numpy())
        weights.append(date_weights.loc[observed].to_numpy(dtype=float))
    if not frames:
        return pd.DataFrame(), pd.Series(dtype=int), np.zeros(0)
    X = _align_categories(frames)
    return X, pd.Series(np.concatenate(targets), index=X.index, name="label"), np.concatenate(weights)


def too_little_history(y: pd.Series, min_positives: int = MIN_POSITIVES) -> bool:
    return int(y.sum()) < min_positives


def choose(metrics: pd.DataFrame) -> str:
    """The winner among ``metrics`` (index model name; ``precision_at_capacity``, ``brier``), never random/truth."""
    eligible = metrics.drop(index=[m for m in ("random", "truth") if m in metrics.index])
    ordered = eligible.assign(
        _precision=-eligible["precision_at_capacity"].round(6),
        _brier=eligible["brier"].fillna(np.inf).round(6),
        _simple=[SIMPLICITY.get(name, 9) for name in eligible.index],
    ).sort_values(["_precision", "_brier", "_simple"], kind="stable")
    return str(ordered.index[0])


def version_id(name: str, as_of: pd.Timestamp, fingerprint: str, params: dict) -> str:
    digest = hashlib.sha256(json.dumps([name, fingerprint, params], sort_keys=True, default=str).encode()).hexdigest()
    return f"{as_of:%Y%m%d}-{name}-{digest[:8]}"


@dataclass
class TrainingReport:
    """What ``saferank train`` prints: the comparison table and what was registered."""

    as_of: pd.Timestamp
    metrics: pd.DataFrame
    winner: str
    version: str
    serving: str | None
    n_rows: int
    n_positive: int
    notes: dict[str, str] = field(default_factory=dict)

    def render(self, lang: str = "zh") -> str:
        i = 0 if lang == "zh" else 1
        table = self.metrics.rename(columns={k: v[i] for k, v in METRIC_LABELS.items()})
        lines = [table.to_string(float_format=lambda v: f"{v:.4f}")]
        if lang == "zh":
            lines.append(f"训练截止 {self.as_of.date()}：{self.n_rows} 个样本，其中阳性 {self.n_positive} 个。")
            lines.append(f"胜出模型：{self.winner}，已登记为版本 {self.version}；当前在用版本：{self.serving}。")
        else:
            lines.append(f"Trained as of {self.as_of.date()}: {self.n_rows} rows, {self.n_positive} positive.")
            lines.append(f"Winner: {self.winner}, registered as {self.version}; serving: {self.serving}.")
        if self.notes.get(lang):
            lines.append(self.notes[lang])
        return "\n".join(lines)


def capture_of_best(scores: np.ndarray, truth: np.ndarray, capacity: float) -> float:
    """Truth's ``p_label`` summed over the model's top ``k`` over its sum over the truth's own top ``k``."""
    k = capacity_count(capacity, len(scores))
    order = np.lexsort((np.arange(len(scores)), -np.round(scores, 6)))  # the list's own tie rule: position = id order
    best = np.sort(truth)[::-1][:k].sum()
    return float(truth[order[:k]].sum() / best) if best > 0 else float("nan")


BACKTEST_PARTS = ("parameters", "precision_curve", "calibration", "by_town", "by_sector")
CALIBRATION_BY_MODEL = {"boosted": "platt_out_of_fold", "logistic": "logistic", "blend": "blend_of_logits"}


def backtest_record(result: object) -> dict:
    """The parts of a ``BacktestResult`` the model page draws, as JSON-ready records for the card."""
    full = result.to_dict()
    return {part: full[part] for part in BACKTEST_PARTS}


def calibration_method(name: str, model: object) -> str:
    """How ``model`` turns its ranking into probabilities (a code of ``analytics.views.modelview.CALIBRATION_METHODS``)."""
    if hasattr(model, "calibrated_"):  # the points rules (scorecard, baselines)
        return "platt_points" if getattr(model, "calibrated_", False) else "fixed_points"
    return CALIBRATION_BY_MODEL.get(name, "unknown")


def scoring_window(capacity_of: str, window_days: int | None) -> int:
    """The days scored after each backtest origin (default the label horizon), after checking both
    options, before any feature is built."""
    if capacity_of not in CAPACITY_OF:
        raise UserError(f"检查能力须按 operating（在营企业）或 inspected（窗口内被检查企业）计，收到 {capacity_of}。",
                        f"Capacity is a share of 'operating' firms or of those 'inspected' in the window; got {capacity_of}.")
    if window_days is not None and not (isinstance(window_days, (int, np.integer)) and window_days > 0):
        raise UserError(f"评分窗口天数须为正整数（如 30），收到 {window_days}。",
                        f"The scored window must be a positive whole number of days (such as 30); got {window_days}.")
    return HORIZON_DAYS if window_days is None else int(window_days)


def _fit(model: object, X: pd.DataFrame, y: pd.Series, weights: np.ndarray) -> object:
    if not getattr(model, "uses_visit_team", False):  # the visit's team is for TeamAveraged alone
        X = X.drop(columns=[VISIT_TEAM], errors="ignore")
    return model.fit(X, y, sample_weight=weights)


def train_on_tables(tables: Snapshot | dict[str, pd.DataFrame], as_of: object, registry, truth: pd.DataFrame | None = None,
                    capacity: float = CAPACITY, snapshots: int = SNAPSHOTS, origins: int = BACKTEST_ORIGINS,
                    min_positives: int = MIN_POSITIVES, seed: int = SEED, ablations: bool = True,
                    capacity_of: str = "operating", window_days: int | None = None,
                    matrices: Callable | None = None, sample: TrainingSample | None = None) -> TrainingReport:
    """Train, backtest, choose and register (see the module docstring): a ``Snapshot`` (``as_of`` None
    or its date), or a tables dict that may hold later records, cut to ``as_of`` here. ``ablations``:
    the winner also refitted without weights and without the power family at the reported origins
    (``models.ablation``; the card's ``selection_detail.with_without``). ``capacity_of`` and
    ``window_days``: how the backtests that tune, choose and report score each origin
    (``backtest.run_backtest``), kept on the card; the last origin is ``window_days`` before ``as_of``.
    ``matrices``: given the known tables, a date → feature matrix function in place of ``build_features``
    (the Dask engine's, ``analytics.engine.dask_engine.train_store``). ``sample``: fit on a stable sample of
    the training rows (``models.sample``), the same draw in the backtest's fits; stated on the card."""
    window = scoring_window(capacity_of, window_days)
    snapshot = as_snapshot(tables, as_of)
    as_of, known = snapshot.as_of.ts, snapshot.as_dict()
    # each date's features, labels and weights built once, for all of training
    cache = new_cache(known, HORIZON_DAYS, features=None if matrices is None else matrices(known))
    origin_dates = rolling_origins(as_of - pd.Timedelta(days=window), count=origins)
    if sample is not None:  # counted and drawn before any matrix is built: a cluster builds the drawn firms' alone
        sample.check_capacity(capacity)
        cache.draw_sample(sample, snapshot_dates(as_of, snapshots), [*origin_dates, as_of])
    X, y, weights = training_set(snapshot, snapshots=snapshots, visit_team=True, cache=cache)
    sampled: dict = {}
    if sample is not None:  # the same draw for the final fit and every backtest fit (the cache's training rows)
        keep = cache.sample.keep(X.index.get_level_values("enterprise_id"), X.index.get_level_values("snapshot"))
        X, y, weights = X.loc[keep], y.loc[keep], weights[keep]
        sampled = {"record": cache.sample.record(len(y)), "note": cache.sample.note(len(y))}
    fingerprint = data_fingerprint(known)
    dates = snapshot_dates(as_of, snapshots)
    now = build_features(snapshot) if matrices is None and cache.draw is None else cache.matrix(as_of)
    notes: dict[str, str] = {}
    if too_little_history(y, min_positives):
        winner, model = "rule_of_thumb", CampaignRule().fit(now)  # the rule of thumb with the campaign's priorities
        notes = {lang: text.format(n=min_positives, found=int(y.sum())) for lang, text in FALLBACK_NOTE.items()}
        metrics = pd.DataFrame(columns=list(METRIC_LABELS))
        backtest: dict = {}
        selection: dict = {}
    else:
        nested = nested_select(known, origin_dates, capacity, snapshots, seed=seed, truth=truth, cache=cache,
                               capacity_of=capacity_of, window_days=window)
        models, reported = nested["models"], nested["reported"]
        result = nested["result"]
        report_origins = reported["origin"].unique()
        result = replace(result, metrics=reported, curve=result.curve.loc[result.curve["origin"].isin(report_origins)],
                         groups=result.groups.loc[result.groups["origin"].isin(report_origins)])
        summary = result.summary()
        backtest = backtest_record(result)
        metrics = summary[[c for c in METRIC_LABELS if c in summary.columns]].copy()
        selection = {"split": nested["split"], "params": nested["params"], "choice": nested["choice"],
                     "intervals": json.loads(result.intervals().reset_index().to_json(orient="records")),
                     "comparisons": result.comparisons(),
                     # the summary's means over origins with their intervals, and model − rule of thumb in words
                     "mean_intervals": json.loads(result.mean_intervals().reset_index().to_json(orient="records")),
                     "mean_comparisons": result.mean_comparisons()}
        if ablations:  # the winner with and without IPW and the power family, on the reported origins, features reused
            ablated = run_backtest(known, list(report_origins), {nested["winner"]: models[nested["winner"]]}, capacity=capacity,
                                   snapshots=snapshots, seed=seed, cache=nested["cache"], ablate=nested["winner"],
                                   capacity_of=capacity_of, window_days=window)
            selection["with_without"] = ablated.with_without()
        notes = dict(nested["notes"])
        needed = [n for n in models if n != "random"] if truth is not None else [nested["winner"]]
        fitted = {name: _fit(models[name], X, y, weights) for name in needed}
        if truth is not None:
            truth_p = truth.assign(enterprise_id=truth["enterprise_id"].astype(str)).set_index("enterprise_id")["p_label"]
            truth_now = truth_p.reindex(now.index.astype(str)).fillna(0.0).to_numpy()
            rng = np.random.default_rng(seed)
            as_of_capture = {name: capture_of_best(m.predict_proba(now[list(X.columns.drop(VISIT_TEAM, errors="ignore"))])[:, 1], truth_now, capacity)
                             for name, m in fitted.items()}
            as_of_capture["random"] = float(np.mean([capture_of_best(rng.random(len(now)), truth_now, capacity)
                                                     for _ in range(20)]))
            as_of_capture["truth"] = 1.0
            metrics["capture_at_as_of"] = pd.Series(as_of_capture)
        winner = nested["winner"]
        model = fitted[winner]
    if sampled:
        notes = {lang: " ".join(filter(None, (notes.get(lang), sampled["note"][lang]))) for lang in ("zh", "en")}
    features = list(getattr(model, "feature_names_in_", now.columns))
    importance = global_importance(model, now.reindex(columns=features), seed=seed)
    params = {k: v for k, v in model.get_params().items() if not callable(v)}
    version = version_id(winner, as_of, fingerprint, params)
    card = {
        "version": version, "model": winner, "trained_as_of": as_of.date().isoformat(),
        "training_window": [dates[0].date().isoformat(), as_of.date().isoformat()],
        "snapshots": [d.date().isoformat() for d in dates], "n_rows": int(len(y)), "n_positive": int(y.sum()),
        "features": features, "params": params, "capacity": capacity, "capacity_of": capacity_of, "window_days": window,
        "metrics": {name: {k: (None if pd.isna(v) else float(v)) for k, v in row.items()} for name, row in metrics.iterrows()},
        "data_fingerprint": fingerprint, "seed": seed, "notes": notes, "selection": SELECTION_RULE,
        "calibration": calibration_method(winner, model), "backtest": backtest,
        "importance": {name: float(value) for name, value in importance.items()},
        "selection_detail": selection, **({"training_sample": sampled["record"]} if sampled else {}),
    }
    version = registry.register(model, card)["version"]  # another id when this one exists (versions never change)
    return TrainingReport(as_of, metrics, winner, version, registry.serving(), int(len(y)), int(y.sum()), notes)


SELECTION_RULE = {
    "zh": "超参数在最早的回测起点上按本县记录调定；胜者在其后、从未用于调参的起点上选出：取最简单的模型，"
          "除非更复杂者的命中率提升超过其不确定性（1.96 倍标准误，已按窗口重叠放大）；"
          "表中数字来自最后三分之一的起点，择优从未读取它们。",
    "en": "Hyper-parameters tuned on the earliest backtest origins, on this county's own records; the winner chosen on "
          "later origins never used for tuning: the simplest model unless a more complex one's gain in precision "
          "exceeds its uncertainty (1.96 standard errors, inflated for overlapping windows); the figures shown come "
          "from the last third of the origins, which the choice never read.",
}


def train_models(store, as_of: AsOf | None = None, models_dir: object = None, truth: object = None,
                 capacity: float = CAPACITY, snapshots: int = SNAPSHOTS, origins: int = BACKTEST_ORIGINS,
                 ablations: bool = True, capacity_of: str = "operating", window_days: int | None = None,
                 matrices: Callable | None = None, sample: TrainingSample | None = None) -> TrainingReport:
    """``saferank train``: train on the store as known on ``as_of`` (default: the newest inspection);
    ``matrices`` and ``sample`` as ``train_on_tables``."""
    scoring_window(capacity_of, window_days)  # a wrong option is refused before the store is read
    as_of = AsOf.parse(as_of) if as_of is not None else AsOf(latest_record_date(store))
    truth_frame = pd.read_csv(truth, dtype={"enterprise_id": str}) if truth else None
    return train_on_tables(Snapshot.from_store(store, as_of), None, ModelRegistry(models_dir), truth_frame, capacity,
                           snapshots=snapshots, origins=origins, ablations=ablations, capacity_of=capacity_of,
                           window_days=window_days, matrices=matrices, sample=sample)
