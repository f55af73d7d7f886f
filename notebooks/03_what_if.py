# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 假如规则变了 What if a rule changes?
#
# 检查能力、随机抽查比例变了，或者少了一类数据（一个特征族），风险清单和检查计划会怎样变？
# 专项行动的数字（检查 295 家企业、发现 383 处隐患）如果按模型的计划去查，会是什么样？
#
# How do the list and the plan change when the capacity or the random share changes, or when a
# family of features is removed? And what would the campaign's figures (295 enterprises inspected,
# 383 hazards found) have looked like under the model's plan?
#
# 模型在这里只做简短训练（6 个快照的 logistic 模型，见 02 号笔记本）。The model here is a quick
# logistic fit on 6 snapshots (see notebook 02 for choosing and backtesting models).

# %%
import tempfile
from pathlib import Path

import pandas as pd

from analytics.simulate.sample import SAMPLE_COUNTY
from analytics.views import whatif
from analytics.features.registry import FAMILY_LABELS, family_features
from analytics.store.ingest import import_files
from analytics.models.learned import LogisticModel
from analytics.models.scorecard import RuleOfThumb
from analytics.models.select import training_set
from analytics.operations.planning import PlanRules, build_plan
from analytics.risk.risklist import score_enterprises
from analytics.store.database import open_store
from analytics.snapshot.snapshot import Snapshot
from analytics.operations.teams import default_teams

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 16)
pd.set_option("display.precision", 3)

# %% [markdown]
# ## 参数 Parameters

# %%
AS_OF = pd.Timestamp("2026-11-15")
SAMPLE = SAMPLE_COUNTY
SNAPSHOTS = 6
TEAMS, DAILY, DAYS, SEED = 15, 2, 10, 7  # 15 teams × 2 visits × 10 days = 300 visits, about the campaign's 295
TOP_K = 100  # how much of the list's head we compare

# %%
scratch = tempfile.TemporaryDirectory(prefix="saferank-whatif-")  # removed with the kernel
workdir = Path(scratch.name)
store = open_store(f"sqlite:///{workdir / 'saferank.db'}")
import_files(store, SAMPLE, export_date=AS_OF)
snapshot = Snapshot.from_store(store, AS_OF)
tables = snapshot.as_dict()
truth = pd.read_csv(SAMPLE / "truth.csv", dtype={"enterprise_id": str}).set_index("enterprise_id")

# %% [markdown]
# ## 模型清单与经验评分卡清单 The model's list and the rule of thumb's list
# 两者都在同样的训练数据上校准，分数就是概率（90 天内发现重大隐患或发生事故）。
# Both are calibrated on the same training rows, so scores are probabilities (a major hazard found or
# an accident in the next 90 days).

# %%
X_train, y_train, w_train = training_set(tables, AS_OF, snapshots=SNAPSHOTS)
model = LogisticModel().fit(X_train, y_train, sample_weight=w_train)
rule = RuleOfThumb().fit(X_train, y_train, sample_weight=w_train)
model_list = score_enterprises(snapshot, model, model_version="logistic")
rule_list = score_enterprises(snapshot, rule, model_version="rule_of_thumb")
whatif.list_change_summary(rule_list, model_list, TOP_K)

# %% [markdown]
# ## 检查能力与随机抽查比例 Capacity and the random share
# 计划规则见 `analytics/operations/planning.py`：回头看优先，随机抽查（双随机）按比例预留，其余按风险排名。
# “预计发现”是计划中各企业校准概率之和；`expected_true` 用模拟县的真实概率（truth.csv 的 `p_major`）。
#
# The planning rules are those of `analytics/operations/planning.py`: follow-ups first, a share reserved for
# random draws, the rest by risk rank. `expected_found` sums the calibrated scores of the visited
# firms (what the office would be told); `expected_true` sums the simulated county's true
# probability that a visit finds a major hazard (`p_major` of truth.csv; unknown in a real county).

# %%
towns = tables["towns"]["town_id"]
start = AS_OF + pd.Timedelta(days=1)


def plan(risk_list, daily=DAILY, **rules):
    return build_plan(risk_list, tables, default_teams(towns, TEAMS, daily), start, DAYS, PlanRules(**rules), seed=SEED)


