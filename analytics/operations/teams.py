"""Inspection teams (检查组): which towns each team covers and how many visits it makes a day.

Teams are a long table, one row per (team, town): ``team``, ``town_id``, ``daily_capacity``. The
default is fifteen teams 第1组..第15组 sharing the county's towns round-robin, three visits a team a
day. A team file (CSV or xlsx) has one row per team: ``team`` (检查组), ``towns`` (负责镇街, town
ids separated by commas, semicolons, 、 or spaces) and optionally ``daily_capacity`` (每日检查数).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from analytics.contract.errors import UserError
from analytics.contract.words import noun

DEFAULT_TEAM_COUNT = 15
DEFAULT_DAILY_CAPACITY = 3
TEAM_COLUMNS = ("team", "town_id", "daily_capacity")
# Header spellings of a team file -> column (English name or Chinese label).
FILE_HEADERS: dict[str, tuple[str, str, str]] = {
    "team": ("team", "检查组", "Team"),
    "towns": ("towns", "负责镇街", "Towns"),
    "daily_capacity": ("daily_capacity", "每日检查数", "Visits a day"),
}
_SEPARATORS = re.compile(r"[,，;；、\s]+")


def team_name(number: int) -> str:
    return f"第{number}组"


def default_teams(town_ids: Sequence[str], count: int = DEFAULT_TEAM_COUNT,
                  daily_capacity: int = DEFAULT_DAILY_CAPACITY) -> pd.DataFrame:
    """``count`` teams sharing ``town_ids`` round-robin: with more towns than teams, town j goes to team
    j mod count; with fewer, team i covers town i mod towns (so every town and every team is used)."""
    towns = [str(t) for t in town_ids]
    if not towns:
        raise UserError("没有镇街，无法编组。", "There are no towns to assign teams to.")
    k = pd.RangeIndex(max(count, len(towns)))
    frame = pd.DataFrame({
        "team": [team_name(i + 1) for i in k % count],
        "town_id": [towns[j] for j in k % len(towns)],
        "daily_capacity": daily_capacity,
    })
    return typed_teams(frame)


def typed_teams(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.loc[:, list(TEAM_COLUMNS)].astype({"team": "string", "town_id": "string", "daily_capacity": "int64"})
    return out.drop_duplicates(["team", "town_id"]).reset_index(drop=True)


def _read_raw(path: Path, content: bytes | None = None) -> pd.DataFrame:
    if content is None and not path.exists():
        raise UserError(f"找不到检查组文件：{path}。", f"The team file does not exist: {path}.")
    data = content if content is not None else path.read_bytes()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return pd.read_excel(io.BytesIO(data), dtype=str)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(io.BytesIO(data), dtype=str, encoding=encoding)
        except UnicodeDecodeError:
            continue
    raise UserError(f"检查组文件 {path.name} 的编码无法识别。", f"The team file {path.name} has an unknown encoding.")


def read_teams(path: str | Path, town_ids: Sequence[str] | None = None, content: bytes | None = None) -> pd.DataFrame:
    """The teams of a CSV/xlsx team file (long form); every problem is reported at once. With
    ``content``, the file's bytes (an upload) and ``path`` only names it."""
    path = Path(path)
    raw = _read_raw(path, content)
    aliases = {alias: name for name, spellings in FILE_HEADERS.items() for alias in spellings}
    raw = raw.rename(columns=lambda c: aliases.get(str(c).strip(), str(c).strip()))
    missing = [name for name in ("team", "towns") if name not in raw.columns]
    if missing:
        zh = "、".join(FILE_HEADERS[m][1] for m in missing)
        raise UserError(f"检查组文件缺少列：{zh}。", f"The team file lacks the {noun(len(missing), 'column')}: {', '.join(missing)}.")
    if "daily_capacity" not in raw.columns:
        raw["daily_capacity"] = str(DEFAULT_DAILY_CAPACITY)
    raw = raw.assign(
        row=pd.RangeIndex(2, len(raw) + 2),  # as the user sees it in Excel: header is row 1
        team=raw["team"].fillna("").str.strip(),
        capacity=pd.to_numeric(raw["daily_capacity"].fillna(str(DEFAULT_DAILY_CAPACITY)).str.strip(), errors="coerce"),
        towns=raw["towns"].fillna("").str.strip().str.split(_SEPARATORS),
    )
    long = raw.explode("towns").rename(columns={"towns": "town_id"})
    long = long.loc[long["town_id"].fillna("") != ""]
    problems_zh: list[str] = []
    problems_en: list[str] = []
    for rows, zh, en in (
        (raw.loc[raw["team"] == "", "row"], "检查组名称为空", "the team name is empty"),
        (raw.loc[~raw["row"].isin(long["row"]), "row"], "未填写负责镇街", "no towns are given"),
        (raw.loc[~(raw["capacity"] >= 1) | (raw["capacity"] % 1 != 0), "row"], "每日检查数须为正整数",
         "visits a day must be a whole number of at least 1"),
        (raw.loc[raw["team"].duplicated() & (raw["team"] != ""), "row"], "检查组重复", "the team appears twice"),
    ):
        problems_zh += [f"第{r}行：{zh}" for r in rows]
        problems_en += [f"row {r}: {en}" for r in rows]
    if town_ids is not None:
        unknown = long.loc[~long["town_id"].isin([str(t) for t in town_ids])]
        problems_zh += [f"第{r}行：镇街 {t} 不存在" for r, t in zip(unknown["row"], unknown["town_id"], strict=True)]
        problems_en += [f"row {r}: town {t} does not exist" for r, t in zip(unknown["row"], unknown["town_id"], strict=True)]
    if problems_zh:
        raise UserError(f"检查组文件 {path.name} 有误：" + "；".join(problems_zh) + "。",
                        f"The team file {path.name} is wrong: " + "; ".join(problems_en) + ".")
    return typed_teams(long.assign(daily_capacity=long["capacity"].astype("int64")))


def team_capacity(teams: pd.DataFrame) -> pd.Series:
    """Visits a day per team (index ``team``), in the teams' order of first appearance."""
    return teams.drop_duplicates("team").set_index("team")["daily_capacity"].astype("int64")


def natural_team_key(teams: pd.Series) -> pd.Series:
    """A sort key putting teams in their natural order (第2组 before 第10组; names without a number last)."""
    return pd.to_numeric(teams.astype(str).str.extract(r"(\d+)", expand=False), errors="coerce").fillna(float("inf"))
