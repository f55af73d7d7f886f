"""An honest backtest: at rolling origins, train on the past, rank the operating firms, score on what followed.

At each origin (monthly over the last year by default) every model is cloned and fitted on stacked
feature snapshots whose 90-day label windows closed by the origin (``snapshots`` monthly as-of dates
up to ``origin - horizon``), on the firms whose outcome was observed (inspected, or an accident),
weighted by ``labels.inspection_weights`` (inverse propensity of being inspected). It then ranks the
enterprises operating on the origin and is scored on the window after it, among the enterprises
inspected there (the labelled ones):

- precision at capacity ``k`` (default 5 % of operating firms; an int is a count): among the model's
  top ``k`` that were inspected, the (weighted) share with a label; also unweighted and on double-random
  inspections only (the unbiased sample); recall at ``k``; lift over the base rate;
- or, with ``capacity_of="inspected"``, the office's own visits re-ordered: each origin ranks only the
  enterprises inspected in its window (every one labelled, so no weights), ``k`` is the share
  ``capacity`` of them, precision is the share of the top ``k`` with a label and recall the share of
  the window's labelled firms in the top ``k`` (how a city evaluates a model that orders its routine
  inspections: "the first half of the visits found x % of the violations");
- ``window_days`` (default ``horizon_days``): the label window scored after each origin; monthly
  origins with ``window_days=30`` tile a year, each visit scored once (training labels keep
  ``horizon_days``);
- ROC AUC and Brier score (weighted, and on random inspections only), a calibration table by score
  decile, the same counts per town and per sector;
- with a simulated county's truth: ``capture_of_best`` = truth ``p_label`` summed over the model's
  top ``k`` / summed over the truth's top ``k`` (the truth describes the 90 days after the county's
  as-of date; at earlier origins it is the nearest available stand-in for the latent risk), and a
  ``truth`` row that ranks by it.

Ties in a score are broken by one seeded random order per origin, shared by all models, so the
``random`` baseline (a constant score: the training base rate) is a seeded random order, and a
scorecard's plateaus are not ordered by id. Baselines always present: ``random``, ``rule_of_thumb`` and
the history rules of ``analytics.models.baselines`` (``prior_violations``, ``last_inspection``);
``default_models()`` adds the learned candidates of ``analytics.models.select``. A model wrapped in
``sklearn.frozen.FrozenEstimator`` is scored as it is at every origin (a list served all year without
retraining). ``BacktestResult.pooled()`` pools the top-``k`` hits over origins with their binomial
standard error.

Long because the backtest's loop, its metrics at capacity and its per-origin tables share one set of
intermediate frames (scores, labels, weights per origin); the intervals live in ``uncertainty`` and
the report in ``report``. The next seam to cut, if it grows: the per-town/per-sector breakdowns.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.utils.validation import check_is_fitted

from analytics.contract.dates import HORIZON_DAYS, to_timestamp
from analytics.contract.errors import UserError
from analytics.features import build_features
from analytics.models import ablation
from analytics.models.baselines import baseline_rules
from analytics.models.campaign import CampaignRule
from analytics.models.candidates import candidates
from analytics.models.fitting import SharedFits, side_by_side
from analytics.models.labels import build_labels, inspection_weights, selection_bias
from analytics.models.sample import FirmDraw, TrainingSample, counted_sample
from analytics.models.team import VISIT_TEAM, TeamAveraged
from analytics.models.uncertainty import comparisons, curve_intervals, mean_comparisons, mean_intervals, pooled_intervals
from analytics.models.validation import SingleClassError, binary_labels, binary_tags, feature_frame, weights_or_none
from analytics.snapshot.timeline import rolling_origins

CAPACITY = 0.05
CAPACITY_OF = ("operating", "inspected")
SNAPSHOTS = 6
ORIGINS = 12
CURVE_SHARES = tuple(round(0.01 * i, 2) for i in range(1, 21))
METRIC_LABELS = {
    "precision_at_capacity": ("容量内命中率", "Precision at capacity"),
    "precision_unweighted": ("容量内命中率（未加权）", "Precision (unweighted)"),
    "precision_random_only": ("容量内命中率（仅双随机）", "Precision (random inspections only)"),
    "recall_at_capacity": ("容量内召回率", "Recall at capacity"),
    "lift": ("提升倍数", "Lift"),
    "auc": ("ROC AUC", "ROC AUC"),
    "auc_random_only": ("ROC AUC（仅双随机）", "ROC AUC (random only)"),
    "brier": ("Brier 分数", "Brier score"),
    "brier_random_only": ("Brier 分数（仅双随机）", "Brier (random only)"),
    "capture_of_best": ("占最优命中比例", "Share of best possible"),
}


class RandomScore(ClassifierMixin, BaseEstimator):
    """The random baseline: every firm gets the (weighted) training base rate; the backtest's seeded
    tie-break turns that into a random order. Labels are optional (no labels: rate 0); one class alone
    gives its rate (0 or 1). Passes scikit-learn's estimator checks but ``EXPECTED_FAILED_CHECKS``."""

    def fit(self, X: object, y: object = None, sample_weight: object = None) -> RandomScore:
        frame = feature_frame(X, self, reset=True)
        weights = weights_or_none(sample_weight, len(frame))
        self.classes_, target = np.array([0, 1]), np.zeros(len(frame))
        if y is not None:
            try:
                target = binary_labels(y, self, len(frame)).astype(float)
            except SingleClassError:  # one class: its own rate
                target = np.full(len(frame), float(np.unique(np.asarray(y, dtype=float))[0] == 1))
        self.rate_ = float(np.average(target, weights=weights))
        return self

    def predict_proba(self, X: object) -> np.ndarray:
        check_is_fitted(self, "rate_")
        p = np.full(len(feature_frame(X, self, reset=False)), self.rate_)
        return np.column_stack([1 - p, p])

    def predict(self, X: object) -> np.ndarray:
        positive = self.predict_proba(X)[:, 1] > 0.5
        return self.classes_[positive.astype(int)]

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "rate_")
        frame = feature_frame(X, self, reset=False)
        return pd.DataFrame(0.0, index=frame.index, columns=frame.columns)

    def __sklearn_tags__(self):  # noqa: D105 - binary only, NaN allowed, labels optional
        return binary_tags(super().__sklearn_tags__(), labels_optional=True)


