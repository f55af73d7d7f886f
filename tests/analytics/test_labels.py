"""Labels on hand cases; the selection-bias measure; inverse-propensity weights undo a known bias."""

import numpy as np
import pandas as pd
import pytest

from analytics.contract.frames import typed
from analytics.models.labels import LABEL_COLUMNS, build_labels, inspection_weights, selection_bias

AS_OF = pd.Timestamp("2026-06-30")  # window (2026-06-30, 2026-09-28]


def tables(with_accidents: bool = True) -> dict[str, pd.DataFrame]:
    out = {
        "towns": typed("towns", [{"town_id": "T1", "name": "一镇"}]),
        "enterprises": typed("enterprises", [
            {"enterprise_id": e, "name": e, "town_id": "T1", "sector": "gas", "status": s}
            for e, s in (("E1", "operating"), ("E2", "operating"), ("E3", "suspended"), ("E4", "closed"), ("E5", "operating"))
        ]),
        "inspections": typed("inspections", [
            {"inspection_id": "I0", "enterprise_id": "E2", "date": "2026-06-30", "mode": "targeted"},  # on as-of: before the window
            {"inspection_id": "I1", "enterprise_id": "E1", "date": "2026-07-10", "mode": "targeted"},
            {"inspection_id": "I2", "enterprise_id": "E1", "date": "2026-08-01", "mode": "random"},
            {"inspection_id": "I3", "enterprise_id": "E2", "date": "2026-09-28", "mode": "random"},  # last day of the window
            {"inspection_id": "I4", "enterprise_id": "E5", "date": "2026-09-29", "mode": "random"},  # after the window
            {"inspection_id": "I5", "enterprise_id": "E4", "date": "2026-07-01", "mode": "routine"},  # closed firm
        ]),
        "hazards": typed("hazards", [
            {"hazard_id": "H0", "enterprise_id": "E2", "inspection_id": "I0", "found_date": "2026-06-30", "level": "major"},
            {"hazard_id": "H1", "enterprise_id": "E1", "inspection_id": "I1", "found_date": "2026-07-10", "level": "major"},
            {"hazard_id": "H3", "enterprise_id": "E2", "inspection_id": "I3", "found_date": "2026-09-28", "level": "general"},
            {"hazard_id": "H4", "enterprise_id": "E5", "inspection_id": "I4", "found_date": "2026-09-29", "level": "major"},
        ]),
    }
    if with_accidents:
        out["accidents"] = typed("accidents", [
            {"accident_id": "A1", "enterprise_id": "E3", "date": "2026-07-15", "severity": "minor"}])
    return out


@pytest.fixture(scope="module")
def labels():
    return build_labels(tables(), AS_OF)


@pytest.mark.parametrize("eid, inspected, inspected_random, major_found, accident, label, first_mode", [
    ("E1", True, True, True, False, True, "targeted"),
    ("E2", True, True, False, False, False, "random"),
    ("E3", False, False, False, True, True, None),
    ("E5", False, False, False, False, False, None),
])
def test_label_rows(labels, eid, inspected, inspected_random, major_found, accident, label, first_mode):
    row = labels.loc[eid]
    assert (row["inspected"], row["inspected_random"], row["major_found"], row["accident"], row["label"]) == (
        inspected, inspected_random, major_found, accident, label)
    assert (row["first_mode"] if pd.notna(row["first_mode"]) else None) == first_mode


def test_rows_are_the_operating_firms_sorted(labels):
    assert list(labels.index) == ["E1", "E2", "E3", "E5"] and labels.index.name == "enterprise_id"
    assert list(labels.columns) == list(LABEL_COLUMNS)


def test_without_the_accidents_table_no_accident_is_recorded():
    assert not build_labels(tables(with_accidents=False), AS_OF)["accident"].any()


def test_a_shorter_horizon_closes_the_window_earlier():
    short = build_labels(tables(), AS_OF, horizon_days=30)
    assert short.loc["E1", "inspected"] and not short.loc["E1", "inspected_random"] and not short.loc["E2", "inspected"]


def test_selection_bias_without_visit_counts_falls_back_to_firms():
    labels = pd.DataFrame({"inspected": [True] * 6 + [False], "inspected_random": [True, True, True, True, False, False, False],
                           "label": [True, False, False, False, True, True, False], "accident": False})
    bias = selection_bias(labels)
    assert bias["hit_rate_random"] == 0.25 and bias["hit_rate_targeted"] == 1.0 and bias["ratio"] == 4.0


def test_inverse_propensity_weights_recover_the_county_rate():
    rng = np.random.default_rng(1)
    n = 6000
    risky = rng.integers(0, 2, n)
    X = pd.DataFrame({"risky": risky.astype(float)}, index=pd.Index([f"E{i}" for i in range(n)], name="enterprise_id"))
    inspected = rng.random(n) < np.where(risky == 1, 0.6, 0.1)
    hit = rng.random(n) < np.where(risky == 1, 0.3, 0.05)
    labels = pd.DataFrame({"inspected": inspected, "label": hit & inspected, "accident": False}, index=X.index)
    weights = inspection_weights(X, labels)
    naive = labels.loc[inspected, "label"].mean()
    corrected = np.average(hit[inspected], weights=weights[inspected])
    county = np.where(risky == 1, 0.3, 0.05).mean()
    assert naive > county + 0.06  # targeting inflates the raw hit rate
    assert abs(corrected - county) < 0.02
    assert weights[inspected].mean() == pytest.approx(1.0) and (weights[~inspected] == 0).all()
    assert weights[inspected & (risky == 0)].min() > weights[inspected & (risky == 1)].max()


