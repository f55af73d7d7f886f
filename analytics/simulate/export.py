"""Writing a simulated county as contract files (UTF-8 CSV, English headers, ISO dates) plus its truth."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.contract.errors import UserError
from analytics.contract.frames import empty
from analytics.contract.schema import LOAD_ORDER, TABLES
from analytics.simulate.params import PUBLISHED, Knobs
from analytics.simulate.world import DEFAULT_AS_OF, County, simulate_county

TRUTH_FILE = "truth.csv"
PARAMETERS_FILE = "simulation.json"
GEOMETRY_FILE = "towns.geojson"
CAMPAIGN_COUNTY = 20_000  # enterprises in the county the campaign's report describes


def _as_text(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The typed table with booleans as true/false and dates as ISO days, ready for ``to_csv``."""
    out = {}
    for column in TABLES[name].columns:
        values = frame[column.name]
        if column.type == "bool":
            values = values.map({True: "true", False: "false"}, na_action="ignore").astype(object)
        elif column.type == "date":  # format each distinct day once (millions of rows share a few days)
            codes, days = pd.factorize(values)
            text = np.asarray(pd.DatetimeIndex(days).strftime("%Y-%m-%d"), dtype=object)
            values = pd.Series(np.where(codes >= 0, text[np.maximum(codes, 0)] if len(text) else None, None),
                               index=values.index, dtype=object)
        out[column.name] = values
    return pd.DataFrame(out)


