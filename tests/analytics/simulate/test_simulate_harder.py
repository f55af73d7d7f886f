"""Issue 16's harder world: each knob does what the README says, and the flatter world is the old one."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from analytics.features.build import build_features
from analytics.simulate import params as P
from analytics.simulate import simulate_county
from analytics.simulate.export import GEOMETRY_FILE, realism_rates, realism_table
from analytics.simulate.population import town_centres, voronoi_cells

EVENT_TABLES = ("status_events", "inspections", "hazards", "penalties", "accidents")
OWN_DATE = {"status_events": "date", "inspections": "date", "hazards": "found_date", "penalties": "date",
            "accidents": "date"}


@pytest.fixture(scope="module")
def flatter():
    return simulate_county(enterprises=2000, seed=7, as_of="2026-11-15", knobs=P.Knobs.flatter())


def _operating(county) -> pd.Series:
    enterprises = county.tables["enterprises"]
    return enterprises["status"] != "closed"


# --- knobs --------------------------------------------------------------------------------------

def test_every_knob_is_off_in_the_flatter_world_and_on_by_default():
    harder, flat = P.Knobs(), P.Knobs.flatter()
    assert flat.is_flatter and not harder.is_flatter
    differ = [name for name, value in harder.as_dict().items() if flat.as_dict()[name] != value]
    assert set(differ) == set(harder.as_dict()) - {"drift_at", "drift_factor"}  # drift_sector=None switches drift off
    assert flat.hidden_sd == P.ETA["hidden"] and flat.team_detection == (1.0, 1.0) and not flat.entry_lag


def test_the_flatter_world_writes_no_v2_parts(flatter):
    assert "power_usage" not in flatter.tables
    for name in EVENT_TABLES:
        table = flatter.tables.get(name)
        assert table is None or "recorded_date" not in table or table["recorded_date"].isna().all()
    assert flatter.tables["enterprises"]["standardization"].isna().all()
    assert set(flatter.tables["inspections"]["team"].astype(object)) == {f"第{i}组" for i in range(1, 16)}
    assert set(flatter.team_detection.values()) == {1.0}


# --- risk not additive in what is recorded --------------------------------------------------------

def test_the_unrecorded_part_of_risk_is_at_least_as_large_as_the_recorded_part(county, flatter):
    parts = county.eta_parts
    assert parts["unrecorded"].std() >= parts["recorded"].std()
    assert flatter.eta_parts["unrecorded"].std() < county.eta_parts["unrecorded"].std()


def test_an_unapproved_restart_during_hot_work_adds_more_than_each_alone():
    """The interaction knob: the eta added is the product of the restart's fading and hot work in progress."""
    from analytics.simulate.dynamics import World
    from analytics.simulate.schedules import HOT_WORK, PERMIT_UNCERTIFIED

    world = World.__new__(World)
    world.knobs = P.Knobs()
    world.people = type("People", (), {"confined_space": np.array([False, False, True, True])})()
    world.counters = np.zeros((4, 6), dtype=np.int32)
    world.counters[[1, 3], HOT_WORK] = 1
    world.counters[[2, 3], PERMIT_UNCERTIFIED] = 1
    decay = np.exp(-np.array([0, 0, 10**6, 10**6]) / P.RESTART_DECAY_DAYS)  # a restart today, or long ago
    extra = world.interactions(decay)
    np.testing.assert_allclose(extra, [0.0, P.Knobs().restart_hot_work, P.Knobs().uncertified_confined,
                                       P.Knobs().uncertified_confined])
    world.knobs = P.Knobs.flatter()
    assert np.all(world.interactions(decay) == 0.0)