def test_weights_are_clipped_and_accidents_without_inspection_weigh_one():
    X = pd.DataFrame({"x": [0.0] * 99 + [1.0] * 101})
    labels = pd.DataFrame({"inspected": [True] + [False] * 98 + [False] + [True] * 100,
                           "accident": [False] * 99 + [True] + [False] * 100, "label": False}, index=X.index)
    weights = inspection_weights(X, labels, clip=0.05)
    raw = 1 / np.clip([0.01, 0.99], 0.05, 1)  # what the clip allows at most and at least
    assert weights.iloc[0] / weights.iloc[150] <= raw[0] / raw[1] + 1e-9
    assert weights.iloc[99] == 1.0


def _visited(n_once: int, n_thrice: int, p: float, seed: int = 0, follow_up_major: bool = False) -> dict[str, pd.DataFrame]:
    """Firms visited once or three times in the window; every visit finds a major with probability ``p``."""
    rng = np.random.default_rng(seed)
    firms = [f"E{i:05d}" for i in range(n_once + n_thrice)]
    inspections, hazards = [], []
    for i, firm in enumerate(firms):
        for v in range(1 if i < n_once else 3):
            iid = f"I{i}-{v}"
            inspections.append({"inspection_id": iid, "enterprise_id": firm, "date": f"2026-07-{10 + 10 * v}", "mode": "routine"})
            if rng.random() < p:
                hazards.append({"hazard_id": f"H{i}-{v}", "enterprise_id": firm, "inspection_id": iid,
                                "found_date": f"2026-07-{10 + 10 * v}", "level": "major"})
    return {
        "towns": typed("towns", [{"town_id": "T1", "name": "一镇"}]),
        "enterprises": typed("enterprises", [{"enterprise_id": e, "name": e, "town_id": "T1", "sector": "gas",
                                              "status": "operating"} for e in firms]),
        "inspections": typed("inspections", inspections), "hazards": typed("hazards", hazards),
    }


def test_three_visits_are_not_three_times_the_label():
    labels = build_labels(_visited(1500, 1500, 0.2), AS_OF)
    thrice = labels["visits"].to_numpy() == 3
    assert thrice.sum() == 1500 and (labels["visits"].to_numpy()[~thrice] == 1).all()
    once_rate, thrice_rate = labels.loc[~thrice, "label"].mean(), labels.loc[thrice, "label"].mean()
    assert abs(once_rate - 0.2) < 0.03 and abs(thrice_rate - 0.2) < 0.03  # per visit, whatever the number of visits
    any_visit = labels.loc[thrice, "major_found_any"].mean()  # the old label: 1 - 0.8^3 = 0.49
    assert abs(any_visit - (1 - 0.8 ** 3)) < 0.04
    per_visit = labels.loc[thrice, "visit_hits"].sum() / labels.loc[thrice, "visits"].sum()
    assert abs(per_visit - 0.2) < 0.02


def test_the_label_is_the_first_visit_that_counts():
    t = tables()
    t["hazards"] = typed("hazards", [  # E1's only major is found at its second visit (I2, random)
        {"hazard_id": "H2", "enterprise_id": "E1", "inspection_id": "I2", "found_date": "2026-08-01", "level": "major"}])
    labels = build_labels(t, AS_OF)
    row = labels.loc["E1"]
    assert not row["label"] and row["major_found_any"] and row["visits"] == 2 and row["visit_hits"] == 1
    assert row["random_visits"] == 1 and row["random_hits"] == 1


def test_follow_up_finds_are_not_credited():
    t = tables()
    t["inspections"] = typed("inspections", [
        {"inspection_id": "F1", "enterprise_id": "E1", "date": "2026-07-05", "mode": "follow_up"},  # before the visit
        {"inspection_id": "I1", "enterprise_id": "E1", "date": "2026-07-10", "mode": "targeted"},
        {"inspection_id": "F2", "enterprise_id": "E2", "date": "2026-07-12", "mode": "follow_up"},  # E2: only a follow-up
    ])
    t["hazards"] = typed("hazards", [
        {"hazard_id": "H1", "enterprise_id": "E1", "inspection_id": "F1", "found_date": "2026-07-05", "level": "major"},
        {"hazard_id": "H2", "enterprise_id": "E2", "found_date": "2026-07-12", "level": "major"},  # no inspection named: same day
    ])
    labels = build_labels(t, AS_OF)
    e1, e2 = labels.loc["E1"], labels.loc["E2"]
    assert e1["inspected"] and e1["first_mode"] == "targeted" and not e1["label"] and e1["visits"] == 1
    assert not e2["inspected"] and not e2["label"] and e2["visits"] == 0  # no label: not an example at all
    assert e1["major_found_any"] and e2["major_found_any"]  # the old label credited both


def test_a_hazard_without_inspection_id_is_found_at_the_same_day_visit():
    t = tables()
    t["hazards"] = typed("hazards", [
        {"hazard_id": "H1", "enterprise_id": "E1", "found_date": "2026-07-10", "level": "major"},
        {"hazard_id": "H2", "enterprise_id": "E2", "found_date": "2026-07-11", "level": "major"}])  # no visit that day
    labels = build_labels(t, AS_OF)
    assert labels.loc["E1", "label"] and not labels.loc["E2", "label"]


def test_selection_bias_is_per_visit():
    labels = pd.DataFrame({"inspected": True, "inspected_random": [True, True, False], "label": False,
                           "visits": [4, 2, 2], "visit_hits": [2, 0, 2], "random_visits": [4, 0, 0],
                           "random_hits": [1, 0, 0], "accident": False})
    bias = selection_bias(labels)  # random 1/4; the others: (4 - 1) hits of (8 - 4) visits
    assert bias["n_random"] == 4 and bias["n_targeted"] == 4
    assert bias["hit_rate_random"] == 0.25 and bias["hit_rate_targeted"] == 0.75 and bias["ratio"] == 3.0