def write_county(county: County, out_dir: str | Path) -> dict[str, int]:
    """Write the contract tables the world holds (optional ones only with rows), ``truth.csv`` and ``simulation.json``; return rows per file."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"无法创建输出目录 {out}：{error.strerror}。", f"Cannot create the folder {out}: {error.strerror}.") from error
    rows = {}
    for name in LOAD_ORDER:
        frame = county.tables.get(name, empty(name))
        if frame.empty and not TABLES[name].required:
            continue  # an optional table the world does not simulate
        text = _as_text(frame, name)
        # optional columns the world leaves blank are left out, as the contract allows
        blank = [c.name for c in TABLES[name].columns if not c.required and text[c.name].isna().all()]
        text.drop(columns=blank).to_csv(out / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
        rows[name] = len(frame)
    harder = not county.knobs.is_flatter
    if harder:  # the flatter world shipped no outlines; the harder one writes the contract's map file
        text = json.dumps(county.geometry(), ensure_ascii=False, separators=(",", ":")) + "\n"
        (out / GEOMETRY_FILE).write_text(text, encoding="utf-8")
    county.truth.to_csv(out / TRUTH_FILE, index=False, float_format="%.8f", lineterminator="\n")
    rows["truth"] = len(county.truth)
    description = {
        "seed": county.seed, "enterprises": county.enterprises, "start": str(county.start.date()),
        "as_of": str(county.as_of.date()), "horizon_days": 90, "rows": rows,
        "base_rates": {k: round(v, 6) for k, v in base_rates(county).items()},
        "parameters": county.parameters,
    }
    if harder:
        description["knobs"] = county.knobs.as_dict()
        description["realism"] = {k: round(v, 6) for k, v in realism_rates(county).items()}
        description["team_detection"] = {k: round(v, 4) for k, v in county.team_detection.items()}
    (out / PARAMETERS_FILE).write_text(json.dumps(description, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return rows


def _enterprise_years(county: County) -> float:
    enterprises = county.tables["enterprises"]
    begin = enterprises["established"].fillna(county.start).clip(lower=county.start)
    end = pd.Series(county.as_of, index=enterprises.index)
    events = county.tables.get("status_events")
    if events is not None:
        closed = events.loc[events["status"] == "closed"].groupby("enterprise_id", observed=True)["date"].min()
        end = enterprises["enterprise_id"].map(closed).fillna(county.as_of)
    return float(((end - begin).dt.days.clip(lower=0)).sum() / 365.25)


def base_rates(county: County) -> dict[str, float]:
    """The figures the story promises, measured on the exported records and the truth."""
    inspections, hazards = county.tables["inspections"], county.tables["hazards"]
    years = _enterprise_years(county)
    majors = hazards.loc[hazards["level"] == "major"]
    with_major = inspections["inspection_id"].isin(majors["inspection_id"])
    by_mode = with_major.groupby(inspections["mode"].astype(object)).mean()
    accidents = county.tables.get("accidents", empty("accidents"))
    campaign_day = (inspections["date"].dt.month <= 2) | (inspections["date"].dt.month * 100 + inspections["date"].dt.day >= 1115)
    unannounced = inspections["mode"] == "unannounced"
    campaign_days = max(int(campaign_day.groupby(inspections["date"]).first().sum()), 1)
    per_fortnight = unannounced.sum() / campaign_days * 14 * CAMPAIGN_COUNTY / county.enterprises
    hazards_per_unannounced = hazards["inspection_id"].isin(inspections.loc[unannounced, "inspection_id"]).sum() / max(unannounced.sum(), 1)
    label = county.truth["p_label"].to_numpy()
    top = np.sort(label)[::-1][: max(1, int(round(0.05 * len(label))))]
    rates = {
        "inspections_per_enterprise_year": len(inspections) / years,
        "hazards_per_inspection": len(hazards) / max(len(inspections), 1),
        "inspections_with_major_share": float(with_major.mean()),
        "accidents_per_enterprise_year": len(accidents) / years,
        "truth_mean_p_label": float(label.mean()),
        "truth_top5_mean_over_mean": float(top.mean() / label.mean()),
        "campaign_fortnight_unannounced_at_20000": float(per_fortnight),
        "campaign_fortnight_hazards_at_20000": float(per_fortnight * hazards_per_unannounced),
    }
    rates.update({f"major_share_{mode}": float(share) for mode, share in by_mode.items()})
    return rates


def realism_rates(county: County) -> dict[str, float]:
    """The figures ``saferank simulate`` sets beside published ones (``params.PUBLISHED``), from the export."""
    inspections, hazards = county.tables["inspections"], county.tables["hazards"]
    as_of = county.as_of
    general = hazards.loc[hazards["level"] == "general"]
    due = general.loc[general["deadline"] <= as_of]  # deadlines passed by as-of: on time or not is settled
    on_time = (due["rectified_date"].notna() & (due["rectified_date"] <= due["deadline"])).mean()
    open_ = hazards["rectified_date"].isna()
    overdue = open_ & (hazards["deadline"] < as_of)
    per_firm = hazards.loc[open_].groupby("enterprise_id", observed=True).size()
    def lag(table: pd.DataFrame, own: str) -> pd.Series:
        """Days from a record's own date to its entry (none given: known from its own date)."""
        if table.empty:
            return pd.Series([0.0])
        entered = table["recorded_date"] if "recorded_date" in table else pd.Series(pd.NaT, index=table.index)
        return (entered.fillna(table[own]) - table[own]).dt.days

    inspection_lag = lag(inspections, "date")
    penalty_lag = lag(county.tables.get("penalties", empty("penalties")), "date")
    firms = len(county.tables["enterprises"])
    return {
        "hazards_per_inspection": len(hazards) / max(len(inspections), 1),
        "major_share_of_hazards": float((hazards["level"] == "major").mean()),
        "inspections_with_major_share": float(inspections["inspection_id"].isin(
            hazards.loc[hazards["level"] == "major", "inspection_id"]).mean()),
        "general_rectified_on_time": float(on_time),
        "open_general_per_firm": float((open_ & (hazards["level"] == "general")).sum() / firms),
        "overdue_per_firm": float(overdue.sum() / firms),
        "most_open_at_one_firm": float(per_firm.max() if len(per_firm) else 0),
        "entry_lag_days_median": float(inspection_lag.median()),
        "entry_lag_days_p90": float(inspection_lag.quantile(0.9)),
        "penalty_entry_lag_days_median": float(penalty_lag.median()),
    }