EXPECTED_FAILED_CHECKS = {  # scikit-learn's estimator checks RandomScore fails, and why
    "check_classifiers_train": "the random baseline gives every firm the base rate: it learns no ranking, by design",
}


def default_models(include_learned: bool = True, seed: int = 0) -> dict[str, object]:
    """``random``, ``rule_of_thumb`` and the history rules, plus the learned candidates (``models.candidates``)."""
    # the office's rule of thumb with the campaign's priorities (``models.campaign``): the baseline to beat
    models: dict[str, object] = {"random": RandomScore(), "rule_of_thumb": CampaignRule(), **baseline_rules()}
    if include_learned:
        models.update(candidates(seed))
    return models


def parse_capacity(text: object) -> float | int:
    """``0.05`` (a share of operating firms) or ``50`` (a count)."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = float("nan")
    if not value > 0:
        raise UserError(f"检查能力须为正数（比例如 0.05，或家数如 50），收到 {text}。",
                        f"Capacity must be positive (a share such as 0.05, or a count such as 50); got {text}.")
    return value if value < 1 else int(round(value))


def capacity_count(capacity: float | int, n: int) -> int:
    if isinstance(capacity, (int, np.integer)) or capacity >= 1:
        return max(1, min(int(capacity), n))
    return max(1, min(math.ceil(capacity * n), n))


def default_origins(tables: dict[str, pd.DataFrame], count: int = ORIGINS, as_of: object = None,
                    horizon_days: int = HORIZON_DAYS) -> list[pd.Timestamp]:
    """Monthly origins, the last one ``horizon_days`` before ``as_of`` (default: the newest inspection)."""
    if as_of is None:
        dates = tables["inspections"]["date"]
        if dates.notna().sum() == 0:
            raise UserError("没有检查记录，无法回测。", "There are no inspections to backtest on.")
        as_of = dates.max()
    return rolling_origins(to_timestamp(as_of) - pd.Timedelta(days=horizon_days), count=count)


@dataclass
class BacktestResult:
    """Per-origin metrics and the tables the report draws; ``summary()`` averages over origins."""

    metrics: pd.DataFrame  # origin, model, k, n_operating, n_labelled, ... and METRIC_LABELS
    curve: pd.DataFrame  # origin, model, share, k, precision, precision_random_only, n_top_labelled, n_top_positive
    calibration: pd.DataFrame  # model, decile, mean_score, observed, weight, n
    groups: pd.DataFrame  # model, by, group, sums to pool over origins
    bias: pd.DataFrame  # origin and labels.selection_bias
    parameters: dict = field(default_factory=dict)
    notes: list[dict] = field(default_factory=list)
    # the ablated model refitted without weights / without the power family (``models.ablation``):
    # per-origin rows like ``metrics``, kept apart so they never enter the comparison or the choice
    ablations: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> pd.DataFrame:
        """Mean of each metric over origins, per model (index model)."""
        kept = [c for c in METRIC_LABELS if c in self.metrics.columns]
        table = self.metrics.groupby("model", sort=False)[kept].mean()
        return table.dropna(axis=1, how="all")

    def pooled(self) -> pd.DataFrame:
        """Per model, the top-``k`` visits pooled over origins: ``n`` labelled in the top ``k``, ``hits``
        among them, ``precision`` = hits / n (unweighted) and its binomial standard error ``se``."""
        sums = self.metrics.groupby("model", sort=False)[["n_top_labelled", "n_top_positive"]].sum()
        n, hits = sums["n_top_labelled"].astype(float), sums["n_top_positive"].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = hits / n
            se = np.sqrt(precision * (1 - precision) / n)
        return pd.DataFrame({"n": n.astype(int), "hits": hits.astype(int), "precision": precision, "se": se})

    def group_summary(self, by: str) -> pd.DataFrame:
        """Per ``town`` or ``sector`` and model, pooled over origins."""
        part = self.groups.loc[self.groups["by"] == by]
        sums = part.groupby(["group", "model"], sort=True)[
            ["n_labelled", "n_positive", "n_top", "n_top_labelled", "w_top", "wy_top", "w_all", "wy_all"]].sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            sums["observed_rate"] = sums["wy_all"] / sums["w_all"]
            sums["precision_at_capacity"] = sums["wy_top"] / sums["w_top"]
        return sums.drop(columns=["w_top", "wy_top", "w_all", "wy_all"]).reset_index()

    def _window_days(self) -> int:
        return int(self.parameters.get("window_days") or self.parameters.get("horizon_days") or HORIZON_DAYS)

    def intervals(self) -> pd.DataFrame:
        """Per model, pooled precision at the top and on the double-random visits at the top, with 95 %
        moving-block-bootstrap intervals over origins (``models.uncertainty.pooled_intervals``)."""
        return pooled_intervals(self.metrics, self._window_days())

    def comparisons(self) -> list[dict]:
        """Every model minus the rule of thumb and minus the best history rule, paired per origin, with
        block-bootstrap intervals and a sentence saying whether the difference is within noise."""
        return comparisons(self.metrics, self._window_days())

    def with_without(self) -> list[dict]:
        """The ablated model with and without inverse-propensity weights and the power family, paired
        per origin, with intervals and words (``models.ablation.with_without``); [] when not asked."""
        ablate = self.parameters.get("ablate")
        return ablation.with_without(self.metrics, self.ablations, ablate, self.parameters.get("ablation_status", {}),
                                     self._window_days()) if ablate else []

    def mean_intervals(self) -> pd.DataFrame:
        """Per model, the summary's precisions (means over origins) with their 95 % block-bootstrap
        intervals (``models.uncertainty.mean_intervals``)."""
        return mean_intervals(self.metrics, self._window_days())

    def summary_with_intervals(self, digits: int = 4) -> pd.DataFrame:
        """``summary()`` (index model) with each precision written as text with its 95 % interval,
        ``"0.2100 (0.1800 – 0.2400)"`` (``mean_intervals``); the other metrics stay numbers."""
        table = self.summary()
        spans = self.mean_intervals() if len(self.metrics) else pd.DataFrame()
        for column in [c for c in table.columns if f"{c}_low" in spans.columns]:  # a loop over a few metrics
            low, high = spans[f"{column}_low"].reindex(table.index), spans[f"{column}_high"].reindex(table.index)
            table[column] = [("–" if pd.isna(v) else f"{v:.{digits}f}")
                             + ("" if pd.isna(v) or pd.isna(lo) else f" ({lo:.{digits}f} – {hi:.{digits}f})")
                             for v, lo, hi in zip(table[column], low, high, strict=True)]
        return table

    def mean_comparisons(self) -> list[dict]:
        """Every model's mean precision at capacity over origins minus the rule of thumb's, paired, in words."""
        return mean_comparisons(self.metrics, self._window_days())

    def curve_summary(self) -> pd.DataFrame:
        """Per model and capacity share 1–20 %: the top-``k`` visits pooled over origins, ``precision``
        with its 95 % block-bootstrap band ``low``/``high`` (``models.uncertainty.curve_intervals``), and
        the mean over origins of the precision on double-random visits. A curve without visit counts
        (older stored results) gives the means over origins and no band."""
        means = self.curve.groupby(["model", "share"], sort=False)[["precision", "precision_random_only"]].mean().reset_index()
        pooled = curve_intervals(self.curve, self._window_days())
        if pooled.empty:
            return means
        return pooled.merge(means[["model", "share", "precision_random_only"]], on=["model", "share"], how="left")

    def to_dict(self) -> dict:
        def records(frame: pd.DataFrame) -> list[dict]:
            out = frame.copy()
            for column in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[column]):
                    out[column] = out[column].dt.strftime("%Y-%m-%d")
            return json.loads(out.to_json(orient="records", force_ascii=False))

        return {
            "parameters": self.parameters,
            "notes": self.notes,
            "summary": records(self.summary().reset_index()),
            "metrics": records(self.metrics),
            "precision_curve": records(self.curve_summary()),
            "calibration": records(self.calibration),
            "by_town": records(self.group_summary("town")),
            "by_sector": records(self.group_summary("sector")),
            "selection_bias": records(self.bias),
            "intervals": records(self.intervals().reset_index()) if len(self.metrics) else [],
            "comparisons": self.comparisons(),
            "mean_intervals": records(self.mean_intervals().reset_index()) if len(self.metrics) else [],
            "mean_comparisons": self.mean_comparisons(),
            "with_without": self.with_without(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    def render(self, lang: str = "zh") -> str:
        i = 0 if lang == "zh" else 1
        table = self.summary_with_intervals().rename(columns={k: v[i] for k, v in METRIC_LABELS.items()})
        p = self.parameters
        if lang == "zh":
            basis = "窗口内被检查企业" if p.get("capacity_of") == "inspected" else "在营企业"
            head = (f"回测：{len(p.get('origins', []))} 个起点（{p.get('first_origin')} 至 {p.get('last_origin')}），"
                    f"检查能力 {p.get('capacity')}（按{basis}计），各起点指标的平均值（命中率后括号内为 95% 区间）：")
        else:
            basis = "firms inspected in the window" if p.get("capacity_of") == "inspected" else "operating firms"
            head = (f"Backtest: {len(p.get('origins', []))} origins ({p.get('first_origin')} to {p.get('last_origin')}), "
                    f"capacity {p.get('capacity')} (of {basis}), metrics averaged over origins (precisions with their 95% interval):")
        lines = [head, table.to_string(float_format=lambda v: f"{v:.4f}")]
        if len(self.metrics):
            intervals = self.intervals()
            lines.append("各起点汇总的容量内命中率（95% 区间：按起点的移动区块自助法，窗口重叠已计入）：" if lang == "zh" else
                         "Precision at capacity pooled over origins (95% interval: moving-block bootstrap over origins, "
                         "overlapping windows accounted for):")
            for model, row in intervals.iterrows():  # a loop over models
                random = ((" 双随机检查太少，无法判断" if lang == "zh" else "; too few random visits to tell")
                          if row.get("random_too_few", True) else
                          (f"；双随机 {row['random_precision']:.3f}（{row['random_low']:.3f}–{row['random_high']:.3f}，"
                           f"{int(row['random_n'])} 次）" if lang == "zh" else
                           f"; random visits {row['random_precision']:.3f} ({row['random_low']:.3f}–{row['random_high']:.3f}, "
                           f"n={int(row['random_n'])})"))
                lines.append(f"  {model}: {row['precision']:.3f} ({row['low']:.3f}–{row['high']:.3f}, n={int(row['n'])}){random}")
            lines += [c[lang] for c in self.comparisons()]
            lines += [c[lang] for c in self.mean_comparisons()]
            lines += [c[lang] for c in self.with_without()]
        if len(self.bias) and self.bias["ratio"].notna().any():
            ratio = float(self.bias["ratio"].mean())
            lines.append(f"选择偏差：重点检查命中率是双随机抽查的 {ratio:.2f} 倍。" if lang == "zh"
                         else f"Selection bias: targeted visits hit {ratio:.2f} times as often as random ones.")
        lines += [note[lang] for note in self.notes]
        return "\n".join(lines)


class _Cache:
    """Features, labels and weights per as-of date, each built once (they depend on the date only)."""

    def __init__(self, tables: dict[str, pd.DataFrame], horizon_days: int, weighted: bool,
                 features: Callable[[pd.Timestamp], pd.DataFrame] | None = None) -> None:
        self.tables, self.horizon_days, self.weighted = tables, horizon_days, weighted
        # how a date's matrix is built: default build_features on the tables; a partitioned engine
        # (analytics.engine) gives its own, equal to it
        self.build = features or (lambda as_of: build_features(self.tables, as_of))
        self._features: dict[pd.Timestamp, pd.DataFrame] = {}
        self._built: dict[tuple[pd.Timestamp, int], tuple[pd.DataFrame, pd.DataFrame, pd.Series]] = {}
        # learned models fitted on these tables, by snapshot dates and parameters: fitted once (``models.fitting``)
        self.fitted = SharedFits()
        # training on a sample of firm-origins (``models.sample``; ``saferank train --sample``): set before any fit
        self.sample: TrainingSample | None = None
        # the firms each date's matrix holds (``models.sample.FirmDraw``): set before any matrix is built
        self.draw: FirmDraw | None = None

    def sampled(self, sample: TrainingSample | None) -> _Cache:
        """A cache sharing this one's matrices, labels and weights (built once for both), whose fits are
        its own and use ``sample``: a backtest with and without a training sample on the same rows."""
        other = _Cache(self.tables, self.horizon_days, self.weighted, self.build)
        other._features, other._built, other.sample, other.draw = self._features, self._built, sample, self.draw
        return other

    def draw_sample(self, sample: TrainingSample, training: list[pd.Timestamp], evaluation: list[pd.Timestamp]) -> None:
        """Fit on ``sample`` and build each date's matrix for its drawn firms: the rows of the
        ``training`` dates counted first (``models.sample.counted_sample``; a ``build`` with a
        ``counts`` method, the Dask engine's, counts on the workers), ``evaluation``: the dates judged."""
        self.sample, self.draw = counted_sample(self.tables, sample, training, evaluation, self.horizon_days,
                                                counts=getattr(self.build, "counts", None))

    def matrix(self, as_of: pd.Timestamp) -> pd.DataFrame:
        """The feature matrix of ``as_of``, built once: every operating firm, or with a ``draw`` the
        drawn ones. A ``build`` with a ``drawn(date, draw)`` method (the Dask engine's) builds only
        theirs; otherwise the whole matrix is built and cut."""
        if as_of not in self._features:
            draw = self.draw
            if draw is None or draw.fraction(as_of) >= 1.0:
                self._features[as_of] = self.build(as_of)
            elif hasattr(self.build, "drawn"):
                self._features[as_of] = self.build.drawn(as_of, draw)
            else:
                X = self.build(as_of)
                self._features[as_of] = X.loc[draw.keep(X.index, as_of)]
        return self._features[as_of]

    def get(self, as_of: pd.Timestamp, days: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
        """Features on ``as_of``, labels of the ``days`` after it (default the horizon), weights."""
        key = (as_of, self.horizon_days if days is None else days)
        if key not in self._built:
            X = self.matrix(as_of)
            labels = build_labels(self.tables, as_of, key[1], ids=X.index)  # the matrix's firms: no second cut
            if self.weighted:
                weights = inspection_weights(X, labels)
            else:
                observed = labels["inspected"] | labels["accident"]
                weights = pd.Series(observed.astype(float).to_numpy(), index=X.index, name="weight")
            self._built[key] = (X, labels, weights)
        return self._built[key]


def new_cache(tables: dict[str, pd.DataFrame], horizon_days: int = HORIZON_DAYS, weighted: bool = True,
              features: Callable[[pd.Timestamp], pd.DataFrame] | None = None) -> _Cache:
    """A cache of features, labels and weights per date, to share between ``run_backtest`` calls on ``tables``.

    ``features``: date → feature matrix, in place of ``build_features(tables, date)`` (the Dask engine's)."""
    return _Cache(tables, horizon_days, weighted, features)


def _training_set(cache: _Cache, dates: list[pd.Timestamp]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    frames, targets, weights = [], [], []
    for date in dates:  # a loop over snapshot dates
        X, labels, w = cache.get(date)
        observed = (labels["inspected"] | labels["accident"]).to_numpy(dtype=bool)
        if cache.sample is not None:
            observed = observed & cache.sample.keep(X.index, date)
        frame = X.loc[observed]
        if "first_team" in labels and labels["first_team"].notna().any():  # training-only: who visited
            frame = frame.assign(**{VISIT_TEAM: labels["first_team"].to_numpy()[observed]})
        frames.append(frame)
        targets.append(labels["label"].to_numpy(dtype=int)[observed])
        weights.append(w.to_numpy()[observed])
    if not frames:
        return pd.DataFrame(), np.zeros(0, dtype=int), np.zeros(0)
    return pd.concat(frames), np.concatenate(targets), np.concatenate(weights)


def _has_teams(tables: dict[str, pd.DataFrame]) -> bool:
    inspections = tables.get("inspections")
    return inspections is not None and "team" in inspections.columns and bool(inspections["team"].notna().any())


def _fit(model: object, X: pd.DataFrame, y: np.ndarray, w: np.ndarray) -> object:
    if not getattr(model, "uses_visit_team", False):  # the visit's team is for TeamAveraged alone
        X = X.drop(columns=[VISIT_TEAM], errors="ignore")
    try:
        return model.fit(X, y, sample_weight=w)
    except TypeError:  # an estimator without sample weights
        return model.fit(X, y)


def _ranked_top(scores: np.ndarray, tiebreak: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((tiebreak, -scores))
    top = np.zeros(len(scores), dtype=bool)
    top[order[:k]] = True
    return order, top


def _safe_auc(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None) -> float:
    keep = np.ones(len(y), dtype=bool) if w is None else w > 0
    if len(np.unique(y[keep])) < 2:
        return float("nan")
    return float(roc_auc_score(y[keep], p[keep], sample_weight=None if w is None else w[keep]))


def _safe_brier(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None) -> float:
    keep = np.ones(len(y), dtype=bool) if w is None else w > 0
    if not keep.any():
        return float("nan")
    return float(brier_score_loss(y[keep], p[keep], sample_weight=None if w is None else w[keep]))


def _share(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else float("nan")


def score_origin(scores: np.ndarray, labels: pd.DataFrame, weights: np.ndarray, k: int, tiebreak: np.ndarray,
                 truth: np.ndarray | None = None) -> tuple[dict, pd.DataFrame, np.ndarray]:
    """The metrics of one model at one origin, its precision curve, and its top-``k`` mask."""
    inspected = labels["inspected"].to_numpy(dtype=bool)
    random = labels["inspected_random"].to_numpy(dtype=bool)
    y = labels["label"].to_numpy(dtype=int)
    w = np.where(inspected, weights, 0.0)
    order, top = _ranked_top(scores, tiebreak, k)
    wy = w * y
    # finds at the double-random visits themselves (per visit), not any visit of a firm that had one
    r_visits = labels["random_visits"].to_numpy(dtype=float) if "random_visits" in labels else random.astype(float)
    r_hits = labels["random_hits"].to_numpy(dtype=float) if "random_hits" in labels else (random & (y > 0)).astype(float)
    # AUC and Brier on random visits: the firms whose labelled (first) visit was the random one
    random_first = (labels["first_mode"].astype(object).eq("random").to_numpy(dtype=bool) & inspected
                    if "first_mode" in labels else random)
    row = {
        "k": k, "n_operating": len(y), "n_labelled": int(inspected.sum()), "n_positive": int(y[inspected].sum()),
        "n_top_labelled": int((top & inspected).sum()), "n_top_positive": int(y[top & inspected].sum()),
        "precision_at_capacity": _share(wy[top].sum(), w[top].sum()),
        "precision_unweighted": _share(y[top & inspected].sum(), (top & inspected).sum()),
        "precision_random_only": _share(r_hits[top].sum(), r_visits[top].sum()),
        "n_top_random_visits": int(r_visits[top].sum()), "n_top_random_hits": int(r_hits[top].sum()),
        "recall_at_capacity": _share(wy[top].sum(), wy.sum()),
        "base_rate": _share(wy.sum(), w.sum()),
        "auc": _safe_auc(y[inspected], scores[inspected], w[inspected]),
        "auc_random_only": _safe_auc(y[random_first], scores[random_first]),
        "brier": _safe_brier(y[inspected], scores[inspected], w[inspected]),
        "brier_random_only": _safe_brier(y[random_first], scores[random_first]),
    }
    row["lift"] = _share(row["precision_at_capacity"], row["base_rate"])
    if truth is not None:
        _, best = _ranked_top(truth, tiebreak, k)
        row["capture_of_best"] = _share(truth[top].sum(), truth[best].sum())
    cum_wy, cum_w = np.cumsum(wy[order]), np.cumsum(w[order])
    cum_ry, cum_r = np.cumsum(r_hits[order]), np.cumsum(r_visits[order])
    # the visits and hits at each share, unweighted, to pool over origins (``uncertainty.curve_intervals``)
    cum_n, cum_hits = np.cumsum(inspected[order]), np.cumsum((y * inspected)[order])
    ks = np.array([capacity_count(s, len(y)) for s in CURVE_SHARES])
    with np.errstate(divide="ignore", invalid="ignore"):
        curve = pd.DataFrame({
            "share": CURVE_SHARES, "k": ks,
            "precision": np.where(cum_w[ks - 1] > 0, cum_wy[ks - 1] / cum_w[ks - 1], np.nan),
            "precision_random_only": np.where(cum_r[ks - 1] > 0, cum_ry[ks - 1] / cum_r[ks - 1], np.nan),
            "n_top_labelled": cum_n[ks - 1], "n_top_positive": cum_hits[ks - 1],
        })
    return row, curve, top


def _group_rows(by: str, groups: np.ndarray, labels: pd.DataFrame, weights: np.ndarray, top: np.ndarray) -> pd.DataFrame:
    inspected = labels["inspected"].to_numpy(dtype=bool)
    y = labels["label"].to_numpy(dtype=float)
    w = np.where(inspected, weights, 0.0)
    frame = pd.DataFrame({
        "group": groups, "n_labelled": inspected.astype(int), "n_positive": (inspected & (y > 0)).astype(int),
        "n_top": top.astype(int), "n_top_labelled": (top & inspected).astype(int),
        "w_top": w * top, "wy_top": w * y * top, "w_all": w, "wy_all": w * y,
    })
    out = frame.groupby("group", sort=True, observed=True).sum().reset_index()
    return out.assign(by=by)


def _calibration(pooled: pd.DataFrame) -> pd.DataFrame:
    """Per model, deciles of the score among labelled firms pooled over origins (weighted rates)."""
    rows = []
    for model, part in (pooled.groupby("model", sort=False) if len(pooled) else ()):  # a loop over models
        decile = pd.qcut(part["score"].rank(method="first"), 10, labels=False) + 1
        grouped = part.assign(decile=decile, wp=part["w"] * part["score"], wy=part["w"] * part["y"]).groupby("decile")
        sums = grouped[["w", "wp", "wy"]].sum()
        table = pd.DataFrame({
            "model": model, "decile": sums.index.astype(int),
            "mean_score": (sums["wp"] / sums["w"]).to_numpy(), "observed": (sums["wy"] / sums["w"]).to_numpy(),
            "weight": sums["w"].to_numpy(), "n": grouped.size().to_numpy(),
        })
        rows.append(table)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["model", "decile", "mean_score", "observed", "weight", "n"])


def _fit_origin(cache: _Cache, dates: list[pd.Timestamp], origin: pd.Timestamp, window_days: int, models: dict[str, object],
                ablate: str | None, ablation_status: dict) -> tuple[dict, dict, list[dict], int, int]:
    """At one origin: every model fitted on the snapshots of ``dates`` (the cache's shared fits) and its
    scores on the origin's firms, the ablated variants' scores, the notes of models that could not be
    trained, and the training rows and positives."""
    X_train, y, w = _training_set(cache, dates)
    X = cache.get(origin, window_days)[0]
    scores: dict[str, np.ndarray] = {}
    notes: list[dict] = []
    fitted_models = cache.fitted.fit_all({name: clone(e) for name, e in models.items()}, tuple(dates),
                                         lambda m: _fit(m, X_train, y, w), errors=(UserError, ValueError), threads=1)
    for name, fitted in fitted_models.items():  # a loop over models
        try:
            if isinstance(fitted, Exception):
                raise fitted
            scores[name] = fitted.predict_proba(X.reindex(columns=X_train.columns.drop(VISIT_TEAM, errors="ignore")))[:, 1]
        except (UserError, ValueError) as error:
            notes.append({"zh": f"{origin.date()} {name} 未能训练：{error}", "en": f"{origin.date()} {name} could not be trained: {error}"})
    variants: dict[str, np.ndarray] = {}
    for variant in (v for v, state in ablation_status.items() if state == "ok" and ablate in scores):
        X_variant, w_variant = ablation.variant_inputs(variant, X_train, w)  # same rows, labels, origin
        fitted = _fit(ablation.unfitted_variant(models[ablate]), X_variant, y, w_variant)
        variants[variant] = fitted.predict_proba(X.reindex(columns=X_variant.columns.drop(VISIT_TEAM, errors="ignore")))[:, 1]
    return scores, variants, notes, len(y), int(y.sum())


def run_backtest(tables: dict[str, pd.DataFrame], origins: list[object] | None = None,
                 models: dict[str, object] | None = None, capacity: float | int = CAPACITY,
                 truth: pd.DataFrame | None = None, horizon_days: int = HORIZON_DAYS, snapshots: int = SNAPSHOTS,
                 seed: int = 0, weighted: bool = True, capacity_of: str = "operating",
                 window_days: int | None = None, cache: "_Cache | None" = None,
                 ablate: str | None = None) -> BacktestResult:
    """Backtest ``models`` (name → sklearn estimator, cloned at each origin) at ``origins``; see the module docstring.

    ``ablate``: a model of ``models`` also refitted without weights and without the power family at
    each origin (``models.ablation``; ``BacktestResult.with_without``)."""
    origins = sorted(to_timestamp(o) for o in (origins if origins is not None else default_origins(tables)))
    if not origins:
        raise UserError("没有回测起点。", "No backtest origins were given.")
    if capacity_of not in CAPACITY_OF:
        raise UserError(f"检查能力须按 operating（在营企业）或 inspected（窗口内被检查企业）计，收到 {capacity_of}。",
                        f"Capacity is a share of 'operating' firms or of those 'inspected' in the window; got {capacity_of}.")
    window_days = horizon_days if window_days is None else int(window_days)
    # the baselines are always in the comparison, whatever the caller passes
    models = {**default_models(include_learned=False), **(models or {})}
    # where inspections carry teams, the logistic model trained with the visit's team and scored as the
    # county's average team (``models.team``) is reported beside it: whether the team helps is measured
    if "logistic" in models and "logistic_team" not in models and _has_teams(tables):
        models["logistic_team"] = TeamAveraged(clone(models["logistic"]))
    # features, labels and weights per date; a caller running several backtests on the same tables
    # (tuning, then choosing) passes one ``new_cache`` to build each date once
    cache = cache if cache is not None else _Cache(tables, horizon_days, weighted)
    span = (origins[-1].year - origins[0].year) * 12 + origins[-1].month - origins[0].month
    grid = rolling_origins(origins[-1] - pd.Timedelta(days=horizon_days), count=span + snapshots + 1)
    truth_p = None if truth is None else truth.assign(enterprise_id=truth["enterprise_id"].astype(str)).set_index(
        "enterprise_id")["p_label"]
    metrics, curves, pooled, group_frames, bias, notes = [], [], [], [], [], []
    ablate = ablate if ablate in models else None
    ablation_status = ablation.plan(tables, cache.weighted) if ablate else {}
    ablated_rows = []
    plans = [[d for d in grid if d <= origin - pd.Timedelta(days=horizon_days)][-snapshots:] for origin in origins]
    for dates, origin in zip(plans, origins):  # every date's matrix built once, before the fits run side by side
        for day in dates:
            cache.get(day)
        cache.get(origin, window_days)
    fits = side_by_side([lambda dates=dates, origin=origin: _fit_origin(cache, dates, origin, window_days, models, ablate,
                                                                       ablation_status)
                         for dates, origin in zip(plans, origins)])  # two origins at a time on two cores
    for number, (origin, (scores, variants, fit_notes, n_train, n_train_positive)) in enumerate(zip(origins, fits)):
        notes += fit_notes
        X, labels, weights = cache.get(origin, window_days)
        tiebreak = np.random.default_rng([seed, number]).permutation(len(X))
        ranked = np.ones(len(X), dtype=bool)
        if capacity_of == "inspected":  # the window's own visits, re-ordered: all labelled, nothing to weigh
            ranked = labels["inspected"].to_numpy(dtype=bool)
            weights = pd.Series(1.0, index=X.index, name="weight")
        k = capacity_count(capacity, max(int(ranked.sum()), 1))
        truth_scores = None if truth_p is None else truth_p.reindex(X.index).fillna(0.0).to_numpy()
        if truth_scores is not None:
            scores["truth"] = truth_scores
        bias.append({"origin": origin, **selection_bias(labels)})
        if not ranked.any():
            notes.append({"zh": f"{origin.date()} 之后的窗口内没有检查，跳过。", "en": f"No inspections in the window after {origin.date()}; skipped."})
            continue
        labels, w_ranked, X_ranked = labels.loc[ranked], weights.to_numpy()[ranked], X.loc[ranked]
        truth_ranked = None if truth_scores is None else truth_scores[ranked]
        for name, p in scores.items():
            p = p[ranked]
            row, curve, top = score_origin(p, labels, w_ranked, k, tiebreak[ranked], truth_ranked)
            metrics.append({"origin": origin, "model": name, "n_train": n_train, "n_train_positive": n_train_positive, **row})
            curves.append(curve.assign(origin=origin, model=name))
            labelled = labels["inspected"].to_numpy(dtype=bool)
            pooled.append(pd.DataFrame({"model": name, "score": p[labelled], "y": labels["label"].to_numpy(dtype=float)[labelled],
                                        "w": w_ranked[labelled]}))
            for by, column in (("town", "town"), ("sector", "sector")):
                if column in X_ranked.columns:
                    group_frames.append(_group_rows(by, X_ranked[column].astype(object).to_numpy(), labels, w_ranked, top)
                                        .assign(origin=origin, model=name))
        for variant, p in variants.items():  # scored exactly as the ablated model: same labels, k, tie-break
            row, _, _ = score_origin(p[ranked], labels, w_ranked, k, tiebreak[ranked])
            ablated_rows.append({"origin": origin, "model": ablation.variant_name(ablate, variant), "n_train": n_train,
                                 "n_train_positive": n_train_positive, **row})
    parameters = {
        "origins": [o.date().isoformat() for o in origins], "first_origin": origins[0].date().isoformat(),
        "last_origin": origins[-1].date().isoformat(), "capacity": capacity, "capacity_of": capacity_of,
        "horizon_days": horizon_days, "window_days": window_days,
        "snapshots": snapshots, "seed": seed, "weighted": weighted, "models": list(models),
        "truth": truth is not None, "ablate": ablate, "ablation_status": ablation_status,
    }
    return BacktestResult(
        metrics=pd.DataFrame(metrics), curve=pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(),
        calibration=_calibration(pd.concat(pooled, ignore_index=True)) if pooled else _calibration(pd.DataFrame()),
        groups=pd.concat(group_frames, ignore_index=True) if group_frames else pd.DataFrame(
            columns=["group", "by", "model", "origin", "n_labelled", "n_positive", "n_top", "n_top_labelled",
                     "w_top", "wy_top", "w_all", "wy_all"]),
        bias=pd.DataFrame(bias), parameters=parameters, notes=notes, ablations=pd.DataFrame(ablated_rows),
    )
