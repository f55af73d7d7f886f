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
from analytics.simulate.world import DEFAULT_AS_OF, County, simulate_county

TRUTH_FILE = "truth.csv"
PARAMETERS_FILE = "simulation.json"
CAMPAIGN_COUNTY = 20_000  # enterprises in the county the campaign's report describes


def _as_text(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The typed table with booleans as true/false and dates as ISO days, ready for ``to_csv``."""
    out = {}
    for column in TABLES[name].columns:
        values = frame[column.name]
        if column.type == "bool":
            values = values.map({True: "true", False: "false"}, na_action="ignore").astype(object)
        elif column.type == "date":
            values = values.dt.strftime("%Y-%m-%d").astype(object)
        out[column.name] = values
    return pd.DataFrame(out)


def write_county(county: County, out_dir: str | Path) -> dict[str, int]:
    """Write all ten contract tables, ``truth.csv`` and ``simulation.json``; return rows per file."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"无法创建输出目录 {out}：{error.strerror}。", f"Cannot create the folder {out}: {error.strerror}.") from error
    rows = {}
    for name in LOAD_ORDER:
        frame = county.tables.get(name, empty(name))
        _as_text(frame, name).to_csv(out / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
        rows[name] = len(frame)
    county.truth.to_csv(out / TRUTH_FILE, index=False, float_format="%.8f", lineterminator="\n")
    rows["truth"] = len(county.truth)
    description = {
        "seed": county.seed, "enterprises": county.enterprises, "start": str(county.start.date()),
        "as_of": str(county.as_of.date()), "horizon_days": 90, "rows": rows,
        "base_rates": {k: round(v, 6) for k, v in base_rates(county).items()},
        "parameters": county.parameters,
    }
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


@dataclass
class Written:
    """What ``simulate_files`` wrote, for the CLI to print."""

    out_dir: Path
    rows: dict[str, int]

    def render(self, lang: str = "zh") -> str:
        head = (f"已生成模拟县数据：{self.out_dir}" if lang == "zh" else f"Simulated county written to {self.out_dir}")
        unit = "行" if lang == "zh" else "rows"
        return "\n".join([head] + [f"  {name}.csv: {count} {unit}" for name, count in self.rows.items()])


def simulate_files(out_dir: str | Path, enterprises: int = 2000, seed: int = 7, start: object = None,
                   as_of: object = DEFAULT_AS_OF) -> Written:
    """Simulate a county and write it to ``out_dir`` (the ``saferank simulate`` command)."""
    county = simulate_county(enterprises=enterprises, seed=seed, start=start, as_of=as_of)
    return Written(Path(out_dir), write_county(county, out_dir))
