"""The dashboard's words in Chinese (default) and English, and how numbers and dates are written.

The one phrase book of the dashboard: every page, the navigation (``nav.*``, also the names pages
register with, ``page_names``), the sign-in page, the grids' own words (``grid_locale``) and the
pages' messages. ``t(key, lang)`` looks a phrase up in ``CATALOGUE``, keyed ``<page>.<phrase>``; no
page keeps a table of its own (tests/dashboard/test_i18n.py checks that, and that every key has both
languages with the same ``{fields}``). Contract labels (sectors, levels, columns) come from
``analytics.contract.schema`` through ``label``.

Long because it is the whole phrase book: splitting it per page would bring back per-page tables. The chosen language travels in the ``lang`` URL
parameter or the ``saferank_lang`` cookie (set by the language switch, read on every page load):
``current_lang(query_lang)`` picks it.
"""

from __future__ import annotations

import math

import pandas as pd

from analytics.contract.schema import Code
from analytics.contract.words import plural  # English counts: "{n} firm(s)" is "1 firm", "3 firms"

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
COOKIE = "saferank_lang"

CATALOGUE: dict[str, tuple[str, str]] = {
    "app.title": ("SafeRank 安全生产风险靶向", "SafeRank risk targeting"),
    "lang.switch": ("语言", "Language"),
    "as_of": ("评估日期", "As of"),
    "no_lists": ("尚无风险清单：请先导入数据并评分（saferank score）。",
                 "No risk list yet: import data and score it first (saferank score)."),
    "no_data": ("暂无数据", "No data"),
    "firm_with_id": ("{name}（编码 {id}）", "{name} (ID {id})"),
    "date.pick": ("选择日期", "Select a date"),
    "date.start": ("开始日期", "Start date"),
    "date.end": ("结束日期", "End date"),
    "errors.page_forbidden": ("当前账户无权访问此页面。", "This account may not open this page."),
    "errors.back": ("返回", "Back"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "change_since": ("较上期", "vs previous period"),
    "period_note": ("统计周期：截至评估日期的 {days} 天；上期为之前的 {days} 天。",
                    "Period: the {days} day(s) up to the as-of date; previous period: the {days} day(s) before."),
    # overview
    "overview.name": ("总览", "Overview"),
    "overview.heatmap": ("镇街 × 行业领域", "Town × sector"),
    "overview.cell_firms": ("企业 {n} 家", "{n} firm(s)"),
    "overview.heatmap_hint": ("点击单元格查看该镇街、该行业的风险清单", "Click a cell to open the risk list for that town and sector"),
    "overview.map": ("各镇街平均风险概率", "Mean calibrated risk by town"),
    "overview.map_missing": ("没有镇街边界数据，无法显示地图。", "No town boundaries are available, so no map is shown."),
    "overview.trend": ("每周发现与整改隐患", "Hazards found vs rectified per week"),
    "overview.found": ("发现", "Found"),
    "overview.rectified": ("整改", "Rectified"),
    "overview.week": ("周", "Week"),
    "overview.enterprises": ("企业数", "Enterprises"),
    # risk list
    "risk-list.name": ("风险清单", "Risk list"),
    "risk-list.town": ("镇街", "Town"),
    "risk-list.sector": ("行业领域", "Sector"),
    "risk-list.level": ("风险等级", "Risk level"),
    "risk-list.flags": ("重点标记", "Key flags"),
    "risk-list.search": ("企业名称或编码", "Enterprise name or ID"),
    "risk-list.all": ("全部", "All"),
    "risk-list.count": ("共 {total} 家企业", "{total} enterprise(s)"),
    "risk-list.export_xlsx": ("导出 Excel", "Export Excel"),
    "risk-list.export_csv": ("导出清单 CSV（数据规范格式）", "Export list CSV (contract format)"),
    "risk-list.share": ("本页网址即为当前筛选，可直接分享。", "This page's address holds the filters: share it as is."),
    "risk-list.name_col": ("企业名称", "Enterprise"),
    "risk-list.top_reason": ("首要原因", "Top reason"),
    "risk-list.open": ("打开", "Open"),
    # enterprise
    "enterprise.name": ("企业画像", "Enterprise"),
    "enterprise.pick": ("请输入企业编码、按名称查找，或从风险清单点击一家企业。", "Enter an enterprise ID, find one by name, or click one in the risk list."),
    "enterprise.id": ("企业编码", "Enterprise ID"),
    "enterprise.find": ("按名称查找", "Find by name"),
    "enterprise.no_match": ("没有名称含“{text}”的企业。", "No enterprise's name contains \"{text}\"."),
    "enterprise.matches": ("找到 {n} 家企业（名称、镇街、编码）：", "{n} enterprise(s) found (name, town, ID):"),
    "enterprise.matches_cut": ("只列出前 {limit} 家，请输入更多字。", " Only the first {limit} are listed; type more."),
    "enterprise.profile": ("基本情况", "Profile"),
    "enterprise.history": ("风险概率与等级变化", "Score and level over time"),
    "enterprise.reasons": ("主要原因", "Reasons"),
    "enterprise.timeline": ("时间线", "Timeline"),
    "enterprise.not_listed": ("该日期的风险清单中没有这家企业。", "This enterprise is not on the list of that date."),
    "enterprise.inspections": ("检查次数", "Inspections"),
    "enterprise.hazards": ("隐患数", "Hazards"),
    "enterprise.major_hazards": ("重大隐患数", "Major hazards"),
    "enterprise.open_hazards": ("未整改隐患", "Open hazards"),
    "enterprise.overdue_hazards": ("逾期未改隐患", "Overdue hazards"),
    "enterprise.date": ("日期", "Date"),
    "enterprise.kind": ("类型", "Kind"),
    "enterprise.detail": ("内容", "Detail"),
    "enterprise.state": ("整改状态", "Rectification state"),
    "enterprise.record_id": ("记录编号", "Record ID"),
    "enterprise.rank": ("排名", "Rank"),
    # follow-up
    "followup.name": ("隐患整改", "Follow-up"),
    "followup.by": ("分组", "Group by"),
    "followup.states": ("隐患整改状态（近 {days} 天内曾未整改的隐患）", "Hazard states (hazards open at some time in the last {days} day(s))"),
    "followup.overdue": ("逾期未改隐患（最早到期在前）", "Overdue hazards (oldest deadline first)"),
    "followup.rate": ("按整改期限月份的整改率", "Rectification rate by month of deadline"),
    "followup.rate_all": ("已整改", "Rectified"),
    "followup.rate_on_time": ("按期整改", "On time"),
    "followup.days_overdue": ("逾期天数", "Days overdue"),
    "followup.month": ("月份", "Month"),
    "followup.count": ("隐患数", "Hazards"),
    # model
    "model.name": ("模型", "Model"),
    "model.card": ("模型卡", "Model card"),
    "model.version": ("模型版本", "Model version"),
    "model.precision": ("检查前 k% 企业的命中率（回测）", "Precision at the top k% of enterprises (backtest)"),
    "model.precision_hint": (
        "命中率：排名前 k% 的企业中，随后窗口内的检查发现重大隐患或发生事故的比例，按报告起点汇总各起点的检查次数与命中数；"
        "阴影为 95% 区间（按起点的移动区块自助法，与下方区间表同一方法）。阴影重叠处，两条曲线的差别可能只是噪声。"
        "数字来自训练时的回测，随模型卡保存（较早的版本只有各起点平均值，没有阴影）。",
        "Precision: among the top k% of enterprises, the share of the visits in the window after each origin that found "
        "a major hazard or where an accident happened, visits and hits pooled over the reported origins; the shading is "
        "the 95% interval (a moving-block bootstrap over origins, the method of the interval table below). Where the "
        "shadings overlap, the gap between two curves may be noise. The numbers come from the backtest run at training "
        "and are kept with the model card (older versions keep means over origins only, without shading).",
    ),
    "model.precision_axis": ("命中率（各起点汇总）", "Precision (pooled over origins)"),
    "model.k": ("检查前 k% 的企业", "Top k% of enterprises inspected"),
    "model.k_inspected": ("窗口内被检查企业中排名前 k%", "Top k% of the firms inspected in the window"),
    "model.capacity": ("检查能力", "Capacity"),
    "model.random": ("随机顺序", "Random order"),
    "model.rule": ("经验评分卡", "Rule of thumb"),
    "model.calibration": ("校准曲线", "Calibration"),
    "model.calibration_hint": ("按预测概率十分位分组（回测中已检查的企业）：点越接近虚线，概率越可信。",
                               "Score deciles among the firms inspected in the backtest: the closer to the dotted "
                               "line, the more the probabilities can be taken at their word."),
    "model.perfect": ("完全校准", "Perfectly calibrated"),
    "model.predicted": ("预测概率", "Predicted probability"),
    "model.observed": ("实际发生率", "Observed rate"),
    "model.per_group": ("按镇街 / 行业的命中率", "Precision by town / sector"),
    "model.group_hint": ("回测各起点合计的容量内命中率；已检查企业少的组波动大。",
                         "Precision at capacity pooled over backtest origins; groups with few inspected firms vary a lot."),
    "model.by": ("分组", "Group by"),
    "model.inspected": ("已检查", "Inspected"),
    "model.positives": ("阳性", "Positives"),
    "model.importance": ("特征重要性", "Feature importance"),
    "model.importance_hint": ("训练日在营企业上，各特征对风险概率对数几率的平均绝对贡献（前 20 个）。",
                              "Mean absolute contribution of each feature to the log-odds of the score, over the firms "
                              "operating on the training date (top 20)."),
    "model.versions": ("模型版本对比", "Versions side by side"),
    "model.versions_hint": ("各版本训练时的回测指标（各起点平均，括号内为 95% 区间，按起点的移动区块自助法）；“在用”者生成当前风险清单。",
                            "Each version's backtest at training (means over origins, 95% intervals in brackets from a "
                            "moving-block bootstrap over origins); the serving one makes the risk lists."),
    "model.list_version": ("{date} 的风险清单由版本 {version} 生成。", "The risk list of {date} was made by version {version}."),
    "model.not_serving": ("您查看的不是在用版本（在用：{serving}）。", "This is not the serving version (serving: {serving})."),
    "model.none": (
        "尚未登记任何模型（新县或尚未训练）。运行 saferank train：检查结果足够时训练并登记模型，不足时登记经验评分卡作为兜底；"
        "之后本页显示模型卡、回测与特征重要性。",
        "No model is registered yet (a new county, or no training run). Run saferank train: with enough inspection "
        "results it trains and registers a model, otherwise it registers the rule-of-thumb scorecard as the fallback; "
        "then this page shows the model card, the backtest and feature importance.",
    ),
    "model.fallback": ("本版本为经验评分卡兜底（已标注阳性样本不足），没有回测结果。",
                       "This version is the rule-of-thumb fallback (too few labelled positives), so there is no backtest."),
    "model.no_backtest": ("本版本训练时尚未随模型卡保存回测明细：重新训练（saferank train）后即可显示回测图表与特征重要性。",
                          "This version was trained before backtest details were kept on the card: train again "
                          "(saferank train) to see the backtest charts and feature importance."),
    "model.missing": ("尚无模型或回测结果。", "No model or backtest results yet."),
    "model.intervals": ("汇总命中率与 95% 区间（报告起点）", "Pooled precision with 95% intervals (reported origins)"),
    "model.intervals_hint": (
        "报告起点（择优从未读取）前 k 名的检查汇总计算；区间为按起点的移动区块自助法，相邻 90 天窗口重叠已计入。"
        "区间含 0 的差异在噪声范围内，不能说有差别。下方曲线在检查能力处的值即本表的汇总命中率。",
        "The top-k visits pooled over the reported origins (never read by the choice); intervals from a moving-block "
        "bootstrap over origins, which accounts for overlapping 90-day windows. A difference whose interval covers 0 is "
        "within noise. The curve below, at the capacity, is this table's pooled precision.",
    ),
    "model.no_intervals": ("本版本训练时尚未随模型卡保存区间：重新训练（saferank train）后即可显示。",
                           "This version was trained before intervals were kept on the card: train again (saferank train) "
                           "to see them."),
    "model.too_few_random": ("双随机检查太少，无法判断", "too few random visits to tell"),
    "model.with_without": ("有无对比：逆倾向加权与用电特征族", "With and without: inverse-propensity weights and the power family"),
    "model.with_without_hint": (
        "同一模型在相同起点、相同样本上，去掉逆倾向加权或用电特征族后重新训练，命中率的配对差及其 95% 区间。",
        "The same model refitted on the same origins and rows without inverse-propensity weights, or without the power "
        "feature family: the paired difference in precision and its 95% interval.",
    ),
    "model.absent": ("缺失", "absent"),
    # 数据导入 /import
    "import.title": ("数据导入", "Import data"),
    "import.how": ("上传省级系统或本单位导出的 .xlsx 工作簿（或 CSV 文件的 .zip 压缩包），核对列和代码的对应关系，先检查，再导入。"
                   "检查不改动数据库；“全部导入”遇到任何错误都不导入；“跳过错误行导入”只导入无误的行，错误行可下载修改后再导入。",
                   "Upload the .xlsx workbook (or a .zip of CSV files) your provincial system exports, confirm how its columns and "
                   "codes map onto the template, check it, then import. A check changes nothing; 'Import all or nothing' "
                   "imports nothing while any problem remains; 'Import, skipping bad rows' loads the good rows, and the bad "
                   "ones can be downloaded, corrected and imported again."),
    "import.step_upload": ("第一步：上传文件", "Step 1: upload the file"),
    "import.drop": ("将文件拖到这里，或点击选择（.xlsx、.zip、.csv，最大 {mb} MB）",
                    "Drop the file here, or click to choose (.xlsx, .zip, .csv; at most {mb} MB)"),
    "import.too_large": ("文件过大或类型不对（最大 {mb} MB）：请分批上传，或用命令行 saferank import 导入。",
                         "The file is too large or of the wrong type (at most {mb} MB): upload it in parts, or use saferank import."),
    "import.received": ("已收到 {name}（{kb} KB），建议的列映射见下方。", "Received {name} ({kb} KB); the proposed mapping is below."),
    "import.step_mapping": ("第二步：核对列和代码的对应关系", "Step 2: confirm the mapping of columns and codes"),
    "import.saved": ("沿用已保存的来源系统映射", "Reuse a saved source system's mapping"),
    "import.none_saved": ("（不沿用）", "(none)"),
    "import.system": ("来源系统名称（导入后保存映射，下次沿用）", "Source system (the mapping is saved under it after an import)"),
    "import.export_date": ("导出日期", "Export date"),
    "import.mapping_hint": ("每行是一个工作表、一列或一个代码取值：“对应到”一栏可直接修改（留空表示不导入该列），可填的值见最后一栏。"
                            "与模板列名完全一致的列不再列出。",
                            "Each row is a sheet, a column or a code label: edit 'Maps to' directly (empty: not imported); the "
                            "allowed values are in the last column. Columns already named as in the template are not listed."),
    "import.repropose": ("按改过的工作表重新建议列映射", "Propose the columns again for the sheets as changed"),
    "import.kind_table": ("工作表", "sheet"),
    "import.kind_column": ("列", "column"),
    "import.kind_code": ("代码取值", "code label"),
    "import.how_exact": ("模板列名", "template name"),
    "import.how_alias": ("中文列名", "Chinese name"),
    "import.how_synonym": ("常见别名", "known synonym"),
    "import.how_close": ("近似匹配，请核对", "close match, please check"),
    "import.how_saved": ("已保存的映射", "saved mapping"),
    "import.how_none": ("未匹配，不导入", "no match, not imported"),
    "import.col_kind": ("类别", "Kind"),
    "import.col_table": ("数据表", "Table"),
    "import.col_column": ("列", "Column"),
    "import.col_source": ("原文", "As written"),
    "import.col_target": ("对应到", "Maps to"),
    "import.col_how": ("依据", "Found by"),
    "import.col_allowed": ("可填", "Allowed"),
    "import.col_file": ("文件", "File"),
    "import.col_row": ("行", "Row"),
    "import.col_value": ("值", "Value"),
    "import.col_reason": ("原因", "Reason"),
    "import.step_check": ("第三步：检查并导入", "Step 3: check and import"),
    "import.check": ("检查（不导入）", "Check (import nothing)"),
    "import.all": ("全部导入（有错误则不导入）", "Import all or nothing"),
    "import.skip": ("跳过错误行导入", "Import, skipping bad rows"),
    "import.get_problems": ("下载问题清单", "Download the problem list"),
    "import.get_rejects": ("下载未导入的行", "Download the rejected rows"),
    "import.problems_file": ("导入问题清单.csv", "import-problems.csv"),
    "import.checked": ("检查完成：发现 {problems} 处问题，{rejected} 行不能导入；数据库未改动。",
                       "Checked: {problems} problem(s), {rejected} row(s) cannot be imported; the store was not changed."),
    "import.done": ("导入完成：新增 {inserted} 行，更新 {updated} 行，{rejected} 行未导入（见下方问题清单）。",
                    "Imported: {inserted} row(s) added, {updated} updated, {rejected} not imported (see the problems below)."),
    "import.refused": ("未导入：发现 {problems} 处问题，数据库未改动。请改正后重试，或选择“跳过错误行导入”。",
                       "Not imported: {problems} problem(s) found; the store was not changed. Correct them and retry, or "
                       "import skipping the bad rows."),
    "import.quality": ("查看数据质量报告", "See the data-quality report"),
    "import.quality_cli": ("数据质量报告：saferank quality。", "Data-quality report: saferank quality."),
    "import.sum_table": ("数据表", "Table"),
    "import.sum_read": ("读取", "Read"),
    "import.sum_inserted": ("新增", "Added"),
    "import.sum_updated": ("更新", "Updated"),
    "import.sum_unchanged": ("未变", "Unchanged"),
    "import.sum_rejected": ("未导入", "Rejected"),
    "import.progress": ("{stage} 表 {number}/{tables}：{table} {done}/{total} 行", "{stage} table {number}/{tables}: {table} {done}/{total} row(s)"),
    "import.progress_start": ("正在读取文件……", "Reading the files…"),
    "import.stage_check": ("检查", "Checking"),
    "import.stage_write": ("写入", "Writing"),
    # navigation: one entry per page path ("nav." + the path without slashes, "overview" for "/")
    "nav.overview": ("总览", "Overview"),
    "nav.risk-list": ("风险清单", "Risk list"),
    "nav.enterprise": ("企业画像", "Enterprise"),
    "nav.followup": ("隐患整改", "Follow-up"),
    "nav.model": ("模型", "Model"),
    "nav.plan": ("检查计划", "Plan"),
    "nav.inspector": ("检查组", "Inspector"),
    "nav.dispositions": ("三个一批", "Dispositions"),
    "nav.places": ("场所清单", "Places"),
    "nav.people": ("人群清单", "People"),
    "nav.bulletin": ("检查通报", "Bulletin"),
    "nav.alerts": ("预警", "Warnings"),
    "nav.import": ("数据导入", "Import"),
    "nav.admin": ("系统管理", "Administration"),
    "nav.sign_out": ("退出", "Sign out"),
    "map.approximate": ("未导入镇街边界（towns.geojson）：图中区域按各镇街企业位置近似划分。",
                        "No town map (towns.geojson) was imported: the areas are drawn around each town's firms."),
    "plan.map_missing": ("没有镇街边界或企业坐标，无法显示地图。", "No town map or firm coordinates, so no map is shown."),
    # bulletin
    "bulletin.title": ("检查情况通报", "Inspection bulletin"),
    "bulletin.period": ("统计期间", "Period"),
    "bulletin.teams": ("各检查组（按整改率排名）", "Inspection teams (ranked by rectification rate)"),
    "bulletin.towns": ("各镇街（按整改率排名）", "Towns (ranked by rectification rate)"),
    "bulletin.xlsx": ("导出 Excel", "Export Excel"),
    "bulletin.html_zh": ("打印版通报（中文）", "Printable bulletin (Chinese)"),
    "bulletin.html_en": ("打印版通报（英文）", "Printable bulletin (English)"),
    "bulletin.no_data": ("尚无检查记录：请先导入数据。", "No inspections yet: import data first."),
    # inspector
    "inspector.slot": ("序号", "No."),
    "inspector.title": ("本组检查安排与结果录入", "My team's visits and results"),
    "inspector.scope": (
        "仅显示本组今天及以前的检查安排。检查安排不得提前告知被检查单位。",
        "Only your team's visits of today and before are shown. Never tell an enterprise in advance.",
    ),
    "inspector.visits": ("检查安排（点一张卡片录入结果）", "Visits (tap a card to enter results)"),
    "inspector.today": ("今天", "Today"),
    "inspector.done": ("已完成", "Done"),
    "inspector.not_done": ("未完成", "Not done"),
    "inspector.open_hazards": ("未整改隐患", "open hazards"),
    "inspector.none_pick": ("无", "None"),
    "inspector.finding_n": ("隐患 {n}（未发现则保持“无”）", "Hazard {n} (leave at None if none)"),
    "inspector.none": ("没有检查安排。", "No visits."),
    "inspector.entry": ("录入检查结果", "Enter results"),
    "inspector.pick": ("请先在上方选择一次检查。", "Pick a visit above first."),
    "inspector.date": ("检查日期", "Inspection date"),
    "inspector.findings": ("发现的隐患（每处一栏）", "Hazards found (one block each)"),
    "inspector.rectify": ("未整改隐患：填写整改完成日期即销号", "Open hazards: a rectification date closes one"),
    "inspector.save": ("保存结果", "Save results"),
    "inspector.reason": ("检查原因", "Reason"),
    "inspector.reason_is": ("检查原因：{reason}", "Reason: {reason}"),
    "inspector.enterprise": ("企业", "Enterprise"),
    # dispositions
    "dispositions.title": ("三个一批（规范达标、改造提升、关停取缔）", "Three batches: standardise, upgrade, close"),
    "dispositions.how": (
        "系统按规则给出建议及依据；请选中一行，确认或改判后保存。决定按企业和专项行动保存，重新评分后仍然有效。",
        "The system recommends from its rules, with the evidence; select a row, confirm or change the batch and save. Decisions are kept per enterprise and campaign, so they survive re-scoring.",
    ),
    "dispositions.batch": ("按处置决定筛选", "Filter by decision"),
    "dispositions.export": ("导出 Excel", "Export Excel"),
    "dispositions.selected": ("选中企业：", "Selected: "),
    "dispositions.none": ("未选中", "none"),
    "dispositions.decision": ("处置决定", "Decision"),
    "dispositions.note": ("备注", "Note"),
    "dispositions.save": ("确认并保存", "Confirm and save"),
    "dispositions.saved": ("已保存：{name} → {batch}", "Saved: {name} → {batch}"),
    "dispositions.count": ("共 {total} 家企业", "{total} enterprise(s)"),
    "dispositions.shares": ("全部 {total} 家：{shares}", "All {total}: {shares}"),
    "dispositions.evidence_title": ("处置依据", "Evidence"),
    "dispositions.firm": ("企业：{name}（{id}）", "Firm: {name} ({id})"),
    "dispositions.evidence_none": ("在左侧表格中选中一家企业，查看其处置依据。", "Select a firm in the grid to see its evidence."),
    # plan
    "plan.title": ("检查计划（四不两直、双随机）", "Inspection plan (unannounced, double-random)"),
    "plan.secret": ("检查计划属于工作秘密，不得提前告知被检查单位。", "Plans are confidential: never tell an enterprise in advance."),
    "plan.rules": ("计划规则", "Rules"),
    "plan.start": ("开始日期", "First day"),
    "plan.days": ("天数", "Days"),
    "plan.random_share": ("随机抽取比例", "Random share"),
    "plan.skip": ("近期已检查（天）不再安排", "Skip firms inspected in the last (days)"),
    "plan.min_town": ("每个镇街至少检查", "Minimum visits per town"),
    "plan.quota_sectors": ("重点行业", "Key sectors"),
    "plan.quota": ("每个重点行业至少检查", "Minimum visits per key sector"),
    "plan.seed": ("随机种子（留空自动生成）", "Seed (empty: drawn)"),
    "plan.build": ("生成计划", "Draw the plan"),
    "plan.teams_file": ("上传检查组文件（检查组、负责镇街、每日检查数）", "Upload a team file (team, towns, daily_capacity)"),
    "plan.default_teams": ("默认：15 个检查组轮流分片，每组每天 3 家", "Default: 15 teams sharing the towns, 3 visits a day"),
    "plan.built": ("已生成计划 {plan_id}。", "Plan {plan_id} drawn."),
    "plan.start_required": ("请填写开始日期（年-月-日）。", "Enter the first day (year-month-day)."),
    "plan.start_invalid": ("开始日期无法识别，请按“年-月-日”填写。", "The first day is not a date: enter it as year-month-day."),
    "plan.days_invalid": ("天数须为 1 到 90 之间的整数。", "Days must be a whole number from 1 to 90."),
    "plan.share_invalid": ("随机抽取比例须为 0 到 1 之间的数（如 0.25）。", "The random share must be a number from 0 to 1 (e.g. 0.25)."),
    "plan.count_invalid": ("{field}须为不小于 0 的整数。", "{field} must be a whole number, 0 or more."),
    "plan.plan": ("计划", "Plan"),
    "plan.team": ("检查组", "Team"),
    "plan.date": ("日期", "Day"),
    "plan.all": ("全部", "All"),
    "plan.expected": ("预计发现重大隐患", "Expected major hazards found"),
    "plan.this_plan": ("本计划", "This plan"),
    "plan.random_plan": ("同样次数的纯随机抽查", "Random plan of the same size"),
    "plan.summary": (
        "{visits} 次检查；预计发现重大隐患 {found:.1f} 处，纯随机抽查预计 {random:.1f} 处（{ratio}）。随机种子 {seed}。",
        "{visits} visit(s); expected major hazards found {found:.1f}, a random plan of the same size {random:.1f} ({ratio}). Seed {seed}.",
    ),
    "plan.map": ("各镇街检查次数", "Visits per town"),
    "plan.follow_up_share": ("现场回头看每日至多占比", "On-site follow-ups, at most this share a day"),
    "plan.red_cycle": ("红色风险企业至少每（天）检查一次", "Red firms visited at least every (days)"),
    "plan.orange_cycle": ("橙色风险企业至少每（天）检查一次", "Orange firms visited at least every (days)"),
    "plan.replace": ("替换同日期的已有计划（不勾选：生成新版本）", "Replace the plan of the same dates (unticked: a new version)"),
    "plan.versioned": ("这是同日期计划的第 {version} 版，取代 {old}（旧版保留）。",
                       "This is version {version} of the plan of these dates, superseding {old} (kept)."),
    "plan.replaced": ("已替换同日期的计划 {old}（第 {version} 版）。", "Replaced the plan {old} of these dates (version {version})."),
    "plan.superseded": ("已被新版本取代", "superseded"),
    "plan.follow_share_invalid": ("回头看占比须为 0 到 1 之间的数（如 0.3）。", "The follow-up share must be a number from 0 to 1 (e.g. 0.3)."),
    "plan.cycle_invalid": ("{field}须为 1 到 3650 之间的整数。", "{field} must be a whole number from 1 to 3650."),
    "plan.evidence": ("书面核查（一般隐患，企业提交整改材料）", "Evidence review (general hazards: the firm sends proof)"),
    "plan.evidence_count": ("{count} 家企业的一般隐患在整改期限内，转为书面核查，不安排现场回头看。",
                            "{count} firm(s) with general hazards within their deadline: evidence review, no on-site follow-up."),
    "plan.no_evidence": ("本计划没有转为书面核查的隐患。", "No hazard of this plan is left to evidence review."),
    "plan.route": ("预计路程共 {km:.0f} 公里（直线距离估算，每组每天平均 {per_day:.1f} 公里；每天按就近顺序排列）。",
                   "Estimated route: {km:.0f} km in all (straight-line, {per_day:.1f} km a team-day; each day in nearest-neighbour order)."),
    "plan.visits": ("检查次数", "Visits"),
    "plan.export": ("导出 Excel（每组一页）", "Export Excel (a sheet per team)"),
    "plan.print": ("打印版（每组每天一页）", "Print view (a page per team and day)"),
    "plan.no_plans": ("尚无检查计划。", "No plan yet."),
    "plan.no_list": ("尚无风险清单：请先导入数据并评分（saferank score）。", "No risk list yet: import and score first (saferank score)."),
    "plan.leader_scope": ("分管领导仅可查看当天及以前的检查安排。", "Leaders see the visits of today and earlier only."),
    # admin
    "admin.title": ("系统管理", "Administration"),
    "admin.accounts": ("账户", "Accounts"),
    "admin.add": ("新增账户", "Add an account"),
    "admin.username": ("账户名", "Username"),
    "admin.display_name": ("姓名", "Name"),
    "admin.role": ("角色", "Role"),
    "admin.team": ("组别（检查组必填）", "Team (inspectors)"),
    "admin.team_column": ("组别", "Team"),
    "admin.disabled_column": ("已停用", "Disabled"),
    "admin.created_column": ("创建时间", "Created"),
    "admin.password": ("初始密码（至少 10 位）", "Initial password (10+ characters)"),
    "admin.save": ("新增", "Add"),
    "admin.manage": ("停用 / 启用 / 重置密码 / 令牌", "Disable / enable / reset password / tokens"),
    "admin.disable": ("停用", "Disable"),
    "admin.enable": ("启用", "Enable"),
    "admin.reset": ("重置密码", "Reset password"),
    "admin.token": ("创建接口令牌", "Create API token"),
    "admin.token_id": ("令牌编号", "Token id"),
    "admin.revoke": ("吊销令牌", "Revoke token"),
    "admin.audit": ("审计日志", "Audit log"),
    "admin.action": ("操作", "Action"),
    "admin.object": ("对象", "Object"),
    "admin.since": ("起始日期", "From"),
    "admin.until": ("截止日期", "Until"),
    "admin.search": ("查询", "Search"),
    "admin.export": ("导出 CSV", "Export CSV"),
    "admin.done": ("已完成。", "Done."),
    "admin.added": ("已新增账户 {name}。", "Added the account {name}."),
    "admin.new_password": ("新密码（只显示这一次）：{secret}", "New password (shown this once): {secret}"),
    "admin.new_token": ("令牌 {id}（只显示这一次）：{secret}", "Token {id} (shown this once): {secret}"),
    "admin.shown": ("显示最近 {n} 条", "Showing the latest {n}"),
    # 数据质量 /quality (and the terminal lines of saferank serve)
    "nav.quality": ("数据质量", "Data quality"),
    "quality.title": ("数据质量报告", "Data-quality report"),
    "quality.how": ("库中现有数据的体检：各列填写率、日期范围、各镇街和行业的记录数、引用缺失、重复、晚于导出日期的记录，"
                    "以及模型因此缺少哪些特征族、为什么。每次导入后重新计算；导出的 Excel 与导入后命令行写出的相同。",
                    "A check-up of what the store holds: how full each column is, date ranges, rows per town and sector, "
                    "missing references, repeats, records dated after the export date, and which feature families the model "
                    "will lack and why. Computed afresh after every import; the Excel export is the workbook the command "
                    "line writes after an import."),
    "quality.export": ("导出 Excel", "Export Excel"),
    "quality.refresh": ("重新检查", "Check again"),
    "quality.summary": ("摘要", "Summary"),
    "quality.empty": ("库中尚无数据，请先导入。", "The store holds no data yet: import first."),
    "serve.address": ("SafeRank 已启动：在浏览器打开 {url} （按 Ctrl-C 停止）", "SafeRank is serving at {url} (Ctrl-C stops it)"),
    "serve.address_every": ("SafeRank 已启动：在浏览器打开 {url} （本机所有地址均可访问；按 Ctrl-C 停止）",
                            "SafeRank is serving at {url} (on every address of this machine; Ctrl-C stops it)"),
    "serve.username": ("<用户名>", "<username>"),
    "serve.first_admin": ("尚无管理员账号，无法登录。请在另一个终端创建第一个管理员：{command}"
                          "（会要求输入两次密码；脚本中加 --password-stdin），然后刷新登录页。",
                          "No administrator account exists yet, so no one can sign in. Create the first one in another "
                          "terminal: {command} (it asks for the password twice; in a script add --password-stdin), then "
                          "reload the sign-in page."),
    "serve.port_busy": ("端口 {port} 已被占用（{host}）：可能已有一个 SafeRank 在运行。请换一个端口（--port 8060）或先停止占用它的程序。",
                        "Port {port} is already in use on {host}: SafeRank may be running already. Choose another port "
                        "(--port 8060) or stop the program holding it."),
    "serve.cannot_bind": ("无法在 {host}:{port} 上提供服务：{reason}。请检查 --host 和 --port。",
                          "Cannot serve on {host}:{port}: {reason}. Check --host and --port."),
    # places
    "places.title": ("人员密集场所清单", "Crowded places and venues"),
    "places.how": (
        "消防重点单位及人员密集场所、文化旅游场所单独排名：其风险落在公众身上。",
        "Fire-safety key units, crowded places and tourism venues ranked on their own: their risk falls on the public.",
    ),
    "places.export": ("导出 Excel", "Export Excel"),
    "places.count": ("共 {total} 处场所", "{total} place(s)"),
    # people
    "people.title": ("重点人群清单", "People at risk"),
    "people.how": (
        "无证特殊作业、无资质外包队伍、大风寒潮预警期间在海渔船船员，按暴露（人数×天数）排序。",
        "Special operations with uncertified operators, crews of unqualified contractors and fishing crews at sea under gale or cold-wave alerts, ranked by exposure (people × days).",
    ),
    "people.days": ("统计最近天数", "Window (days)"),
    "people.export": ("导出 Excel", "Export Excel"),
    "people.count": ("共 {total} 条，暴露合计 {exposure} 人·天", "{total} row(s), total exposure {exposure} person-days"),
    # alerts (预警)
    "alerts.title": ("预警", "Warnings"),
    "alerts.how": ("自起始日之后至截止日新出现的预警：用电显示停产企业疑似复产、重大隐患逾期、气象预警涉及的重点行业、新升为红色风险的企业、事故和举报。",
                   "What turned urgent after the start day up to the end day: firms recorded as stopped that draw power, "
                   "major hazards gone overdue, weather alerts over the sectors they endanger, firms newly red, accidents and complaints."),
    "alerts.since": ("起始日（不含）", "After"),
    "alerts.as_of": ("截止日", "Up to"),
    "alerts.digest": ("导出预警日报（Excel）", "Export the digest (Excel)"),
    "alerts.count": ("共 {total} 条预警，其中新预警 {new} 条", "{total} warning(s), {new} new"),
    "alerts.state": ("改为", "Set to"),
    "alerts.apply": ("更新所选预警", "Update the selected warning"),
    "alerts.note": ("备注", "Note"),
    "alerts.pick": ("请先在表中选择一条预警。", "Select a warning in the table first."),
    "alerts.done": ("已将预警 {alert_id} 改为“{state}”。", "Warning {alert_id} set to “{state}”."),
    "alerts.no_data": ("尚无检查记录：请先导入数据。", "No inspections yet: import data first."),
    "alerts.col.date": ("日期", "Date"),
    "alerts.col.kind": ("类型", "Kind"),
    "alerts.col.enterprise_name": ("企业", "Enterprise"),
    "alerts.col.town_name": ("镇街", "Town"),
    "alerts.col.team": ("责任检查组", "Team"),
    "alerts.col.reason": ("原因", "Reason"),
    "alerts.col.confidence": ("置信度", "Confidence"),
    "alerts.col.state": ("状态", "State"),
    "alerts.col.changed_by": ("处理人", "Changed by"),
    # login
    "login.title": ("SafeRank 风险分级监管 · 登录", "SafeRank risk targeting · Sign in"),
    "login.heading": ("安全生产风险分级监管", "Work-safety risk targeting"),
    "login.username": ("账户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.switch": ("English", "中文"),
    "login.note": (
        "多次输入错误后，需等待一段时间才能再次尝试。忘记密码请联系系统管理员。",
        "After several wrong passwords you must wait a while before trying again. Ask an administrator to reset a forgotten password.",
    ),
}


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """The phrase ``key`` in ``lang``, with ``{name}`` fields filled from ``values``; an English count
    written ``{n} firm(s)`` agrees with its number."""
    zh, en = CATALOGUE[key]
    text = zh if lang == "zh" else plural(en, values)
    return text.format(**values) if values else text

# AG Grid's own words (paging, filter menus, "no rows") in Chinese; in English the grid's defaults stand.
GRID_LOCALE_ZH: dict[str, str] = {
    "page": "第", "more": "更多", "to": "至", "of": "共", "next": "下一页", "last": "末页", "first": "首页",
    "previous": "上一页", "loadingOoo": "加载中…", "loadingError": "加载出错", "noRowsToShow": "没有数据",
    "pageSizeSelectorLabel": "每页行数：", "ariaPageSizeSelectorLabel": "每页行数", "pageLastRowUnknown": "?",
    "filterOoo": "筛选…", "searchOoo": "搜索…", "selectAll": "全选", "blanks": "（空白）", "noMatches": "无匹配项",
    "equals": "等于", "notEqual": "不等于", "contains": "包含", "notContains": "不包含", "startsWith": "开头是",
    "endsWith": "结尾是", "blank": "为空", "notBlank": "不为空", "lessThan": "小于", "greaterThan": "大于",
    "lessThanOrEqual": "小于等于", "greaterThanOrEqual": "大于等于", "inRange": "介于", "inRangeStart": "从",
    "inRangeEnd": "到", "andCondition": "且", "orCondition": "或", "applyFilter": "应用", "resetFilter": "重置",
    "clearFilter": "清除", "cancelFilter": "取消", "dateFormatOoo": "yyyy-mm-dd", "before": "早于", "after": "晚于",
    "pinColumn": "固定列", "autosizeThisColumn": "自动调整此列宽", "autosizeAllColumns": "自动调整所有列宽",
    "resetColumns": "重置列", "sortAscending": "升序", "sortDescending": "降序", "sortUnSort": "取消排序",
    "columnFilter": "列筛选", "columnChooser": "选择列", "copy": "复制", "export": "导出",
    # the set filter, row selection and paging (the words screen readers announce included)
    "selectAllSearchResults": "（全选搜索结果）", "addCurrentSelectionToFilter": "将当前所选加入筛选",
    "typeToSearchOoo": "输入以搜索…", "noMatchingRows": "没有匹配的行", "selectedRows": "已选",
    "ariaRowSelect": "按空格键选中此行", "ariaRowDeselect": "按空格键取消选中此行",
    "ariaRowToggleSelection": "按空格键切换此行的选中状态", "ariaRowSelectAll": "按空格键切换全部行的选中状态",
    "ariaRowSelectionDisabled": "此行不可选中", "ariaChecked": "已选中", "ariaUnchecked": "未选中",
    "ariaIndeterminate": "部分选中", "ariaSearch": "搜索", "ariaSearchFilterValues": "搜索筛选值",
    "ariaFilterInput": "筛选输入", "ariaFilterValue": "筛选值", "ariaFilterList": "筛选列表",
    "ariaFilteringOperator": "筛选条件", "ariaFilterFromValue": "筛选起始值", "ariaFilterToValue": "筛选结束值",
    "ariaDateFilterInput": "日期筛选输入", "ariaFilterColumn": "按 Ctrl+回车键打开筛选", "ariaFilterMenuOpen": "打开筛选菜单",
    "ariaColumnFiltered": "本列已筛选", "ariaLabelColumnFilter": "列筛选", "ariaLabelColumnMenu": "列菜单",
    "ariaHeaderSelection": "表头可全选的列", "ariaVisible": "可见", "ariaHidden": "隐藏",
    "firstPage": "首页", "lastPage": "末页", "nextPage": "下一页", "previousPage": "上一页",
    "ariaLabelTooltip": "提示", "ariaInputEditor": "输入编辑器",
}

# dcc.Dropdown's own words (search box, select all, "2 selected"); ``{num_selected}`` is filled by the dropdown.
DROPDOWN_LABELS_ZH: dict[str, str] = {
    "select_all": "全选", "deselect_all": "取消全选", "selected_count": "已选 {num_selected} 项", "search": "搜索",
    "clear_search": "清除搜索", "clear_selection": "清除所选", "no_options_found": "没有匹配的选项",
}
# dcc.DatePickerSingle/Range in Chinese: 2026-03-01, the month as 2026年3月, weeks from Monday; English as the
# office writes dates too (ISO), weeks from Monday, "March 2026".
DATE_PICKER = {
    "zh": {"display_format": "YYYY-MM-DD", "month_format": "YYYY年M月", "first_day_of_week": 1},
    "en": {"display_format": "YYYY-MM-DD", "month_format": "MMMM YYYY", "first_day_of_week": 1},
}


def grid_locale(lang: str) -> dict[str, str]:
    """The grids' ``localeText`` for ``lang`` (empty for English, the grid's own language)."""
    return GRID_LOCALE_ZH if lang == "zh" else {}


def dropdown_labels(lang: str) -> dict[str, str] | None:
    """A ``dcc.Dropdown``'s ``labels`` for ``lang`` (``None`` for English, the dropdown's own language)."""
    return DROPDOWN_LABELS_ZH if lang == "zh" else None


def date_picker(lang: str, kind: str = "single") -> dict[str, object]:
    """A date picker's format, first weekday and placeholders for ``lang`` (``kind``: "single" or "range")."""
    props: dict[str, object] = dict(DATE_PICKER["zh" if lang == "zh" else "en"])
    if kind == "single":
        props["placeholder"] = t("date.pick", lang)
    else:
        props |= {"start_date_placeholder_text": t("date.start", lang), "end_date_placeholder_text": t("date.end", lang)}
    return props


def page_names(key: str) -> dict[str, str]:
    """``dash.register_page`` names of the page ``nav.{key}``: ``name`` (Chinese), ``name_en``, ``title``."""
    return {"name": t(f"nav.{key}", "zh"), "name_en": t(f"nav.{key}", "en"), "title": f"SafeRank {t(f'nav.{key}', 'zh')}"}


def label(codes: tuple[Code, ...], code: object, lang: str = DEFAULT_LANG) -> str:
    """A coded value's label from a contract (or summary) code table; unknown codes as they are."""
    for c in codes:
        if c.code == code:
            return c.zh if lang == "zh" else c.en
    return "" if code is None or (isinstance(code, float) and math.isnan(code)) else str(code)


def labels(codes: tuple[Code, ...], lang: str = DEFAULT_LANG) -> dict[str, str]:
    return {c.code: (c.zh if lang == "zh" else c.en) for c in codes}


def options(codes: tuple[Code, ...], lang: str = DEFAULT_LANG) -> list[dict[str, str]]:
    """Dropdown/checklist options for a code table."""
    return [{"label": c.zh if lang == "zh" else c.en, "value": c.code} for c in codes]


def normal_lang(value: object) -> str | None:
    return value if value in LANGS else None


def current_lang(query_lang: object = None) -> str:
    """The language of this request: URL ``lang``, else the cookie, else Chinese."""
    chosen = normal_lang(query_lang)
    if chosen:
        return chosen
    try:
        import flask

        return (
            normal_lang(flask.request.cookies.get(COOKIE))
            or normal_lang(flask.current_app.config.get("SAFERANK_LANGUAGE"))
            or DEFAULT_LANG
        )
    except RuntimeError:  # outside a request (tests calling layouts directly)
        return DEFAULT_LANG


def number(value: object, lang: str = DEFAULT_LANG, digits: int = 0) -> str:
    """A count or amount: ``12,345``; in Chinese, 10,000 and up as ``1.23万``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    value = float(value)
    if lang == "zh" and abs(value) >= 10_000:
        return f"{value / 10_000:,.2f}万".replace(".00万", "万")
    return f"{value:,.{digits}f}"


def percent(value: object, lang: str = DEFAULT_LANG, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value) * 100:.{digits}f}%"


def change(value: object, lang: str = DEFAULT_LANG, as_percent: bool = False) -> str:
    """A signed change: ``+12`` / ``−3`` / ``+4.0 个百分点`` (percentage points for rates)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    value = float(value)
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    if as_percent:
        unit = " 个百分点" if lang == "zh" else " pp"
        return f"{sign}{abs(value) * 100:.1f}{unit}"
    return f"{sign}{number(abs(value), lang)}"


def date(value: object, lang: str = DEFAULT_LANG) -> str:
    """``2026年3月1日`` / ``1 Mar 2026``."""
    if value is None or pd.isna(value):
        return "—"
    stamp = pd.Timestamp(value)
    return f"{stamp.year}年{stamp.month}月{stamp.day}日" if lang == "zh" else f"{stamp.day} {stamp:%b %Y}"
