"""Mapping a provincial system's export onto the contract: which sheet or file is which table, which
header is which column, which code label is which code.

An office's export rarely uses the contract's words: a sheet ``企业基本信息`` with headers 单位名称,
所属乡镇, 行业类别 and a sector written 工贸行业. ``propose_*`` guess, in this order: the contract's
own name, its Chinese alias, a synonym a provincial system is known to use (``SYNONYMS``), then a
close match (``difflib``; rapidfuzz is not installed and the lists are a few dozen words). The
clerk confirms or corrects the guess; the result is a ``SourceMapping``, kept per source system and
reused (``analytics.store.mapping``). A mapping only renames: every contract rule is checked after
it, and problems still name the file, row, header and value as the source wrote them.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from analytics.contract.errors import UserError
from analytics.contract.schema import LOAD_ORDER, TABLES, Column, code_spellings, header_aliases

CLOSE = 0.6  # difflib ratio from which a close match is proposed

# How a proposal was found, best first.
HOW = ("exact", "alias", "synonym", "close", "saved", "none")

# Sheet and file names provincial systems use for the contract's tables.
TABLE_SYNONYMS: dict[str, str] = {
    "乡镇": "towns", "乡镇街道": "towns", "镇街信息": "towns", "乡镇信息": "towns", "乡镇列表": "towns",
    "企业信息": "enterprises", "企业基本信息": "enterprises", "单位信息": "enterprises", "生产经营单位": "enterprises",
    "监管对象": "enterprises", "企业台账": "enterprises",
    "检查记录": "inspections", "执法检查记录": "inspections", "检查信息": "inspections", "监督检查": "inspections",
    "隐患信息": "hazards", "隐患排查记录": "hazards", "隐患台账": "hazards", "隐患记录": "hazards",
    "停产记录": "status_events", "生产状态": "status_events",
    "处罚记录": "penalties", "行政处罚记录": "penalties", "事故记录": "accidents", "预警信息": "weather_alerts",
    "用电信息": "power_usage", "作业票": "special_operations", "外包合同": "contracts",
}

# Headers of provincial enforcement systems, per table (header -> contract column). Only what the
# contract's own names and Chinese aliases do not already cover.
_ID_WORDS = {"统一社会信用代码": "enterprise_id", "社会信用代码": "enterprise_id", "信用代码": "enterprise_id",
             "单位编码": "enterprise_id", "企业代码": "enterprise_id", "企业ID": "enterprise_id"}
SYNONYMS: dict[str, dict[str, str]] = {
    "towns": {"乡镇编码": "town_id", "乡镇代码": "town_id", "镇街代码": "town_id", "行政区划代码": "town_id",
              "乡镇名称": "name", "乡镇": "name", "镇街": "name", "沿海": "coastal"},
    "enterprises": {**_ID_WORDS, "单位名称": "name", "企业名": "name", "生产经营单位名称": "name",
                    "所属乡镇": "town_id", "所属镇街": "town_id", "所在乡镇": "town_id", "乡镇": "town_id", "乡镇编码": "town_id",
                    "行业类别": "sector", "行业分类": "sector", "所属行业": "sector", "监管行业": "sector", "行业": "sector",
                    "国民经济行业": "industry_code", "行业代码": "industry_code", "规模": "size", "企业规模类型": "size",
                    "从业人数": "employees", "职工人数": "employees", "员工人数": "employees",
                    "是否涉危化品": "hazardous_chemicals", "重大危险源级别": "major_hazard_level",
                    "标准化等级": "standardization", "标准化达标等级": "standardization",
                    "经营状态": "status", "企业状态": "status", "成立时间": "established"},
    "inspections": {**_ID_WORDS, "检查编码": "inspection_id", "检查记录编号": "inspection_id", "检查单号": "inspection_id",
                    "执法文书编号": "inspection_id", "检查时间": "date", "检查日": "date", "执法时间": "date",
                    "检查人员": "team", "检查组别": "team", "执法人员": "team", "检查类型": "mode", "检查形式": "mode",
                    "录入时间": "recorded_date"},
    "hazards": {**_ID_WORDS, "隐患编码": "hazard_id", "隐患ID": "hazard_id", "检查记录编号": "inspection_id",
                "发现时间": "found_date", "排查日期": "found_date", "检查时间": "found_date", "隐患级别": "level",
                "隐患分类": "category", "整改时限": "deadline", "整改截止日期": "deadline",
                "整改完成时间": "rectified_date", "整改日期": "rectified_date", "销号日期": "rectified_date",
                "录入时间": "recorded_date"},
    "status_events": {**_ID_WORDS, "变更时间": "date", "停产原因": "reason", "录入时间": "recorded_date"},
    "penalties": {**_ID_WORDS, "处罚决定书文号": "penalty_id", "处罚时间": "date", "处罚类型": "kind",
                  "罚款金额（元）": "amount_yuan", "录入时间": "recorded_date"},
    "accidents": {**_ID_WORDS, "事故时间": "date", "事故级别": "severity", "录入时间": "recorded_date"},
    "special_operations": {**_ID_WORDS},
    "contracts": {**_ID_WORDS, "发包单位编码": "enterprise_id"},
    "weather_alerts": {"预警等级": "level", "所属乡镇": "town_id"},
    "power_usage": {**_ID_WORDS, "用电量": "kwh", "用电量（千瓦时）": "kwh"},
}

# Code labels other systems write (value -> contract code), per column name.
CODE_SYNONYMS: dict[str, dict[str, str]] = {
    "level": {"一般": "general", "重大": "major", "一般事故隐患": "general", "重大事故隐患": "major"},
    "size": {"大": "large", "中": "medium", "小": "small", "微": "micro", "规上": "large"},
    "status": {"在产": "operating", "正常": "operating", "生产": "operating", "停产": "suspended", "停业": "suspended",
               "注销": "closed", "吊销": "closed", "关闭": "closed"},
    "sector": {"危化": "hazardous_chemicals", "危化品": "hazardous_chemicals", "矿山": "mining", "冶金工贸": "industry_trade",
               "人员密集场所": "fire_venues", "消防": "fire_venues", "交通运输": "road_transport", "建筑": "construction",
               "燃气": "gas", "渔船": "fishing_vessels", "旅游": "tourism"},
    "mode": {"日常": "routine", "双随机": "random", "专项检查": "targeted", "暗查暗访": "unannounced", "复查": "follow_up",
             "举报": "complaint"},
}


# Columns holding a town_id that provincial exports often fill with the town's name (所属乡镇 松门镇):
# a value mapping name -> town_id is proposed for them (``propose_towns``).
TOWN_REFERENCES: dict[str, tuple[str, ...]] = {
    name: tuple(c.name for c in spec.columns if c.references == "towns.town_id") for name, spec in TABLES.items()
}


def _norm(text: object) -> str:
    """Lower case, no spaces, no brackets or units around it: how a header is compared."""
    return re.sub(r"[\s_\-（）()【】\[\]：:]", "", str(text)).lower()


@dataclass(frozen=True)
class Proposal:
    """One guess: ``source`` (as written) -> ``target`` (a table, column or code; '' for none)."""

    source: str
    target: str
    how: str
    score: float = 1.0


def propose_table(name: str) -> Proposal:
    """The table a sheet or file name stands for."""
    key = _norm(name)
    for table, spec in TABLES.items():
        if key == _norm(table):
            return Proposal(name, table, "exact")
        if key == _norm(spec.zh):
            return Proposal(name, table, "alias")
    synonyms = {_norm(k): v for k, v in TABLE_SYNONYMS.items()}
    if key in synonyms:
        return Proposal(name, synonyms[key], "synonym")
    words = {**{_norm(t): t for t in TABLES}, **{_norm(s.zh): t for t, s in TABLES.items()}, **synonyms}
    return _close(name, key, words)


def _close(source: str, key: str, words: Mapping[str, str]) -> Proposal:
    found = difflib.get_close_matches(key, list(words), n=1, cutoff=CLOSE)
    if not found:
        # a longer label holding a known word (工贸行业 -> 工贸, 企业基本信息表 -> 企业基本信息)
        held = sorted((w for w in words if len(w) >= 2 and (w in key or key in w) and key), key=len, reverse=True)
        if held:
            return Proposal(source, words[held[0]], "close", 0.6)
        return Proposal(source, "", "none", 0.0)
    return Proposal(source, words[found[0]], "close", round(difflib.SequenceMatcher(None, key, found[0]).ratio(), 2))


def propose_headers(table: str, headers: Iterable[str]) -> list[Proposal]:
    """For each header of a ``table`` file, the contract column it is; each column at most once
    (an exact name or alias wins over a synonym, a synonym over a close match)."""
    headers = list(headers)
    exact = {_norm(c.name): c.name for c in TABLES[table].columns}
    alias = {_norm(k): v for k, v in header_aliases(table).items()}
    synonym = {_norm(k): v for k, v in SYNONYMS.get(table, {}).items()}
    found: dict[int, Proposal] = {}
    taken: set[str] = set()
    for how, words in (("exact", exact), ("alias", alias), ("synonym", synonym)):
        for i, header in enumerate(headers):
            target = words.get(_norm(header))
            if i not in found and target and target not in taken:
                found[i] = Proposal(header, target, how)
                taken.add(target)
    words = {**exact, **alias, **synonym}
    for i, header in enumerate(headers):
        if i in found:
            continue
        guess = _close(header, _norm(header), {w: t for w, t in words.items() if t not in taken})
        if guess.target:
            taken.add(guess.target)
        found[i] = guess
    return [found[i] for i in range(len(headers))]


def propose_codes(column: Column, values: Iterable[str]) -> list[Proposal]:
    """For each distinct value of a coded column that is not already a code or its Chinese label,
    the code it most likely means ('' when nothing is close)."""
    accepted = code_spellings(column)
    words = {_norm(c.zh): c.code for c in column.codes} | {_norm(c.code): c.code for c in column.codes} | \
        {_norm(c.en): c.code for c in column.codes}
    synonyms = {_norm(k): v for k, v in CODE_SYNONYMS.get(column.name, {}).items() if v in column.code_values()}
    out = []
    for value in sorted({str(v).strip() for v in values} - {""}):
        if value.lower() in accepted:
            continue
        key = _norm(value)
        if key in words:
            out.append(Proposal(value, words[key], "alias"))
        elif key in synonyms:
            out.append(Proposal(value, synonyms[key], "synonym"))
        else:
            out.append(_close(value, key, {**words, **synonyms}))
    return out


def propose_towns(values: Iterable[str], towns: Mapping[str, str]) -> list[Proposal]:
    """For each distinct value of a town_id column that is no known town_id, the town it names
    (``towns``: town_id -> name; exact name first, then a close one: 松门 -> 松门镇)."""
    names = {_norm(name): town for town, name in towns.items()}
    out = []
    for value in sorted({str(v).strip() for v in values} - {""} - set(towns)):
        key = _norm(value)
        out.append(Proposal(value, names[key], "alias") if key in names else _close(value, key, names))
    return out


@dataclass
class SourceMapping:
    """A confirmed mapping for one source system.

    ``tables``: sheet or file name (without .csv) -> contract table ('' to skip it); ``columns``:
    table -> {header as written -> contract column}; ``codes``: table -> column -> {label -> code}.
    Only what differs from the contract's own spelling needs to be listed."""

    system: str = ""
    tables: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    codes: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self, where: str = "") -> None:
        """Every target a contract table, column or code; a ``UserError`` naming the entry otherwise."""
        place = f"{where}：" if where else ""
        place_en = f"{where}: " if where else ""

        def fail(zh: str, en: str) -> None:
            raise UserError(place + zh, place_en + en)

        for name, table in self.tables.items():
            if table and table not in TABLES:
                fail(f"“{name}”对应的数据表“{table}”不是模板中的表（可填：{'、'.join(LOAD_ORDER)}，或留空跳过）。",
                     f"'{name}' is mapped to '{table}', which is no table (use one of {', '.join(LOAD_ORDER)}, or empty to skip).")
        for table, headers in {**self.columns, **self.codes}.items():
            if table not in TABLES:
                fail(f"“{table}”不是模板中的数据表。", f"'{table}' is not a table of the template.")
        for table, headers in self.columns.items():
            names = TABLES[table].column_names
            for header, column in headers.items():
                if column and column not in names:
                    fail(f"{table} 表的列“{header}”对应的“{column}”不是该表的列。",
                         f"Column '{header}' of {table} is mapped to '{column}', which is no column of {table}.")
            used = [c for c in headers.values() if c]
            twice = sorted({c for c in used if used.count(c) > 1})
            if twice:
                fail(f"{table} 表中有多列对应同一列：{'、'.join(twice)}。",
                     f"Several headers of {table} are mapped to the same column: {', '.join(twice)}.")
        for table, columns in self.codes.items():
            for column, values in columns.items():
                if column not in TABLES[table].column_names or not (TABLES[table].column(column).codes
                                                                   or column in TOWN_REFERENCES.get(table, ())):
                    fail(f"{table}.{column} 不是代码列。", f"{table}.{column} is not a coded column.")
                if not TABLES[table].column(column).codes:
                    continue  # a town's name -> its town_id: checked against the towns by the import
                allowed = TABLES[table].column(column).code_values()
                for value, code in values.items():
                    if code and code not in allowed:
                        fail(f"{table}.{column} 的取值“{value}”对应的“{code}”不是有效代码（可填：{'、'.join(allowed)}）。",
                             f"Value '{value}' of {table}.{column} is mapped to '{code}', which is no code "
                             f"(use one of {', '.join(allowed)}).")

    def table_for(self, name: str) -> str | None:
        """The table a sheet or file name is mapped to; '' to skip it, ``None`` when not listed."""
        return self.tables.get(name)

    def headers(self, table: str) -> dict[str, str]:
        """Header as written -> column ('' for a header not to import)."""
        return dict(self.columns.get(table, {}))

    def code_map(self, table: str, column: str) -> dict[str, str]:
        return {v: c for v, c in self.codes.get(table, {}).get(column, {}).items() if c}

    def merged(self, other: SourceMapping) -> SourceMapping:
        """This mapping with ``other``'s entries on top (a saved mapping over a fresh proposal)."""
        columns = {t: {**self.columns.get(t, {}), **other.columns.get(t, {})} for t in {*self.columns, *other.columns}}
        codes = {t: {c: {**self.codes.get(t, {}).get(c, {}), **other.codes.get(t, {}).get(c, {})}
                     for c in {*self.codes.get(t, {}), *other.codes.get(t, {})}} for t in {*self.codes, *other.codes}}
        # a header the other mapping sends to a column this one gave to another header: the other wins
        for table, headers in columns.items():
            mine = other.columns.get(table, {})
            won = {c for c in mine.values() if c}
            columns[table] = {h: ("" if c in won and h not in mine else c) for h, c in headers.items()}
        return SourceMapping(other.system or self.system, {**self.tables, **other.tables}, columns, codes)

    def to_json(self) -> str:
        return json.dumps({"system": self.system, "tables": self.tables, "columns": self.columns, "codes": self.codes},
                          ensure_ascii=False, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, where: str = "") -> SourceMapping:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise UserError(f"{where} 不是有效的 JSON：{error}。", f"{where} is not valid JSON: {error}.") from error
        if not isinstance(data, dict) or not all(isinstance(data.get(k, {}), dict) for k in ("tables", "columns", "codes")):
            raise UserError(f"{where} 不是列映射文件（须含 tables、columns、codes）。",
                            f"{where} is not a mapping file (it needs tables, columns, codes).")
        try:
            mapping = cls.__new__(cls)
            mapping.system = str(data.get("system") or "")
            mapping.tables = {str(k): str(v or "") for k, v in data.get("tables", {}).items()}
            mapping.columns = {str(t): {str(h): str(c or "") for h, c in cols.items()} for t, cols in data.get("columns", {}).items()}
            mapping.codes = {str(t): {str(c): {str(v): str(x or "") for v, x in vals.items()} for c, vals in cols.items()}
                             for t, cols in data.get("codes", {}).items()}
        except (AttributeError, TypeError) as error:
            raise UserError(f"{where} 的格式不对：{error}。", f"{where} is not shaped as a mapping: {error}.") from error
        mapping.validate(where)
        return mapping

    @classmethod
    def read(cls, path: str | Path) -> SourceMapping:
        path = Path(path)
        if not path.is_file():
            raise UserError(f"找不到列映射文件：{path}", f"No mapping file at {path}.")
        return cls.from_json(path.read_text(encoding="utf-8-sig"), path.name)

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json() + "\n", encoding="utf-8")
        return path
