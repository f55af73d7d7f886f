"""``ag_grid(lang, ...)``: a dash-ag-grid table whose own words (paging, filter menus, "no rows") are
in the page's language. AG Grid speaks English unless given ``localeText``."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag

ZH_LOCALE = {
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
}


def ag_grid(lang: str, **kwargs: Any) -> dag.AgGrid:
    """``dag.AgGrid(**kwargs)`` with ``localeText`` for Chinese added to its ``dashGridOptions``."""
    options = dict(kwargs.pop("dashGridOptions", None) or {})
    if lang == "zh":
        options.setdefault("localeText", ZH_LOCALE)
    return dag.AgGrid(dashGridOptions=options, **kwargs)