def _gap(county) -> tuple[float, float]:
    """Precision at 5 % (mean true p_label of the top 5 %) of a logistic regression fitted on the system's
    own features with each firm's TRUE probability as its label (infinite labels, no selection bias),
    and of the truth itself."""
    features = build_features(county.tables, county.as_of)
    categorical = [c for c in features.columns if isinstance(features[c].dtype, pd.CategoricalDtype)]
    X = pd.get_dummies(features, columns=categorical, dummy_na=True, dtype=float)
    X = X.join(X.isna().astype(float).add_suffix("_missing").loc[:, lambda d: d.sum() > 0]).fillna(0.0)
    p = county.truth.set_index("enterprise_id")["p_label"].reindex(X.index).to_numpy()
    Z = StandardScaler().fit_transform(X.to_numpy())
    model = LogisticRegression(C=1.0, max_iter=5000)
    model.fit(np.vstack([Z, Z]), np.r_[np.ones(len(p)), np.zeros(len(p))], sample_weight=np.r_[p, 1 - p])
    top = int(round(0.05 * len(p)))
    fitted = p[np.argsort(-model.predict_proba(Z)[:, 1], kind="stable")[:top]].mean()
    return float(fitted), float(np.sort(p)[::-1][:top].mean())


def test_a_logistic_fit_on_the_truths_inputs_no_longer_nearly_matches_the_truth(county, flatter):
    """Measured (2,000 firms, seed 7): flatter 0.264 vs truth 0.273 (97 %); harder 0.185 vs 0.228 (81 %)."""
    fitted, truth = _gap(county)
    flat_fitted, flat_truth = _gap(flatter)
    assert flat_fitted / flat_truth >= 0.92, "the flatter world flattered the model"
    assert fitted / truth <= 0.88, "the harder world leaves a clear gap to the truth"
    assert flat_fitted / flat_truth - fitted / truth >= 0.08


# --- teams ------------------------------------------------------------------------------------------

def test_teams_differ_in_how_much_they_find(county):
    detection = pd.Series(county.team_detection)
    assert detection.min() == pytest.approx(0.5) and detection.max() == pytest.approx(1.5)
    inspections, hazards = county.tables["inspections"], county.tables["hazards"]
    found = hazards.groupby("inspection_id", observed=True).size().reindex(inspections["inspection_id"], fill_value=0)
    per_team = pd.Series(found.to_numpy(), index=inspections["team"].astype(object).to_numpy()).groupby(level=0).mean()
    assert per_team.corr(detection.reindex(per_team.index), method="spearman") > 0.8
    assert per_team.max() > 2 * per_team.min()


# --- records entered late -------------------------------------------------------------------------

@pytest.mark.parametrize("name", EVENT_TABLES)
def test_records_are_entered_on_or_after_their_day_and_never_after_the_export(county, name):
    table = county.tables[name]
    recorded, own = table["recorded_date"], table[OWN_DATE[name]]
    assert recorded.notna().all()
    assert (recorded >= own).all() and (recorded <= county.as_of).all()


def test_inspections_days_to_weeks_late_penalties_weeks_to_months(county):
    def lag(name: str) -> pd.Series:
        table = county.tables[name]
        return (table["recorded_date"] - table[OWN_DATE[name]]).dt.days

    inspections, penalties = lag("inspections"), lag("penalties")
    assert 2 <= inspections.median() <= 10 and 7 <= inspections.quantile(0.9) <= 30
    assert 21 <= penalties.median() <= 90 and penalties.quantile(0.9) >= 60
    hazards = county.tables["hazards"].merge(county.tables["inspections"][["inspection_id", "recorded_date"]],
                                             on="inspection_id", suffixes=("", "_inspection"))
    assert (hazards["recorded_date"] >= hazards["recorded_date_inspection"]).all(), "results come with the visit"
    # the weeks before the export are incomplete: fewer inspections known per day than a month before
    days = (county.as_of - county.tables["inspections"]["date"]).dt.days
    assert (days < 7).sum() / 7 < 0.8 * ((days >= 30) & (days < 60)).sum() / 30


def test_status_changes_are_entered_in_order_so_a_firms_known_history_is_a_prefix(county):
    events = county.tables["status_events"].sort_values(["enterprise_id", "date"], kind="stable")
    assert (events.groupby("enterprise_id", observed=True)["recorded_date"].diff().dropna() >= pd.Timedelta(0)).all()


