"""The training sample (issue 20 item 4): stable, seeded, independent of partitioning, stated on the card."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from analytics.contract.errors import UserError
from analytics.engine.partition import partition_codes
from analytics.models import backtest
from analytics.models.sample import TrainingSample, sample_draws
from analytics.simulate import simulate_county

IDS = pd.Index([f"E{i:06d}" for i in range(100_000)], name="enterprise_id")
DAY = pd.Timestamp("2026-05-01")


def test_draws_are_the_same_whole_or_partition_by_partition_and_in_any_order():
    whole = sample_draws(IDS, DAY, seed=3)
    assert ((whole >= 0) & (whole < 1)).all()
    codes = partition_codes(IDS, 7)
    by_part = pd.Series(np.nan, index=IDS)
    for k in range(7):  # seven partitions, each drawn alone
        part = IDS[codes == k]
        by_part.loc[part] = sample_draws(part[::-1], DAY, seed=3)[::-1]
    np.testing.assert_array_equal(by_part.to_numpy(), whole)


def test_draws_are_the_same_in_another_process():
    script = ("import pandas as pd; from analytics.models.sample import sample_draws; "
              "print(repr(sample_draws(pd.Index(['E1', 'E2', 'E3']), pd.Timestamp('2026-05-01'), 3).tolist()))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == repr(sample_draws(pd.Index(["E1", "E2", "E3"]), DAY, 3).tolist())


def test_a_seed_date_or_firm_changes_the_draw_and_the_size_is_about_the_one_asked():
    sample = TrainingSample(10_000, seed=3).counted(len(IDS))
    kept = sample.keep(IDS, DAY)
    assert sample.fraction == pytest.approx(0.1)
    assert abs(int(kept.sum()) - 10_000) < 4 * np.sqrt(100_000 * 0.1 * 0.9)  # binomial, four standard deviations
    other_seed = TrainingSample(10_000, seed=4).counted(len(IDS)).keep(IDS, DAY)
    other_day = sample.keep(IDS, DAY + pd.Timedelta(days=30))
    assert (kept != other_seed).sum() > 10_000 and (kept != other_day).sum() > 10_000
    np.testing.assert_array_equal(sample.keep(IDS, np.full(len(IDS), DAY)), kept)  # one date or a date per row


def test_no_sample_when_the_rows_are_fewer_than_asked_and_a_bad_size_is_refused():
    sample = TrainingSample(500).counted(400)
    assert sample.fraction == 1.0 and sample.keep(IDS[:400], DAY).all()
    assert "400" in sample.note(400)["en"] and "未抽样" in sample.note(400)["zh"]
    with pytest.raises(UserError, match="--sample"):
        TrainingSample(0)


def test_the_backtest_fits_on_the_same_sampled_rows():
    county = simulate_county(600, seed=5)
    dates = [county.as_of - pd.Timedelta(days=d) for d in (210, 180)]
    cache = backtest.new_cache(county.tables)
    X_all, y_all, _ = backtest._training_set(cache, dates)
    cache.sample = TrainingSample(len(y_all) // 2, seed=1).counted(len(y_all))
    X, y, w = backtest._training_set(cache, dates)
    assert 0 < len(y) < len(y_all) and len(X) == len(y) == len(w)
    expected = []
    for day in dates:  # two dates: each one's observed firms, kept by their own draw
        features, labels, _ = cache.get(day)
        rows = features.index[(labels["inspected"] | labels["accident"]).to_numpy(dtype=bool)]
        expected += list(rows[sample_draws(rows, day, 1) < cache.sample.fraction])
    assert list(X.index) == expected


def test_a_sampled_cache_shares_the_matrices_and_fits_its_own_models_on_the_sample():
    county = simulate_county(600, seed=5)
    day = county.as_of - pd.Timedelta(days=210)
    built = []
    cache = backtest.new_cache(county.tables, features=lambda d: built.append(d) or backtest.build_features(county.tables, d))
    _, y_all, _ = backtest._training_set(cache, [day])
    sampled = cache.sampled(TrainingSample(len(y_all) // 2, seed=1).counted(len(y_all)))
    _, y, _ = backtest._training_set(sampled, [day])
    assert built == [day]  # built once, for both caches
    assert sampled.get(day)[0] is cache.get(day)[0] and cache.sample is None
    assert 0 < len(y) < len(y_all) and sampled.fitted is not cache.fitted


def test_cli_train_with_a_sample_states_it_on_the_card_and_in_both_languages(tmp_path, capsys, monkeypatch):
    from analytics.models.registry import ModelRegistry
    from analytics.store.database import open_store
    from analytics.store.writing import write_tables
    from saferank.cli import main

    monkeypatch.setenv("SAFERANK_MODEL_KEY", "k" * 40)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    write_tables(open_store(url), simulate_county(500, seed=5).tables)
    models = str(tmp_path / "models")
    assert main(["train", "--db", url, "--models", models, "--origins", "1", "--no-ablations", "--sample", "200",
                 "--lang", "en"]) == 0
    card = ModelRegistry(models).card(ModelRegistry(models).serving())
    drawn = card["training_sample"]
    assert drawn["rows"] == card["n_rows"] < drawn["of"] and drawn["size"] == 200 and drawn["seed"] == 0
    assert f"Training sample: {drawn['rows']:,} of {drawn['of']:,} rows" in capsys.readouterr().out
    assert "训练样本：从" in card["notes"]["zh"]
    assert main(["train", "--db", url, "--models", models, "--sample", "0"]) != 0
    assert "--sample 须为正整数" in capsys.readouterr().err


def test_a_firm_draw_keeps_the_training_rows_inside_the_firms_evaluated():
    sample = TrainingSample(10_000, seed=3, evaluate=40_000).counted(len(IDS))
    origin = DAY + pd.Timedelta(days=30)
    draw = sample.draw({origin: len(IDS), DAY + pd.Timedelta(days=60): 20_000})
    assert draw.fraction(DAY) == sample.fraction == pytest.approx(0.1)  # a training date
    assert draw.fraction(origin) == pytest.approx(0.4)
    assert draw.fraction(DAY + pd.Timedelta(days=60)) == 1.0  # fewer firms operate than --evaluate: all of them
    evaluated, trained = draw.keep(IDS, origin), sample.keep(IDS, origin)
    assert not (trained & ~evaluated).any() and evaluated.sum() > 3 * trained.sum()
    np.testing.assert_array_equal(draw.keep(IDS, DAY), sample.keep(IDS, DAY))
    # the training fraction is a floor: an evaluation share below it draws the training rows still
    assert TrainingSample(10_000, evaluate=100).counted(len(IDS)).draw({origin: len(IDS)}).fraction(origin) == pytest.approx(0.1)
    assert TrainingSample(10).draw({origin: 5}).fraction(origin) == 1.0  # no --evaluate: every firm
    with pytest.raises(UserError, match="--evaluate"):
        TrainingSample(10, evaluate=0)


def test_the_rows_are_counted_from_labels_before_any_matrix_and_match_the_training_set():
    from analytics.models.sample import counted_sample
    from analytics.models.select import snapshot_dates, training_set
    from analytics.snapshot.snapshot import AsOf, Snapshot

    county = simulate_county(600, seed=5)
    snapshot = Snapshot.from_tables(county.tables, AsOf.parse(county.as_of))
    _, y, _ = training_set(snapshot, snapshots=3)
    counted, draw = counted_sample(snapshot.as_dict(), TrainingSample(len(y) // 3, evaluate=200),
                                   snapshot_dates(snapshot.as_of.ts, 3), [snapshot.as_of.ts])
    assert counted.total == len(y) and counted.fraction == pytest.approx((len(y) // 3) / len(y))
    assert draw.fraction(snapshot.as_of.ts) == pytest.approx(200 / len(snapshot.operating))
    assert draw.fraction(snapshot_dates(snapshot.as_of.ts, 3)[0]) == counted.fraction


def test_local_training_with_evaluate_builds_drawn_matrices_and_refuses_a_count_capacity(tmp_path, monkeypatch):
    from analytics.models.registry import ModelRegistry
    from analytics.models.select import train_on_tables
    from analytics.snapshot.snapshot import AsOf, Snapshot

    monkeypatch.setenv("SAFERANK_MODEL_KEY", "k" * 40)
    county = simulate_county(800, seed=5)
    snapshot = Snapshot.from_tables(county.tables, AsOf.parse(county.as_of))
    seen = []
    matrix = backtest._Cache.matrix
    monkeypatch.setattr(backtest._Cache, "matrix", lambda self, day: seen.append((day, len(m := matrix(self, day)))) or m)
    sample = TrainingSample(150, seed=2, evaluate=300)
    report = train_on_tables(snapshot, None, ModelRegistry(tmp_path), sample=sample, snapshots=2, origins=1, ablations=False)
    operating = len(snapshot.operating)
    assert dict(seen)[snapshot.as_of.ts] < 0.6 * operating  # the as-of date: about 300 of the operating firms
    card = ModelRegistry(tmp_path).card(report.version)
    assert card["training_sample"]["evaluate"] == 300 and "at most 300 operating firms" in card["notes"]["en"]
    with pytest.raises(UserError, match="capacity must be a share"):
        train_on_tables(snapshot, None, ModelRegistry(tmp_path), capacity=50, sample=sample, snapshots=2, origins=1)


def test_cli_evaluate_needs_a_sample(tmp_path, capsys):
    from saferank.cli import main

    assert main(["train", "--db", f"sqlite:///{tmp_path / 'store.db'}", "--evaluate", "100"]) != 0
    assert "--evaluate 须与 --sample 一起使用" in capsys.readouterr().err


def test_cli_backtest_with_a_sample_and_evaluate_says_so_in_both_languages(tmp_path, capsys):
    import json

    from analytics.store.database import open_store
    from analytics.store.writing import write_tables
    from saferank.cli import main

    url = f"sqlite:///{tmp_path / 'store.db'}"
    write_tables(open_store(url), simulate_county(500, seed=5).tables)
    assert main(["backtest", "--db", url, "--origins", "1", "--no-ablations", "--sample", "100", "--evaluate", "200",
                 "--json", str(tmp_path / "bt.json"), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Training sample:" in out and "evaluated on at most 200 operating firms" in out
    drawn = json.loads((tmp_path / "bt.json").read_text())["parameters"]["training_sample"]
    assert drawn["size"] == 100 and drawn["evaluate"] == 200 and drawn["rows"] < drawn["of"]
    assert main(["backtest", "--db", url, "--origins", "1", "--sample", "100", "--evaluate", "200", "--capacity", "20"]) != 0
    assert "检查能力须为比例" in capsys.readouterr().err
