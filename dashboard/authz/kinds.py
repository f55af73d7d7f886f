"""What a callback argument may hold: its JSON type and range, and whose object it names.

A ``Kind`` is checked on the value Dash will pass at that position (never on an id the client names
beside it). A value of the wrong type or outside its range is refused with 400 before the callback
runs, so a callback never sees a list where it expects a date, or a block of a million rows. A kind
with a ``scope`` names an object (an enterprise, a visit, a plan) that a scoped role may only use if
it is one of its own; ``scoped`` picks the names out of the value exactly as the callback reads them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dashboard.components.grid import MAX_BLOCK

SCOPES = ("enterprise", "visit", "plan")
LANGS = ("zh", "en")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_NAME = re.compile(r"^[\w.\-]{1,128}$")


@dataclass(frozen=True)
class Kind:
    """One positional argument: ``accepts`` says whether a value fits; ``zh``/``en`` say what fits."""

    zh: str
    en: str
    accepts: Callable[[Any], bool]
    scope: str | None = None
    scoped: Callable[[Any], list[str]] = field(default=lambda value: [])


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


def _is_text(value: Any, max_length: int) -> bool:
    return isinstance(value, str) and len(value) <= max_length


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool) or _is_number(value) or _is_text(value, 2000)


def _is_record(value: Any, max_keys: int = 50) -> bool:
    """A flat JSON object (a grid row): up to ``max_keys`` text keys with scalar values."""
    return (isinstance(value, dict) and len(value) <= max_keys
            and all(isinstance(k, str) and len(k) <= 64 and _is_scalar(v) for k, v in value.items()))


def _records(value: Any, max_rows: int) -> bool:
    return isinstance(value, list) and len(value) <= max_rows and all(_is_record(row) for row in value)


def is_date_text(value: Any) -> bool:
    """``YYYY-MM-DD`` of a real day between 1900 and 2100 (what the pickers and the pages send)."""
    match = _DATE.match(value) if isinstance(value, str) else None
    if match is None:
        return False
    year, month, day = (int(part) for part in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        return False
    return 1900 <= year <= 2100


def clicks() -> Kind:
    return Kind("点击次数（非负整数）", "a click count (a whole number ≥ 0)",
                lambda v: v is None or (_is_int(v) and 0 <= v <= 10**9))


def lang() -> Kind:
    """The page's language store: always set by the layout, so never empty; never a new cache key."""
    return Kind("语言（zh 或 en）", "a language (zh or en)", lambda v: isinstance(v, str) and v in LANGS)


def text(max_length: int) -> Kind:
    return Kind(f"不超过 {max_length} 个字符的文本", f"text of at most {max_length} characters",
                lambda v: v is None or _is_text(v, max_length))


def name() -> Kind:
    """A registry name (model version): letters, digits, ``_.-``; never a path."""
    return Kind("名称（字母、数字、_.-）", "a name (letters, digits, _.-)",
                lambda v: v is None or (isinstance(v, str) and bool(_NAME.match(v)) and ".." not in v))


def day() -> Kind:
    return Kind("日期（YYYY-MM-DD）", "a date (YYYY-MM-DD)", lambda v: v is None or is_date_text(v))


def choice(codes: Iterable[str]) -> Kind:
    allowed = frozenset(codes)
    shown = "、".join(sorted(allowed))
    return Kind(f"以下之一：{shown}", f"one of: {', '.join(sorted(allowed))}", lambda v: v is None or v in allowed)


def choices(codes: Iterable[str] | None = None, max_items: int = 200, max_length: int = 64) -> Kind:
    """A list of codes (``codes``), or of short texts when the codes are the store's (towns)."""
    allowed = None if codes is None else frozenset(codes)

    def accepts(value: Any) -> bool:
        if value is None:
            return True
        if isinstance(value, str):  # a single-value dropdown or a value from the address
            value = [value]
        return (isinstance(value, list) and len(value) <= max_items
                and all(_is_text(v, max_length) and (allowed is None or v in allowed) for v in value))

    what_zh = "以下代码的列表：" + "、".join(sorted(allowed)) if allowed else f"文本列表（每项不超过 {max_length} 个字符）"
    what_en = "a list of: " + ", ".join(sorted(allowed)) if allowed else f"a list of texts ({max_length} characters each)"
    return Kind(what_zh, what_en, accepts)


def number(low: float, high: float, whole: bool = False) -> Kind:
    def accepts(value: Any) -> bool:
        if value is None:
            return True
        if not _is_number(value) or not low <= value <= high:
            return False
        return not whole or float(value).is_integer()

    kind_zh, kind_en = ("整数", "a whole number") if whole else ("数值", "a number")
    return Kind(f"{low:g} 到 {high:g} 之间的{kind_zh}", f"{kind_en} from {low:g} to {high:g}", accepts)