def test_a_secret_restart_is_recorded_only_when_the_office_finds_it(county):
    secret = county.secret_restarts
    assert len(secret) >= 10 and secret["discovered"].notna().any() and secret["discovered"].isna().any()
    events = county.tables["status_events"]
    restarts = events.loc[(events["status"] == "operating") & (events["approved"] == False)]  # noqa: E712
    known = secret.dropna(subset=["discovered"]).merge(
        restarts, left_on=["enterprise_id", "restart"], right_on=["enterprise_id", "date"])
    assert len(known) >= 0.8 * secret["discovered"].notna().sum()
    assert (known["recorded_date"] >= known["discovered"]).all()
    hidden = secret.loc[secret["discovered"].isna()]
    assert not hidden.merge(restarts, left_on=["enterprise_id", "restart"], right_on=["enterprise_id", "date"]).shape[0]


# --- drift ------------------------------------------------------------------------------------------

def _majors_by_period(county) -> pd.DataFrame:
    """Inspections and how many found a major hazard, by (in the drift sector, on or after the drift day)."""
    knobs = P.Knobs()
    drift = county.start + pd.Timedelta(days=round(knobs.drift_at * (county.as_of - county.start).days))
    inspections = county.tables["inspections"].merge(county.tables["enterprises"][["enterprise_id", "sector"]])
    hazards = county.tables["hazards"]
    inspections["major"] = inspections["inspection_id"].isin(hazards.loc[hazards["level"] == "major", "inspection_id"])
    keys = [(inspections["sector"] == knobs.drift_sector).rename("sector"), (inspections["date"] >= drift).rename("after")]
    return inspections.groupby(keys)["major"].agg(["sum", "size"])


def test_a_new_major_hazard_standard_raises_majors_in_its_sector_from_its_day(county):
    """The same county with the drift knob off: identical before the day, more majors after it in 工贸."""
    steady = simulate_county(enterprises=2000, seed=7, as_of="2026-11-15", knobs=P.Knobs(drift_sector=None))
    drifted, plain = _majors_by_period(county), _majors_by_period(steady)
    pd.testing.assert_frame_equal(drifted.xs(False, level="after"), plain.xs(False, level="after"))
    share = drifted["sum"] / drifted["size"]
    share_plain = plain["sum"] / plain["size"]
    assert share[(True, True)] >= 1.25 * share_plain[(True, True)]
    assert share[(False, True)] < 1.25 * share_plain[(False, True)]


# --- rectification ------------------------------------------------------------------------------------

def test_rectification_is_like_a_real_countys(county, flatter):
    rates, old = realism_rates(county), realism_rates(flatter)
    assert rates["general_rectified_on_time"] >= 0.93 > old["general_rectified_on_time"]
    assert rates["overdue_per_firm"] <= 0.1 < old["overdue_per_firm"]
    assert rates["most_open_at_one_firm"] <= 15 < old["most_open_at_one_firm"]
    hazards = county.tables["hazards"]
    overdue = hazards.loc[hazards["rectified_date"].isna() & (hazards["deadline"] < county.as_of)]
    assert overdue.groupby("enterprise_id", observed=True).size().max() <= 6, "no firm piles up overdue hazards"
    assert 1.0 <= rates["hazards_per_inspection"] <= 1.6  # the campaign's 1.3


