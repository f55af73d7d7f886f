"""The simulated county tells the story it promises: base rates, a truth with traces, selection bias."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from saferank.cli import main
from analytics.contract.errors import UserError
from analytics.simulate import simulate_county
from analytics.simulate.export import TRUTH_FILE, base_rates
from analytics.simulate.sample import SAMPLE_COUNTY

SAMPLE = SAMPLE_COUNTY


def _same_files(left, right) -> bool:
    names = sorted(p.name for p in left.iterdir())
    assert names == sorted(p.name for p in right.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(left, right, names, shallow=False)
    return not mismatch and not errors


def test_same_seed_writes_byte_identical_files_and_another_seed_does_not(tmp_path, capsys):
    args = ["--enterprises", "500", "--as-of", "2025-06-30", "--lang", "en"]
    assert main(["simulate", str(tmp_path / "a"), "--seed", "3", *args]) == 0
    assert main(["simulate", str(tmp_path / "b"), "--seed", "3", *args]) == 0
    assert main(["simulate", str(tmp_path / "c"), "--seed", "4", *args]) == 0
    assert "inspections.csv" in capsys.readouterr().out
    assert _same_files(tmp_path / "a", tmp_path / "b")
    assert not filecmp.cmp(tmp_path / "a" / "hazards.csv", tmp_path / "c" / "hazards.csv", shallow=False)
    assert len((tmp_path / "a" / "enterprises.csv").read_text(encoding="utf-8").splitlines()) == 501


def test_the_shipped_sample_county_is_what_the_command_generates(tmp_path, capsys):
    assert SAMPLE.is_dir(), "the sample county is missing: run `saferank simulate analytics/simulate/sample_county`"
    written = json.loads((SAMPLE / "simulation.json").read_text(encoding="utf-8"))
    flatter = "knobs" not in written  # a sample written before issue 16 holds the flatter world
    argv = ["simulate", str(tmp_path), "--enterprises", str(written["enterprises"]), "--seed", str(written["seed"]),
            "--start", written["start"], "--as-of", written["as_of"], *(["--flatter"] if flatter else [])]
    assert main(argv) == 0
    assert _same_files(tmp_path, SAMPLE)


def test_the_command_writes_the_harder_world_by_default_and_the_flatter_one_on_request(county_dir, tmp_path, capsys):
    written = json.loads((county_dir / "simulation.json").read_text(encoding="utf-8"))
    assert written["knobs"]["team_detection"] == [0.5, 1.5] and (county_dir / "towns.geojson").is_file()
    assert main(["simulate", str(tmp_path), "--enterprises", "500", "--flatter", "--lang", "en"]) == 0
    flat = json.loads((tmp_path / "simulation.json").read_text(encoding="utf-8"))
    assert "knobs" not in flat and not (tmp_path / "towns.geojson").exists()
    assert not (tmp_path / "power_usage.csv").exists()
    assert "recorded_date" not in (tmp_path / "inspections.csv").read_text(encoding="utf-8").splitlines()[0]


@pytest.mark.parametrize(("argv", "zh_fragment"), [
    (["--enterprises", "10"], "企业数量"),
    (["--as-of", "yesterday-ish"], "评估日期"),
    (["--start", "2026-10-01"], "开始日期"),
])
def test_bad_arguments_are_reported_in_both_languages(tmp_path, capsys, argv, zh_fragment):
    assert main(["simulate", str(tmp_path), *argv]) == UserError.exit_code
    assert zh_fragment in capsys.readouterr().err
    assert main(["simulate", str(tmp_path), *argv, "--lang", "en"]) == UserError.exit_code
    assert capsys.readouterr().err.isascii()


def test_base_rates_are_in_a_real_countys_range(county):
    rates = base_rates(county)
    assert 1.0 <= rates["inspections_per_enterprise_year"] <= 2.0
    assert 1.0 <= rates["hazards_per_inspection"] <= 2.0
    assert 0.03 <= rates["inspections_with_major_share"] <= 0.08
    assert 0.0 < rates["accidents_per_enterprise_year"] < 0.01
    # The campaign's report: 295 enterprises checked and 383 hazards in a fortnight, county of ~20,000.
    assert 150 <= rates["campaign_fortnight_unannounced_at_20000"] <= 600
    assert 190 <= rates["campaign_fortnight_hazards_at_20000"] <= 770


def test_every_inspection_mode_and_sector_occurs(county):
    inspections = county.tables["inspections"]
    assert set(inspections["mode"].astype(object)) == set(inspections["mode"].cat.categories)
    unannounced = inspections.loc[inspections["mode"] == "unannounced", "date"]
    month_day = unannounced.dt.month * 100 + unannounced.dt.day
    assert ((month_day >= 1115) | (month_day <= 229)).all(), "unannounced visits belong to the winter campaign"


def test_truth_is_the_promised_combination_of_probabilities(county):
    truth = county.truth
    assert list(truth.columns) == ["enterprise_id", "p_major", "p_accident", "p_label"]
    assert truth["enterprise_id"].tolist() == sorted(county.tables["enterprises"]["enterprise_id"])
    assert truth[["p_major", "p_accident", "p_label"]].apply(lambda s: s.between(0, 1)).all().all()
    np.testing.assert_allclose(truth["p_label"], 1 - (1 - truth["p_major"]) * (1 - truth["p_accident"]))
    closed = county.tables["enterprises"].set_index("enterprise_id")["status"] == "closed"
    assert (truth.set_index("enterprise_id").loc[closed[closed].index, "p_label"] == 0).all()


def test_truth_top_five_percent_is_several_times_the_average(county):
    label = np.sort(county.truth["p_label"].to_numpy())[::-1]
    top = label[: len(label) // 20]
    assert top.mean() >= 3 * label.mean()
    assert 0.01 <= label.mean() <= 0.15


def _operating_truth(county) -> pd.Series:
    enterprises = county.tables["enterprises"]
    operating = enterprises.loc[enterprises["status"] != "closed", "enterprise_id"]
    return county.truth.set_index("enterprise_id")["p_label"].loc[operating]


def test_unapproved_restarts_in_the_last_180_days_carry_higher_truth(county):
    events = county.tables["status_events"]
    recent = events.loc[(events["status"] == "operating") & (events["approved"] == False)  # noqa: E712
                        & (events["date"] > county.as_of - pd.Timedelta(days=180)), "enterprise_id"]
    truth = _operating_truth(county)
    flagged = truth.index.isin(recent)
    assert flagged.sum() >= 10
    assert truth[flagged].mean() > 1.5 * truth[~flagged].mean()


def test_unqualified_outsourcing_carries_higher_truth(county):
    contracts = county.tables["contracts"]
    unqualified = contracts.loc[(contracts["contractor_qualified"] == False)  # noqa: E712
                                & (contracts["end_date"] >= county.as_of), "enterprise_id"]
    truth = _operating_truth(county)
    flagged = truth.index.isin(unqualified)
    assert flagged.sum() >= 10
    assert truth[flagged].mean() > 1.5 * truth[~flagged].mean()


def test_targeted_inspections_find_majors_more_often_than_random_ones(county):
    inspections, hazards = county.tables["inspections"], county.tables["hazards"]
    found = inspections["inspection_id"].isin(hazards.loc[hazards["level"] == "major", "inspection_id"])
    share = found.groupby(inspections["mode"].astype(object)).mean()
    assert share["targeted"] > 1.3 * share["random"]
    assert share["complaint"] > share["random"]


def test_hazard_categories_follow_their_causes(county):
    hazards = county.tables["hazards"].merge(
        county.tables["enterprises"][["enterprise_id", "dust_explosion", "sector"]], on="enterprise_id")
    dust = hazards.loc[hazards["category"] == "ventilation_dust", "dust_explosion"]
    assert dust.mean() > 0.5, "ventilation and dust hazards are found mostly at dust-explosion firms"
    gas = hazards.loc[hazards["sector"] == "gas", "category"].value_counts(normalize=True)
    assert gas.idxmax() == "gas"


def test_truth_file_holds_the_truth_beside_the_tables(county, county_dir):
    written = pd.read_csv(county_dir / TRUTH_FILE, dtype={"enterprise_id": str})
    np.testing.assert_allclose(written["p_label"], county.truth["p_label"], atol=1e-8)


def test_a_later_start_simulates_a_shorter_history():
    short = simulate_county(enterprises=500, seed=1, start="2026-01-01", as_of="2026-11-15")
    assert short.tables["inspections"]["date"].min() >= pd.Timestamp("2026-01-01")
    assert short.start == pd.Timestamp("2026-01-01")