def _strip(value: Any) -> str:
    return str(value).strip()


def enterprise_id() -> Kind:
    """An enterprise id as typed (the page strips it; so does the scope check)."""
    return Kind("企业编号（不超过 64 个字符）", "an enterprise id (at most 64 characters)",
                lambda v: v is None or _is_text(v, 64), "enterprise",
                lambda v: [_strip(v)] if v is not None and _strip(v) else [])


def plan_id() -> Kind:
    return Kind("计划编号", "a plan id", lambda v: v is None or _is_text(v, 64), "plan",
                lambda v: [v] if v else [])


def visit_id() -> Kind:
    return Kind("检查安排编号", "a visit id", lambda v: v is None or _is_text(v, 80), "visit",
                lambda v: [v] if v else [])


def selected_rows(key: str, scope: str, max_rows: int = 1) -> Kind:
    """A grid's ``selectedRows`` (single selection): rows whose ``key`` names a ``scope`` object."""
    return Kind(f"选中的行（至多 {max_rows} 行）", f"selected rows (at most {max_rows})",
                lambda v: v is None or _records(v, max_rows), scope,
                lambda v: [str(row.get(key) or "") for row in v or []])


def row_data(max_rows: int) -> Kind:
    return Kind(f"表格行（至多 {max_rows} 行）", f"grid rows (at most {max_rows})",
                lambda v: v is None or _records(v, max_rows))


def counter() -> Kind:
    return Kind("计数（非负整数）", "a counter (a whole number ≥ 0)", lambda v: v is None or (_is_int(v) and 0 <= v <= 10**9))


def _sort_model(value: Any) -> bool:
    return value is None or (isinstance(value, list) and len(value) <= 20 and all(
        isinstance(s, dict) and _is_text(s.get("colId"), 64) and s.get("sort") in ("asc", "desc") for s in value))


def _filter_condition(value: Any) -> bool:
    if not isinstance(value, dict) or len(value) > 10:
        return False
    conditions = value.get("conditions")
    if conditions is not None:
        return (isinstance(conditions, list) and len(conditions) <= 5 and value.get("operator") in (None, "AND", "OR")
                and all(_is_record(c, 10) for c in conditions)
                and all(_is_scalar(v) for k, v in value.items() if k != "conditions"))
    return _is_record(value, 10)


def _filter_model(value: Any) -> bool:
    return value is None or (isinstance(value, dict) and len(value) <= 50 and all(
        isinstance(k, str) and len(k) <= 64 and _filter_condition(v) for k, v in value.items()))


def grid_request(max_block: int = MAX_BLOCK) -> Kind:
    """An infinite grid's ``getRowsRequest``: 0 ≤ startRow ≤ endRow, at most ``max_block`` rows."""

    def accepts(value: Any) -> bool:
        if value is None:
            return True
        if not isinstance(value, dict):
            return False
        start, end = value.get("startRow", 0), value.get("endRow", 0)
        return (_is_int(start) and _is_int(end) and 0 <= start <= end <= 10**8 and end - start <= max_block
                and _sort_model(value.get("sortModel")) and _filter_model(value.get("filterModel")))

    return Kind(f"表格分块请求（startRow ≤ endRow，每次至多 {max_block} 行）",
                f"a grid block request (startRow ≤ endRow, at most {max_block} rows)", accepts)


def cell_clicked() -> Kind:
    return Kind("表格点击", "a grid cell click", lambda v: v is None or _is_record(v, 20))


def click_data() -> Kind:
    """A plotly ``clickData``: points whose ``customdata`` (when present) is a pair of codes."""

    def point(p: Any) -> bool:
        if not isinstance(p, dict) or len(p) > 30:
            return False
        custom = p.get("customdata")
        pair = custom is None or (isinstance(custom, list) and len(custom) == 2 and all(_is_text(c, 64) for c in custom))
        return pair and all(_is_scalar(v) for k, v in p.items() if k not in ("customdata", "bbox"))

    return Kind("图表点击", "a chart click",
                lambda v: v is None or (isinstance(v, dict) and isinstance(v.get("points"), list)
                                        and len(v["points"]) <= 10 and all(point(p) for p in v["points"])))


def upload(max_bytes: int) -> Kind:
    return Kind("上传的文件（data: 地址）", "an uploaded file (a data: URL)",
                lambda v: v is None or (isinstance(v, str) and v.startswith("data:") and len(v) <= max_bytes))


__all__ = ["Kind", "MAX_BLOCK", "SCOPES", "cell_clicked", "choice", "choices", "click_data", "clicks", "counter", "day",
           "enterprise_id", "grid_request", "is_date_text", "lang", "name", "number", "plan_id", "row_data",
           "selected_rows", "text", "upload", "visit_id"]