def test_follow_ups_go_on_site_for_major_and_overdue_hazards_only(county):
    hazards = county.tables["hazards"]
    inspections = county.tables["inspections"]
    follow = inspections.loc[inspections["mode"] == "follow_up", ["inspection_id", "enterprise_id", "date"]]
    pairs = follow.merge(hazards[["enterprise_id", "found_date", "level", "deadline", "rectified_date"]], on="enterprise_id")
    pairs = pairs.loc[pairs["found_date"] < pairs["date"]]
    late = pairs["rectified_date"].fillna(county.as_of + pd.Timedelta(days=1)) > pairs["deadline"]
    reason = (pairs["level"] == "major") | (late & (pairs["deadline"] < pairs["date"]))
    explained = follow["inspection_id"].isin(pairs.loc[reason, "inspection_id"])
    assert explained.mean() >= 0.95
    general = hazards.loc[hazards["level"] == "general"]
    on_time_only = set(general["enterprise_id"]) - set(hazards.loc[(hazards["level"] == "major")
                       | (hazards["rectified_date"].isna() | (hazards["rectified_date"] > hazards["deadline"])), "enterprise_id"])
    assert not follow["enterprise_id"].isin(on_time_only).any(), "general hazards closed in time are closed on evidence"


# --- targeting -----------------------------------------------------------------------------------------

def test_targeted_visits_follow_the_campaigns_priorities(county):
    enterprises = county.tables["enterprises"].set_index("enterprise_id")
    priority = enterprises[["small_scattered", "dust_explosion", "confined_space", "ammonia_refrigeration"]].any(axis=1)
    inspections = county.tables["inspections"]
    share = inspections["enterprise_id"].map(priority).groupby(inspections["mode"].astype(object)).mean()
    assert share["targeted"] > 1.5 * share["random"]
    assert share["unannounced"] > share["random"]


# --- power, standardization, town outlines ------------------------------------------------------------

def test_power_usage_is_monthly_without_overlap_and_only_whole_months_before_the_export(county):
    power = county.tables["power_usage"]
    assert (power["period_end"] <= county.as_of).all() and (power["kwh"] >= 0).all()
    assert (power["period_start"].dt.day == 1).mean() > 0.95
    assert ((power["period_end"] + pd.Timedelta(days=1)).dt.day == 1).all()
    ordered = power.sort_values(["enterprise_id", "period_start"])
    previous_end = ordered.groupby("enterprise_id", observed=True)["period_end"].shift(1)
    assert (ordered["period_start"] > previous_end).where(previous_end.notna(), True).all()
    vessels = county.tables["enterprises"].loc[lambda e: e["sector"] == "fishing_vessels", "enterprise_id"]
    assert not power["enterprise_id"].isin(vessels).any(), "fishing vessels have no grid meter"


def test_a_firm_running_after_a_secret_restart_draws_power_while_recorded_as_shut_down(county):
    power = county.tables["power_usage"].assign(days=lambda p: (p["period_end"] - p["period_start"]).dt.days + 1)
    power["per_day"] = power["kwh"] / power["days"]
    typical = power.groupby("enterprise_id", observed=True)["per_day"].median()
    enterprises = county.tables["enterprises"].set_index("enterprise_id")
    hidden = county.secret_restarts.loc[county.secret_restarts["discovered"].isna()]
    last_month = power["period_end"].max()
    running = hidden.loc[hidden["restart"] < last_month - pd.Timedelta(days=31), "enterprise_id"]
    running = running[running.isin(typical.index)]
    assert len(running) >= 2
    assert enterprises.loc[running, "status"].isin(["suspended", "retrofit"]).all(), "recorded as shut down"
    latest = power.loc[power["period_end"] == last_month].set_index("enterprise_id")["per_day"]
    assert (latest.reindex(running) > 0.5 * typical.reindex(running)).all(), "yet drawing full power"
    # and a firm truly stopped for a whole month draws almost nothing
    events = county.tables["status_events"]
    stops = events.loc[events["status"].isin(["suspended", "retrofit"])]
    whole = power.merge(stops[["enterprise_id", "date"]], on="enterprise_id")
    whole = whole.loc[(whole["date"] < whole["period_start"] - pd.Timedelta(days=1))]
    restarts = events.loc[events["status"] == "operating", ["enterprise_id", "date"]].rename(columns={"date": "back"})
    whole = whole.merge(restarts, on="enterprise_id", how="left")
    ever_back = whole.assign(back_between=(whole["back"] > whole["date"]) & (whole["back"] <= whole["period_end"] + pd.Timedelta(days=31 * 6)))
    still = ever_back.groupby(["enterprise_id", "period_start", "date"], observed=True)["back_between"].any()
    still = still[~still].reset_index()
    still = still.loc[~still["enterprise_id"].isin(county.secret_restarts["enterprise_id"])]
    stopped = power.merge(still[["enterprise_id", "period_start"]].drop_duplicates())
    stopped = stopped.loc[~stopped["enterprise_id"].isin(enterprises.index[enterprises["status"] == "closed"])]
    if len(stopped):
        assert (stopped["per_day"] < 0.2 * stopped["enterprise_id"].map(typical)).mean() > 0.8