# The table ``saferank simulate`` prints: (rate, Chinese label, English label, published key or None).
REALISM_ROWS = (
    ("hazards_per_inspection", "每次检查隐患数", "hazards per inspection", "hazards_per_inspection"),
    ("major_share_of_hazards", "重大隐患占隐患比例", "major share of hazards", "major_share_of_hazards"),
    ("inspections_with_major_share", "发现重大隐患的检查比例", "inspections finding a major hazard", None),
    ("general_rectified_on_time", "一般隐患按期整改率", "general hazards rectified on time", "general_rectified_on_time"),
    ("open_general_per_firm", "每家企业未整改一般隐患", "open general hazards per firm", "open_general_per_firm"),
    ("overdue_per_firm", "每家企业逾期隐患", "overdue hazards per firm", None),
    ("most_open_at_one_firm", "单家企业最多未整改隐患", "most open hazards at one firm", None),
    ("entry_lag_days_median", "检查录入滞后（天，中位数）", "inspection entry lag (days, median)", "entry_lag_days_median"),
    ("entry_lag_days_p90", "检查录入滞后（天，90%分位）", "inspection entry lag (days, 90th pct)", None),
    ("penalty_entry_lag_days_median", "处罚录入滞后（天，中位数）", "penalty entry lag (days, median)", None),
)


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.3f}".rstrip("0").rstrip(".") if value else "0"


def realism_table(rates: dict[str, float], lang: str = "zh") -> str:
    """The simulated rates beside the published figures they imitate, one line each."""

    zh = lang == "zh"
    head = ("指标", "模拟", "公开数字（来源）") if zh else ("rate", "simulated", "published (source)")
    lines = [f"  {head[0]:<34}{head[1]:>10}  {head[2]}"]
    for key, label_zh, label_en, published in REALISM_ROWS:
        label = label_zh if zh else label_en
        if published is None:
            shown = "—" if zh else "-"
        else:
            value, source_zh, source_en = PUBLISHED[published]
            source = source_zh if zh else source_en
            shown = source if value is None else f"{_number(value)}  ({source})"
        lines.append(f"  {label:<34}{_number(rates[key]):>10}  {shown}")
    return "\n".join(lines)


@dataclass
class Written:
    """What ``simulate_files`` wrote, for the CLI to print."""

    out_dir: Path
    rows: dict[str, int]
    rates: dict[str, float] | None = None  # the realism rates (the harder world only)

    def render(self, lang: str = "zh") -> str:
        head = (f"已生成模拟县数据：{self.out_dir}" if lang == "zh" else f"Simulated county written to {self.out_dir}")
        unit = "行" if lang == "zh" else "rows"
        lines = [head] + [f"  {name}.csv: {count} {unit}" for name, count in self.rows.items()]
        if (self.out_dir / GEOMETRY_FILE).exists():
            lines.append(f"  {GEOMETRY_FILE}" + ("：镇街边界" if lang == "zh" else ": town outlines"))
        if self.rates is not None:
            lines.append("模拟比率与公开数字对照：" if lang == "zh" else "Simulated rates beside published figures:")
            lines.append(realism_table(self.rates, lang))
        return "\n".join(lines)


def simulate_files(out_dir: str | Path, enterprises: int = 2000, seed: int = 7, start: object = None,
                   as_of: object = DEFAULT_AS_OF, flatter: bool = False) -> Written:
    """Simulate a county and write it to ``out_dir`` (the ``saferank simulate`` command); ``flatter``
    writes the world before issue 16 (``Knobs.flatter()``)."""
    knobs = Knobs.flatter() if flatter else Knobs()
    county = simulate_county(enterprises=enterprises, seed=seed, start=start, as_of=as_of, knobs=knobs)
    rows = write_county(county, out_dir)
    return Written(Path(out_dir), rows, None if flatter else realism_rates(county))
