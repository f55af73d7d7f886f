# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 探索全县数据 Exploring the county's records
#
# 模拟县样例（2,000 家企业，截至 2026-11-15）导入临时 SQLite 库，按某一日期“当时所知”读取，
# 看全县概况、隐患分布、整改情况，以及检查对象是怎么选出来的。
#
# The shipped simulated county (2,000 firms, as of 2026-11-15) is imported into a temporary SQLite
# store and read *as known on* a date: the county in numbers, where hazards are found, how they are
# rectified, and how inspections were chosen. Every figure comes from an `analytics` function; the
# notebook only calls and shows them.

# %%
import tempfile
from pathlib import Path

import pandas as pd
import plotly.express as px

from analytics.simulate.sample import SAMPLE_COUNTY
from analytics.views import exploration
from analytics.operations import followup
from analytics.views import overview
from analytics.store.ingest import import_files
from analytics.store.database import open_store
from analytics.snapshot.snapshot import Snapshot
from analytics.contract.dates import HORIZON_DAYS
from analytics.snapshot.timeline import as_known_on, rolling_origins

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 12)
pd.set_option("display.precision", 3)

# %% [markdown]
# ## 参数 Parameters
# 换成本单位的导出目录和日期即可分析真实数据。Point `SAMPLE` at an office export to explore real records.

# %%
AS_OF = pd.Timestamp("2026-11-15")
SAMPLE = SAMPLE_COUNTY

# %% [markdown]
# ## 导入并按日期读取 Import, then read as of a date
# `import_files` 校验并写入库；`Snapshot.from_store(store, as_of)` 只保留当天结束时已知的记录
# （之后的事件删去，之后的整改置空）。`Snapshot.from_store(store, as_of)` keeps only what was known at
# the end of that day; `as_known_on` does the same to tables already in memory.

# %%
scratch = tempfile.TemporaryDirectory(prefix="saferank-explore-")  # removed with the kernel
workdir = Path(scratch.name)
store = open_store(f"sqlite:///{workdir / 'saferank.db'}")
print(import_files(store, SAMPLE, export_date=AS_OF).render("en"))

# %%
tables = Snapshot.from_store(store, AS_OF).as_dict()
half_year_ago = as_known_on(tables, AS_OF - pd.DateOffset(months=6))
pd.concat({"as of " + str(AS_OF.date()): exploration.table_overview(tables, AS_OF)["rows"],
           "six months earlier": exploration.table_overview(half_year_ago, AS_OF - pd.DateOffset(months=6))["rows"]},
          axis=1)

# %% [markdown]
# ## 全县概况 The county in numbers
# 最近 30 天与前 30 天相比（风险等级需要风险清单，此处为空）。
# The last 30 days against the 30 before (risk levels need a risk list, so they are empty here).

# %%
overview.headline_figures(tables, AS_OF)

# %%
exploration.table_overview(tables, AS_OF)

# %% [markdown]
# ## 隐患分布 Hazards by town, sector and category (last 365 days)

# %%
exploration.hazard_counts(tables, AS_OF, by="town").head(10)

# %%
exploration.hazard_counts(tables, AS_OF, by="sector", lang="en")

# %%
by_category = exploration.hazard_counts(tables, AS_OF, by="category", lang="en")
px.bar(by_category.reset_index(), x="label", y=["general", "major"], title="Hazards found by category, last 365 days")

# %%
overview.town_sector_matrix(tables, AS_OF, metric="hazards_found", period_days=365)

# %% [markdown]
# ## 隐患整改 Rectification
# 按整改期限所在月份：到期多少、已整改多少、按期多少；按镇街和行业看各状态；逾期清单。
# By month of deadline: how many fell due, how many were rectified, how many on time; states per town
# and sector; the overdue list.

# %%
rates = followup.rectification_rate(tables, AS_OF, months=12)
px.line(rates, x="month", y=["rate", "on_time_rate"], title="Rectification by month of deadline")

# %%
followup.states_by(tables, AS_OF, by="town").head(10)

# %%
followup.states_by(tables, AS_OF, by="sector")

# %%
overdue = followup.overdue_list(tables, AS_OF)
print(f"{len(overdue)} hazards overdue on {AS_OF.date()}")
overdue.head(10)

# %% [markdown]
# ## 检查对象怎么选的 How inspections were chosen, and what each kind found
# 双随机抽查（random）按抽签选企业，命中率反映全县真实水平；重点检查、回头看、举报核查是有针对性的，
# 命中率更高——这就是选择偏差：只用被检查企业训练和评估模型，会偏向办公室本来就怀疑的企业。
#
# Random (双随机) draws pick firms by lot, so what they find is what the county holds; targeted visits,
# follow-ups and complaints go where the office already suspects something, and find more. That is
# the selection bias the models must live with (`analytics/models/labels.py`): the backtest weighs labels by
# the inverse propensity of being inspected and reports precision on random inspections alone.

# %%
exploration.inspections_by_mode(tables, AS_OF, lang="en")

# %% [markdown]
# 每个 90 天标签窗口：双随机与仅重点检查企业的命中率（发现重大隐患或发生事故），及二者之比。
# Per 90-day label window: hit rates (major hazard found or accident) of randomly and of only
# non-randomly inspected firms, and their ratio (`labels.selection_bias`). With about 90 random
# visits per window a single ratio is noisy (one or two hits move it); read the run of them.

# %%
origins = rolling_origins(AS_OF - pd.Timedelta(days=HORIZON_DAYS), count=6)
exploration.selection_bias_by_origin(tables, origins)

# %%
store.dispose()
scratch.cleanup()