def test_standardization_grades_follow_size_and_practice(county):
    enterprises = county.tables["enterprises"]
    grade = enterprises["standardization"].astype(object)
    vessel = enterprises["sector"] == "fishing_vessels"
    assert grade[vessel].isna().all() and grade[~vessel].notna().all()
    share = grade[~vessel].value_counts(normalize=True)
    assert set(share.index) == {"level1", "level2", "level3", "none"}
    assert share["level1"] < 0.05 < share["level2"]
    assert (grade[enterprises["small_scattered"].astype(bool)] == "none").all()
    truth = county.truth.set_index("enterprise_id")["p_label"]
    mean = truth.reindex(enterprises["enterprise_id"]).groupby(grade.to_numpy()).mean()
    assert mean["level2"] < mean["none"]


def test_towns_geojson_tiles_the_county_with_irregular_clockwise_outlines(county_dir, county):
    geometry = json.loads((county_dir / GEOMETRY_FILE).read_text(encoding="utf-8"))
    assert geometry["type"] == "FeatureCollection"
    features = geometry["features"]
    assert [f["properties"]["town_id"] for f in features] == county.towns["town_id"].tolist()
    area = 0.0
    for feature in features:
        assert feature["geometry"]["type"] == "Polygon"
        ring = np.array(feature["geometry"]["coordinates"][0])
        assert (ring[0] == ring[-1]).all() and len(ring) >= 4
        signed = np.sum(ring[:-1, 0] * ring[1:, 1] - ring[1:, 0] * ring[:-1, 1]) / 2
        assert signed < 0, "clockwise, as the dashboard's plotly map needs"
        area -= signed
    outline = np.array(P.COUNTY_OUTLINE)
    county_area = np.sum(outline[:, 0] * np.roll(outline[:, 1], -1) - np.roll(outline[:, 0], -1) * outline[:, 1]) / 2
    assert area == pytest.approx(county_area, rel=1e-4), "the towns tile the county, no gaps or overlaps"
    not_rectangles = [len(f["geometry"]["coordinates"][0]) != 5 for f in features]
    assert sum(not_rectangles) >= len(features) // 2


def test_every_firm_lies_inside_its_own_town_outline(county):
    enterprises = county.tables["enterprises"].dropna(subset=["longitude"])
    centres = town_centres(len(county.towns))
    index = pd.Index(county.towns["town_id"]).get_indexer(enterprises["town_id"])
    points = enterprises[["longitude", "latitude"]].to_numpy(float)
    nearest = ((points[:, None, :] - centres[None]) ** 2).sum(-1).argmin(axis=1)
    assert (nearest == index).mean() > 0.999  # a Voronoi cell is the set of points nearest its centre
    cells = voronoi_cells(len(county.towns))
    low = np.array([c.min(axis=0) for c in cells])[index]
    high = np.array([c.max(axis=0) for c in cells])[index]
    assert ((points >= low - 1e-6) & (points <= high + 1e-6)).all()


def test_the_rates_table_sets_each_rate_beside_its_published_figure(county):
    rates = realism_rates(county)
    zh, en = realism_table(rates, "zh"), realism_table(rates, "en")
    assert "按期整改率" in zh and "97.28" in zh and "1.298" in zh
    assert en.isascii() and "rectified on time" in en and "entry lag" in en
    assert f"{rates['general_rectified_on_time']:.3f}".rstrip("0") in en
