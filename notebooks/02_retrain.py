# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 重新训练与回测 Retraining, backtesting, registering a candidate
#
# 构建特征，训练候选模型，与在用模型和经验评分卡一起做回测；看校准和分镇街、分行业的指标，
# 看几家企业的风险原因；把最好的候选模型登记到（临时）模型库，并演示如何启用。
#
# Build the features, train candidate models, backtest them against the serving model and the
# office's rule of thumb; look at calibration and per-town / per-sector metrics and at the reasons
# given for a few enterprises; register the best as a candidate in a (temporary) model registry and
# show how to promote it.
#
# **这是缩短版 This is a shortened run**: 3 backtest origins (not 12), 6 training snapshots (not 24)
# and smaller boosted models (80 trees, not 250), so the notebook runs in well under a minute.
# `saferank train` / `analytics.models.select.train_models` does the full run (2–4 minutes) and is
# what the office's serving model comes from; treat the figures here as a sketch of it.

# %%
import tempfile
from pathlib import Path

import pandas as pd
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator

from analytics.simulate.sample import SAMPLE_COUNTY
from analytics.models.backtest import default_models, default_origins, run_backtest
from analytics.features import build_features, skipped_families
from analytics.store.ingest import import_files
from analytics.models.labels import build_labels
from analytics.models.learned import LogisticModel
from analytics.models.registry import ModelRegistry, data_fingerprint
from analytics.models.candidates import candidates
from analytics.models.select import SELECTION_RULE, choose, snapshot_dates, training_set, version_id
from analytics.models.report import calibration_figure, precision_figure
from analytics.risk.risklist import score_enterprises
from analytics.store.database import open_store
from analytics.snapshot.snapshot import Snapshot
from analytics.snapshot.timeline import as_known_on

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 14)
pd.set_option("display.precision", 3)

# %% [markdown]
# ## 参数 Parameters

# %%
AS_OF = pd.Timestamp("2026-11-15")
SAMPLE = SAMPLE_COUNTY
ORIGINS = 3  # the full backtest uses 12
SNAPSHOTS = 6  # the full training uses 24
CAPACITY = 0.05  # the share of operating firms the office can visit in 90 days
SMALL_TREES = {"max_iter": 80, "learning_rate": 0.08}  # the full model: 250 trees at 0.03

# %%
scratch = tempfile.TemporaryDirectory(prefix="saferank-retrain-")  # removed with the kernel
workdir = Path(scratch.name)
store = open_store(f"sqlite:///{workdir / 'saferank.db'}")
import_files(store, SAMPLE, export_date=AS_OF)
snapshot = Snapshot.from_store(store, AS_OF)
tables = snapshot.as_dict()
truth = pd.read_csv(SAMPLE / "truth.csv", dtype={"enterprise_id": str})

# %% [markdown]
# ## 特征与标签 Features and labels
# 每家在营企业一行，每个特征一列（特征族缺表则跳过）；标签是 90 天窗口内发现重大隐患或发生事故。
# One row per operating firm, one column per registered feature (a family whose table is missing is
# skipped); the label is a major hazard found or an accident in the 90 days after the as-of date.

# %%
X = build_features(tables, AS_OF)
print(X.shape, "skipped families:", skipped_families(tables, AS_OF) or "none")
X.describe().T.head(15)

# %%
origins = default_origins(tables, count=ORIGINS, as_of=AS_OF)
build_labels(tables, origins[-1]).mean(numeric_only=True)

# %% [markdown]
# ## 在用模型 The serving model
# 在办公室里 `ModelRegistry()` 打开 `data/models`，在用模型就在那里。这里用临时模型库，先放进一个
# 半年前训练的 logistic 模型充当在用版本（第一个登记的版本自动启用）。
#
# In the office, `ModelRegistry()` opens `data/models` and the serving model is there. Here a
# temporary registry is seeded with a logistic model trained half a year ago, which serves (the
# first version registered is promoted).

# %%
registry = ModelRegistry(workdir / "models")
SERVING_AS_OF = AS_OF - pd.DateOffset(months=6)
X_old, y_old, w_old = training_set(tables, SERVING_AS_OF, snapshots=SNAPSHOTS)
old_model = LogisticModel().fit(X_old, y_old, sample_weight=w_old)
old_known = as_known_on(tables, SERVING_AS_OF)
registry.register(old_model, {
    "version": version_id("logistic", SERVING_AS_OF, data_fingerprint(old_known), old_model.get_params()),
    "model": "logistic", "trained_as_of": SERVING_AS_OF.date().isoformat(),
    "n_rows": len(y_old), "n_positive": int(y_old.sum())})
serving_model, serving_card = registry.load()
registry.versions()

# %% [markdown]
# ## 回测 The backtest
# 在每个起点：候选模型只用起点之前已关闭的标签窗口训练，然后给当日在营企业排序，用之后 90 天的检查结果打分。
# 在用模型是“冻结”的（`FrozenEstimator`：不重新训练，就是它现在的样子），候选模型每个起点重训。
# `random` 和 `rule_of_thumb`（经验评分卡）总是在内；`truth` 一行按模拟县的真实风险排序，是可能的最好结果。
#
# At each origin the candidates are trained only on label windows closed by then, rank the firms
# operating that day, and are scored on the next 90 days' inspections (weighted by the inverse
# propensity of being inspected; `precision_random_only` uses double-random inspections alone). The
# serving model is *frozen* (`FrozenEstimator`: not refitted, exactly as it serves); its training
# date precedes every origin, so this is fair. `random` and `rule_of_thumb` are always in; the
# `truth` row ranks by the simulated county's true risk: the best possible.