# %%
by_share = {f"random share {s:.0%}": plan(model_list, random_share=s) for s in (0.0, 0.25, 0.5, 1.0)}
whatif.plans_compared(by_share, truth["p_major"])

# %%
by_capacity = {f"{d} visits per team a day": plan(model_list, daily=d) for d in (1, 2, 3)}
whatif.plans_compared(by_capacity, truth["p_major"])

# %% [markdown]
# ## 去掉一个特征族 A feature family removed
# 例如没有特殊作业或外包合同数据时：重新训练（去掉该族的特征列），与完整模型的清单比较：
# 前 100 名里换了几家，整个排序相关多少，按真实概率前 100 名预计能发现多少。
#
# As if a family's data were missing: retrain without its columns and compare with the full model's
# list: how many of the top 100 change, how the whole order correlates, and what the top 100 would
# find by the true probabilities.

# %%
scores = model_list.set_index("enterprise_id")["score"]
rows = {"(none)": {**whatif.list_change_summary(model_list, model_list, TOP_K),
                   "expected_true": whatif.expected_found(scores, truth["p_major"], TOP_K)}}
for family in ("status", "rectification", "operations", "outsourcing", "context"):
    reduced = LogisticModel().fit(X_train.drop(columns=family_features(family)), y_train, sample_weight=w_train)
    reduced_list = score_enterprises(snapshot, reduced, model_version=f"without {family}")
    rows[f"{FAMILY_LABELS[family][0]} {family}"] = {
        **whatif.list_change_summary(model_list, reduced_list, TOP_K),
        "expected_true": whatif.expected_found(reduced_list.set_index("enterprise_id")["score"], truth["p_major"], TOP_K)}
pd.DataFrame.from_dict(rows, orient="index").rename_axis("removed")

# %% [markdown]
# ## 专项行动的数字 The campaign's figures under the model's plan
# 专项行动报告：15 个检查组两周检查 295 家企业、发现 383 处隐患（全县约 2 万家监管对象，两周查了约 1.5%）。
# 模型只估计“发现重大隐患”的概率，所以下面比较的是预计发现重大隐患的企业数，而不是全部隐患数。
# 样本县只有约 1,900 家在营企业：按同样比例是约 28 家；按原数 295 家则覆盖了样本县的 15%。两种都列出。
#
# The campaign report: 15 teams inspected 295 enterprises in a fortnight and found 383 hazards, in a
# county of about 20,000 supervised units (1.5 % of it). The model estimates the chance of a *major*
# hazard, so what we compare is the expected number of enterprises where a visit finds one, not
# all hazards. The sample county has about 1,900 operating firms: the same share is about 28 visits;
# the literal 295 covers 15 % of it. Both are shown. Rows: a random pick, the rule of thumb's top
# *k*, the model's top *k*, and the truth's top *k* (the best possible). Columns: expected finds by
# the model's calibrated probabilities (what the office can compute) and by the truth (what the
# simulation knows); `share_of_best_truth` is the share of what the truth's own top *k* would find.

# %%
k_scaled = whatif.campaign_visits(len(model_list))
rule_scores = rule_list.set_index("enterprise_id")["score"]
whatif.picks_compared(
    rankings={"rule_of_thumb": rule_scores, "model": scores, "truth": truth["p_major"]},
    probabilities={"model": scores, "truth": truth["p_major"]},
    ks=[k_scaled, whatif.CAMPAIGN["visits"]])

# %% [markdown]
# 同样约 300 次检查，按完整的计划规则（回头看、25% 随机抽查、近期已查不重复）排出来，模型清单与经验评分卡清单相比：
# The same ~300 visits drawn up by the full planning rules (follow-ups, a 25 % random share, no firm
# inspected in the last 30 days), from the model's list and from the rule of thumb's:

# %%
whatif.plans_compared({"model's list": plan(model_list), "rule of thumb's list": plan(rule_list),
                       "all random": plan(model_list, random_share=1.0)}, truth["p_major"])

# %%
store.dispose()
scratch.cleanup()
