"""Backtest on a small county whose answer is known: risky firms always show a major hazard when visited.

Among inspected firms the label *is* the hidden risk flag, so an oracle ranking by it has precision 1
and recall 1 at a capacity equal to the number of risky firms, the reverse oracle precision 0.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from analytics.models.backtest import BacktestResult, default_models, parse_capacity, run_backtest
from analytics.contract.errors import UserError
from analytics.contract.frames import typed
from analytics.models.scorecard import RuleOfThumb

N, RISKY = 200, 40
START, END = pd.Timestamp("2024-07-01"), pd.Timestamp("2026-06-30")
ORIGINS = [pd.Timestamp("2026-02-15"), pd.Timestamp("2026-03-15")]


def small_county(seed: int = 0) -> tuple[dict[str, pd.DataFrame], pd.Series]:
    rng = np.random.default_rng(seed)
    ids = np.array([f"E{i:03d}" for i in range(N)])
    risky = pd.Series(np.isin(np.arange(N), rng.choice(N, RISKY, replace=False)), index=pd.Index(ids, name="enterprise_id"))
    days = pd.date_range(START, END, freq="D")
    visits = rng.random((N, len(days))) < 0.012  # about four visits a firm a year
    firm, when = np.nonzero(visits)
    inspections = pd.DataFrame({"inspection_id": [f"I{i}" for i in range(len(firm))], "enterprise_id": ids[firm],
                                "date": days[when], "mode": np.where(rng.random(len(firm)) < 0.3, "random", "targeted")})
    found = risky.to_numpy()[firm]
    hazards = pd.DataFrame({"hazard_id": [f"H{i}" for i in range(found.sum())], "enterprise_id": ids[firm][found],
                            "inspection_id": inspections["inspection_id"].to_numpy()[found], "found_date": days[when][found],
                            "level": "major", "rectified_date": days[when][found] + pd.Timedelta(days=20)})
    tables = {
        "towns": typed("towns", [{"town_id": "T1", "name": "一镇"}, {"town_id": "T2", "name": "二镇"}]),
        "enterprises": typed("enterprises", pd.DataFrame({
            "enterprise_id": ids, "name": ids, "town_id": np.where(np.arange(N) % 2, "T1", "T2"),
            "sector": np.where(np.arange(N) % 3, "gas", "mining"), "established": "2010-01-01"})),
        "inspections": typed("inspections", inspections),
        "hazards": typed("hazards", hazards),
    }
    return tables, risky


class Oracle(ClassifierMixin, BaseEstimator):
    """Ranks by the hidden answer (``sign=-1``: the reverse)."""

    def __init__(self, answers: pd.Series | None = None, sign: int = 1) -> None:
        self.answers = answers
        self.sign = sign

    def fit(self, X, y=None, sample_weight=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        truth = self.answers.reindex(X.index).astype(float).to_numpy()
        p = 0.02 + 0.96 * (truth if self.sign > 0 else 1 - truth)
        return np.column_stack([1 - p, p])


class Spy(ClassifierMixin, BaseEstimator):
    """Records what it was trained on."""

    seen: list = []

    def fit(self, X, y, sample_weight=None):
        Spy.seen.append((X.index.tolist(), X.astype(object).astype(str).to_numpy().tolist(), list(y), list(np.round(sample_weight, 9))))
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        return np.column_stack([np.full(len(X), 0.9), np.full(len(X), 0.1)])


@pytest.fixture(scope="module")
def county():
    return small_county()


@pytest.fixture(scope="module")
def result(county) -> BacktestResult:
    tables, risky = county
    truth = pd.DataFrame({"enterprise_id": risky.index, "p_label": np.where(risky, 0.9, 0.01)})
    models = {**default_models(include_learned=False), "oracle": Oracle(risky), "reverse": Oracle(risky, sign=-1)}
    return run_backtest(tables, ORIGINS, models, capacity=RISKY, truth=truth)


def metric(result: BacktestResult, model: str, column: str) -> pd.Series:
    return result.metrics.loc[result.metrics["model"] == model, column]


def test_the_oracle_is_perfect_and_the_reverse_is_always_wrong(result):
    assert (metric(result, "oracle", "precision_at_capacity") == 1).all()
    assert (metric(result, "oracle", "precision_random_only") == 1).all()
    assert metric(result, "oracle", "recall_at_capacity").to_numpy() == pytest.approx(1.0)
    assert (metric(result, "oracle", "auc") == 1).all() and (metric(result, "oracle", "capture_of_best") == 1).all()
    assert (metric(result, "reverse", "precision_at_capacity") == 0).all()
    assert (metric(result, "reverse", "auc") == 0).all()


def test_baselines_are_always_there_and_random_sits_between(result):
    assert {"random", "rule_of_thumb", "truth"} <= set(result.metrics["model"])
    random_precision = metric(result, "random", "precision_unweighted").mean()
    assert 0.05 < random_precision < 0.5
    assert (metric(result, "random", "auc") == 0.5).all()
    # the rule of thumb scores past majors, which here only risky firms have
    assert metric(result, "rule_of_thumb", "precision_at_capacity").min() > 0.9


def test_counts_and_capacity(result):
    assert (result.metrics["k"] == RISKY).all() and (result.metrics["n_operating"] == N).all()
    shares = result.curve_summary()
    assert shares["share"].min() == 0.01 and shares["share"].max() == 0.2
    oracle_curve = shares.loc[shares["model"] == "oracle", "precision"]
    assert (oracle_curve == 1).all()  # 1 % .. 20 % of 200 firms is at most 40 = the risky ones


def test_groups_and_calibration_pool_the_same_firms(result):
    town = result.group_summary("town")
    oracle = town.loc[town["model"] == "oracle"]
    assert set(oracle["group"]) == {"T1", "T2"}
    assert oracle["n_labelled"].sum() == metric(result, "oracle", "n_labelled").sum()
    assert oracle["n_top"].sum() == RISKY * len(ORIGINS)
    calibration = result.calibration.loc[result.calibration["model"] == "oracle"]
    assert calibration["n"].sum() == metric(result, "oracle", "n_labelled").sum()
    assert calibration["observed"].iloc[-1] == 1 and calibration["observed"].iloc[0] == 0


def test_json_holds_the_same_numbers(result):
    data = json.loads(result.to_json())
    summary = {row["model"]: row for row in data["summary"]}
    assert summary["oracle"]["precision_at_capacity"] == 1
    assert data["parameters"]["origins"] == ["2026-02-15", "2026-03-15"]
    assert {"metrics", "precision_curve", "calibration", "by_town", "by_sector", "selection_bias"} <= set(data)


def test_training_never_sees_labels_from_after_the_origin(county):
    tables, _ = county
    origin = ORIGINS[0]
    after = {name: frame.loc[frame[column] <= origin] if (column := {"inspections": "date", "hazards": "found_date"}.get(name))
             else frame for name, frame in tables.items()}
    Spy.seen = []
    run_backtest(tables, [origin], {"spy": Spy()}, capacity=RISKY)
    run_backtest(after, [origin], {"spy": Spy()}, capacity=RISKY)
    assert len(Spy.seen) == 2 and len(Spy.seen[0][2]) > 0
    assert Spy.seen[0] == Spy.seen[1]


def test_report_is_offline_and_bilingual(result, tmp_path):
    from analytics.models.report import write_html, write_json

    page = write_html(result, tmp_path / "report.html").read_text(encoding="utf-8")
    assert all("src=" not in tag for tag in re.findall(r"<script\b[^>]*>", page))  # plotly.js inlined, nothing fetched
    assert "Plotly.newPlot" in page and page.count("Plotly.newPlot") >= 2
    assert "回测报告" in page and "Backtest report" in page and "容量内命中率" in page and "Precision at capacity" in page
    assert "燃气" in page or "城镇燃气" in page  # sector labels in Chinese
    assert json.loads(write_json(result, tmp_path / "r.json").read_text(encoding="utf-8"))["summary"]
    # pooled precision with block-bootstrap intervals and the paired differences, in words, in both languages
    assert "95% 区间 / 95% interval" in page and "配对差异 / Paired differences" in page
    assert ("噪声" in page and "within noise" in page) or "beyond noise" in page
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["intervals"] and data["comparisons"] and all("en" in c and "zh" in c for c in data["comparisons"])


@pytest.mark.parametrize("text, expected", [("0.05", 0.05), ("50", 50), (0.1, 0.1), ("1", 1)])
def test_capacity_is_a_share_or_a_count(text, expected):
    value = parse_capacity(text)
    assert value == expected and isinstance(value, int) == isinstance(expected, int)


@pytest.mark.parametrize("text", ["0", "-3", "five"])
def test_bad_capacity_is_a_user_error(text):
    with pytest.raises(UserError):
        parse_capacity(text)


def test_rule_of_thumb_backtests_without_labels_of_both_classes(county):
    tables, _ = county
    quiet = {**tables, "hazards": tables["hazards"].iloc[0:0]}
    result = run_backtest(quiet, ORIGINS[:1], {"rule_of_thumb": RuleOfThumb()}, capacity=0.1)
    assert metric(result, "rule_of_thumb", "n_positive").iloc[0] == 0


@pytest.fixture(scope="module")
def simulated():
    from analytics.simulate import simulate_county

    return simulate_county(enterprises=800, seed=5)


def test_on_a_simulated_county_the_rule_of_thumb_beats_random_and_truth_is_the_ceiling(simulated):
    from analytics.models.backtest import default_origins

    origins = default_origins(simulated.tables, count=2, as_of=simulated.as_of)
    result = run_backtest(simulated.tables, origins, capacity=0.1, truth=simulated.truth)
    summary = result.summary()
    assert summary.loc["truth", "capture_of_best"] == pytest.approx(1.0)
    assert summary.loc["rule_of_thumb", "capture_of_best"] > summary.loc["random", "capture_of_best"] + 0.2
    assert summary.loc["rule_of_thumb", "auc"] > 0.6
    assert result.bias["n_random"].min() > 0


def test_simulated_features_fill_every_family_present(simulated):
    from analytics.features import FEATURES, build_features, skipped_families

    X = build_features(simulated.tables, simulated.as_of)
    skipped = skipped_families(simulated.tables)
    expected = [name for name, spec in FEATURES.items() if spec.family not in skipped]
    assert list(X.columns) == expected
    assert len(X) > 0.9 * 800
    # unknown by nature where blank: no such event yet, no attribute recorded, no stop during which
    # power was metered (power_stop_ratio) or no meter matched to the firm (power_activity)
    always_known = [c for c in X.columns if not c.startswith(("days_since", "hazards_per", "last_inspection", "on_time",
                                                              "outsourced", "employees", "years", "size",
                                                              "power_stop_ratio", "power_activity"))]
    assert X[always_known].notna().all().all()


def test_cli_backtest_writes_report_and_json(simulated, tmp_path, capsys):
    from saferank.cli import main
    from analytics.store.database import open_store
    from analytics.store.writing import write_tables

    url = f"sqlite:///{tmp_path / 'store.db'}"
    write_tables(open_store(url), simulated.tables)
    code = main(["backtest", "--db", url, "--origins", "1", "--capacity", "40", "--lang", "en",
                 "--report", str(tmp_path / "bt.html"), "--json", str(tmp_path / "bt.json")])
    out = capsys.readouterr().out
    assert code == 0 and "Precision at capacity" in out and "rule_of_thumb" in out
    data = json.loads((tmp_path / "bt.json").read_text(encoding="utf-8"))
    assert data["parameters"]["capacity"] == 40 and {"random", "rule_of_thumb", "logistic"} <= {r["model"] for r in data["summary"]}
    assert (tmp_path / "bt.html").stat().st_size > 1_000_000  # plotly.js inlined