# %%
found = candidates(seed=0)
models = {
    "serving": FrozenEstimator(serving_model),
    "logistic": found["logistic"],
    "boosted": found["boosted"].set_params(**SMALL_TREES),
    "blend": found["blend"].set_params(**{f"boosted__{k}": v for k, v in SMALL_TREES.items()}),
}
result = run_backtest(tables, origins, models, capacity=CAPACITY, truth=truth, snapshots=SNAPSHOTS)
print(result.render("en"))

# %%
summary = result.summary()
summary

# %% [markdown]
# ### 不同检查能力下的命中率 Precision at k
# 检查能力为在营企业的 1%–20% 时，名单前 k 家中已检查者有标签的比例，各起点的检查与命中合计（low/high 为 95% 区间）。
# Share of the inspected among the top *k* (1 % to 20 % of operating firms) with a label, visits and hits pooled over origins (low/high: the 95 % interval).

# %%
precision_at_k = result.curve_summary().pivot(index="share", columns="model", values="precision")
precision_at_k.loc[[0.01, 0.02, 0.05, 0.1, 0.2]]

# %%
precision_figure(result)

# %% [markdown]
# ### 校准 Calibration
# 分数按十分位分组：平均分数与实际（加权）发生率。计划里的“预计发现数”就是分数之和，所以分数要准。
# Scores by decile against the observed (weighted) rate. A plan's expected finds are sums of scores,
# so scores must be probabilities, not just ranks.

# %%
result.calibration.loc[result.calibration["model"].isin(["serving", "logistic", "boosted"])].pivot(
    index="decile", columns="model", values=["mean_score", "observed"])

# %%
calibration_figure(result)

# %% [markdown]
# ### 分镇街、分行业 Per town and per sector (pooled over origins)

# %%
by_town = result.group_summary("town")
by_town.pivot(index="group", columns="model", values="precision_at_capacity")

# %%
by_sector = result.group_summary("sector")
by_sector.pivot(index="group", columns="model", values="n_top")

# %% [markdown]
# ## 选出最好的候选 Choosing the best candidate
# 规则：回测容量内命中率最高，其次 Brier 分数最低，再次模型更简单。
# 候选只在新训练的模型中挑选；与在用模型的比较在下面。

# %%
print(SELECTION_RULE["zh"])
print(SELECTION_RULE["en"])
new_models = summary.drop(index=["serving"])
best = choose(new_models)
print("best candidate:", best, "| best overall, serving included:", choose(summary))

# %% [markdown]
# ## 在评估日训练最好的候选 Fit the best candidate as of the as-of date

# %%
X_train, y_train, w_train = training_set(tables, AS_OF, snapshots=SNAPSHOTS)
everything = {**default_models(include_learned=False), **models}  # the rules the backtest adds may win too
model = clone(everything[best]).fit(X_train, y_train, sample_weight=w_train)
print(f"{len(y_train)} rows, {int(y_train.sum())} positive, {X_train.shape[1]} features")

# %% [markdown]
# ## 风险原因 Reasons for a few enterprises
# 每家企业的原因是使分数升高最多的三个特征（模型贡献之和正好等于分数的 logit 减去基准）。
# A firm's reasons are the three features that raised its score most; contributions add up exactly
# to the score's logit minus the base logit.

# %%
risk_list = score_enterprises(snapshot, model, model_version="candidate")
risk_list[["rank", "enterprise_id", "score", "risk_level", "sector", "reasons"]].head(5)

# %%
risk_list[["rank", "enterprise_id", "score", "reasons_en"]].head(5).style.hide(axis="index")

# %% [markdown]
# ## 登记为候选版本 Register it as a candidate
# 模型卡记下训练截止日、样本数、超参数和回测指标；登记不会改变在用版本。
# The card records the training date, rows, hyper-parameters and the backtest metrics; registering
# does not change the serving version. (`saferank train` writes the same card for its winner.)

# %%
known = as_known_on(tables, AS_OF)
params = {k: v for k, v in model.get_params().items() if not callable(v)}
dates = snapshot_dates(AS_OF, SNAPSHOTS)
card = registry.register(model, {
    "version": version_id(best, AS_OF, data_fingerprint(known), params), "model": best,
    "trained_as_of": AS_OF.date().isoformat(), "training_window": [dates[0], AS_OF],
    "n_rows": len(y_train), "n_positive": int(y_train.sum()), "features": list(X_train.columns), "params": params,
    "capacity": CAPACITY, "metrics": summary.to_dict(orient="index"), "selection": SELECTION_RULE,
    "notes": {"zh": "笔记本缩短版回测（3 个起点）。", "en": "Shortened notebook backtest (3 origins)."}})
registry.versions()

# %%
print(registry.card_text(card["version"])[:1500])

# %% [markdown]
# ## 启用与回退 Promote, and roll back
# 只有在回测中胜过在用模型时才启用。命令行：`saferank models promote <version>`（回退：`saferank models rollback`），
# 或在“模型”页面操作。启用后要重新生成风险清单（`saferank score`）。
#
# Promote only when the candidate beats the serving model in the backtest. From the command line:
# `saferank models promote <version>` (and `saferank models rollback`), or on the model page. Re-score
# the list afterwards (`saferank score`).

# %%
beats_serving = summary.loc[best, "precision_at_capacity"] > summary.loc["serving", "precision_at_capacity"]
print("candidate beats the serving model at capacity:", beats_serving)
registry.promote(card["version"])  # shown here either way; in the office only when it beats the serving model
print("serving now:", registry.serving())
print("rolled back to:", registry.rollback())
registry.versions()

# %%
store.dispose()
scratch.cleanup()
