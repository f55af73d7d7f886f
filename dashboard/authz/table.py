"""Every callback of the app, by its output key: who may run it and what each positional argument holds.

Deny by default: a callback missing here is refused to everyone, and ``tests/dashboard/
test_callback_authz.py`` fails until it is added (the table must name exactly the app's callbacks).
``args`` lists the callback's inputs, then its states, in the order Dash passes them; the guard
checks the request's ids and properties against the registered ones position by position before it
looks at a value. Callbacks that run in the browser (language switch, address sync, grid purge) are
listed as ``BROWSER_ONLY``: the server never runs them, so a request for one is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from analytics.accounts.audit import ACTIONS
from analytics.accounts.users import ROLE_PERMISSIONS, ROLES
from analytics.contract.schema import HAZARD_CATEGORIES, HAZARD_LEVELS, RISK_LEVELS, SECTORS
from analytics.operations.dispositions import BATCH_CODES
from analytics.operations.followup import GROUPINGS
from analytics.store.alerts import STATE_CODES as ALERT_STATE_CODES
from analytics.views.overview import MATRIX_METRICS
from analytics.views.riskview import FLAG_CODES
from dashboard.authz import kinds as k
from dashboard.authz.kinds import Kind

ROUTER = ".._pages_content.children..._pages_store.data.."


@dataclass(frozen=True)
class Rule:
    """Who may run a callback (``roles``; and, when named, only with ``permission``) and its arguments."""

    roles: frozenset[str]
    args: tuple[Kind, ...] = ()
    permission: str | None = None
    browser_only: bool = False

    def allows(self, role: str) -> bool:
        return (not self.browser_only and role in self.roles
                and (self.permission is None or self.permission in ROLE_PERMISSIONS.get(role, frozenset())))


def outputs(*ids: str) -> str:
    """Dash's key for a callback with these ``id.property`` outputs."""
    return ids[0] if len(ids) == 1 else ".." + "...".join(ids) + ".."


EVERYONE = frozenset(ROLES)
# The inspector page's finding blocks (dashboard/pages/inspector.py BLANK_FINDINGS): level, category, deadline each.
INSPECTOR_FINDINGS = (k.choice(["", *(c.code for c in HAZARD_LEVELS)]),
                      k.choice(["", *(c.code for c in HAZARD_CATEGORIES)]), k.day()) * 3
LISTS = frozenset({"office", "leader", "analyst"})  # overview, risk list, places
ENTERPRISE = frozenset({"office", "leader", "analyst", "inspector"})
OFFICE_LEADER = frozenset({"office", "leader"})  # follow-up, plan, bulletin, people
MODEL = frozenset({"office", "analyst"})
FIELD_WORK = frozenset({"office", "inspector"})  # inspector page, dispositions
ADMIN = frozenset({"admin"})
WARNINGS = frozenset({"office", "leader", "inspector"})  # 预警; inspectors their teams' towns
BROWSER_ONLY = Rule(frozenset(), browser_only=True)
IMPORT = frozenset({"office"})  # 数据导入
IMPORT_UPLOAD = 64 * 1024 * 1024  # a data: URL; the request limit (max_content_length) is the tighter bound

AS_OF, LANG, CLICKS = k.text(32), k.lang(), k.clicks()
LIST_FILTERS = (k.choices(), k.choices(c.code for c in SECTORS), k.choices(c.code for c in RISK_LEVELS),
                k.choices(FLAG_CODES), k.text(200))  # town, sector, level, flag, search
AUDIT_FILTERS = (k.text(64), k.choices(ACTIONS), k.text(128), k.text(32), k.text(32))
UPLOAD_TOKEN = k.name()  # 32 hex digits naming the upload's folder

SERVER: dict[str, Rule] = {
    ROUTER: Rule(EVERYONE, (k.text(2048), k.text(4096))),  # the page itself is checked on the path
    # 总览 /
    outputs("overview-kpis.children", "overview-map.figure", "overview-trend.figure"): Rule(LISTS, (AS_OF, LANG)),
    "overview-heatmap.figure": Rule(LISTS, (k.choice(c.code for c in MATRIX_METRICS), AS_OF, LANG)),
    "overview-go.href": Rule(LISTS, (k.click_data(), AS_OF, LANG)),
    # 风险清单 /risk-list
    "risk-list-grid.getRowsResponse": Rule(LISTS, (k.grid_request(), AS_OF, *LIST_FILTERS, LANG)),
    "risk-list-count.children": Rule(LISTS, (AS_OF, *LIST_FILTERS, LANG)),
    "risk-list-download.data": Rule(LISTS, (CLICKS, CLICKS, AS_OF, *LIST_FILTERS, LANG), "risk_list_export"),
    "risk-list-go.href": Rule(LISTS, (k.cell_clicked(), AS_OF)),
    # 企业画像 /enterprise
    outputs("enterprise-message.children", "enterprise-profile.children", "enterprise-reasons.children",
            "enterprise-history.figure", "enterprise-timeline.rowData"): Rule(ENTERPRISE, (k.enterprise_id(), AS_OF, LANG)),
    "enterprise-matches.children": Rule(ENTERPRISE, (k.text(64), LANG)),  # results scoped in the page
    # 隐患整改 /followup
    "followup-states.figure": Rule(OFFICE_LEADER, (k.choice(c.code for c in GROUPINGS), AS_OF, LANG)),
    "followup-rate.figure": Rule(OFFICE_LEADER, (AS_OF, LANG)),
    "followup-overdue.getRowsResponse": Rule(OFFICE_LEADER, (k.grid_request(), AS_OF, LANG)),
    "followup-go.href": Rule(OFFICE_LEADER, (k.cell_clicked(), AS_OF)),
    # 模型 /model
    "model-version.value": Rule(MODEL, (AS_OF, LANG)),
    outputs("model-notice-box.children", "model-card.children", "model-list-note.children", "model-precision.figure",
            "model-calibration.figure", "model-importance.figure", "model-versions.rowData",
            "model-intervals.children"): Rule(MODEL, (k.name(), AS_OF, LANG)),
    "model-groups.figure": Rule(MODEL, (k.name(), k.choice(("town", "sector")), LANG)),
    # 检查计划 /plan
    outputs("plan-id.options", "plan-id.value", "plan-message.children"): Rule(
        OFFICE_LEADER,
        (CLICKS, k.day(), k.number(1, 90, whole=True), k.number(0, 1), k.number(0, 3650, whole=True),
         k.number(0, 1000, whole=True), k.choices(c.code for c in SECTORS), k.number(0, 10_000, whole=True),
         k.number(0, 2**32 - 1, whole=True), LANG, k.upload(3 * 1024 * 1024), k.text(255), k.number(0, 1),
         k.number(1, 3650, whole=True), k.number(1, 3650, whole=True), k.choices(("replace",))),
        "plans_edit"),
    outputs("plan-grid.rowData", "plan-summary.children", "plan-expected.figure", "plan-map.figure", "plan-team.options",
            "plan-date.options", "plan-empty.children", "plan-evidence.children"): Rule(
        OFFICE_LEADER, (k.plan_id(), k.text(64), k.day(), LANG)),
    "plan-download.data": Rule(OFFICE_LEADER, (CLICKS, CLICKS, k.plan_id(), k.text(64), k.day(), LANG), "plans_export"),
    # 检查组 /inspector
    outputs("inspector-visit.data", "inspector-visit-info.children", "inspector-date.date", "inspector-rectify.rowData"):
        Rule(FIELD_WORK, (k.visit_id(), LANG)),
    outputs("inspector-message.children", "inspector-visit-pick.options"): Rule(
        FIELD_WORK, (CLICKS, k.visit_id(), k.day(), *INSPECTOR_FINDINGS, k.row_data(1000), LANG), "results_entry"),
    # 三个一批 /dispositions
    outputs("dispositions-grid.rowData", "dispositions-count.children"):
        Rule(FIELD_WORK, (AS_OF, k.choices(BATCH_CODES), k.counter(), LANG)),
    outputs("dispositions-selected.children", "dispositions-decision.value", "dispositions-note.value"):
        Rule(FIELD_WORK, (k.selected_rows("enterprise_id", "enterprise"), LANG)),
    "dispositions-evidence.children": Rule(FIELD_WORK, (k.selected_rows("enterprise_id", "enterprise"), LANG)),
    outputs("dispositions-message.children", "dispositions-saved.data"): Rule(
        FIELD_WORK,
        (CLICKS, k.selected_rows("enterprise_id", "enterprise"), k.choice(BATCH_CODES), k.text(500), AS_OF, k.counter(),
         LANG),
        "dispositions"),
    "dispositions-download.data": Rule(FIELD_WORK, (CLICKS, AS_OF, LANG)),
    # 通报 /bulletin
    outputs("bulletin-headline.children", "bulletin-teams.rowData", "bulletin-towns.rowData", "bulletin-message.children"):
        Rule(OFFICE_LEADER, (k.day(), k.day(), LANG)),
    "bulletin-download.data": Rule(OFFICE_LEADER, (CLICKS, CLICKS, CLICKS, k.day(), k.day(), LANG)),
    # 场所 /places, 人群 /people
    outputs("places-grid.rowData", "places-count.children"): Rule(LISTS, (AS_OF, LANG)),
    "places-download.data": Rule(LISTS, (CLICKS, AS_OF, LANG)),
    outputs("people-grid.rowData", "people-count.children"): Rule(OFFICE_LEADER, (AS_OF, k.number(1, 366, whole=True), LANG)),
    "people-download.data": Rule(OFFICE_LEADER, (CLICKS, AS_OF, k.number(1, 366, whole=True), LANG)),
    # 数据质量 /quality
    "quality-body.children": Rule(OFFICE_LEADER, (CLICKS, LANG)),
    "quality-download.data": Rule(OFFICE_LEADER, (CLICKS, LANG)),
    # 预警 /alerts (the feed is scoped by analytics.operations.alerts.feed_from_store; a state change is
    # checked there against the feed computed for the user)
    outputs("alerts-grid.rowData", "alerts-count.children"): Rule(WARNINGS, (k.day(), k.day(), k.counter(), LANG), "alerts"),
    outputs("alerts-message.children", "alerts-refresh.data"): Rule(
        WARNINGS, (CLICKS, k.row_data(1), k.choice(ALERT_STATE_CODES), k.text(500), k.day(), k.day(), k.counter(), LANG),
        "alerts_edit"),
    "alerts-download.data": Rule(WARNINGS, (CLICKS, k.day(), k.day(), LANG), "alerts"),
    # 数据导入 /import (the token names a folder of the signed-in account's own; the mapping grid's rows are
    # checked again by analytics.store.mapping.from_rows)
    outputs("import-token.data", "import-file.children"): Rule(
        IMPORT, (k.upload(IMPORT_UPLOAD), k.text(255), LANG), "import"),
    outputs("import-mapping.rowData", "import-system.value"): Rule(
        IMPORT, (UPLOAD_TOKEN, k.text(128), CLICKS, k.row_data(2000), k.text(128), LANG), "import"),
    outputs("import-result.children", "import-summary.children", "import-problems.rowData"): Rule(
        IMPORT, (CLICKS, CLICKS, CLICKS, UPLOAD_TOKEN, k.row_data(2000), k.text(128), k.text(32), LANG), "import"),
    "import-download-problems.data": Rule(IMPORT, (CLICKS, UPLOAD_TOKEN, LANG), "import"),
    "import-download-rejects.data": Rule(IMPORT, (CLICKS, UPLOAD_TOKEN), "import"),
    "import-progress.children": Rule(IMPORT, (k.counter(), UPLOAD_TOKEN, LANG), "import"),  # the poll while a run runs
    # 系统管理 /admin
    outputs("admin-message.children", "admin-users-box.children"): Rule(
        ADMIN,
        (*[CLICKS] * 6, k.text(64), k.text(128), k.choice(ROLES), k.text(64), k.text(1024), k.text(64), k.text(64), LANG),
        "accounts"),
    outputs("admin-audit-box.children", "admin-audit-note.children"): Rule(ADMIN, (CLICKS, *AUDIT_FILTERS, LANG), "audit"),
    "admin-audit-download.data": Rule(ADMIN, (CLICKS, *AUDIT_FILTERS, LANG), "audit"),
}

LANGUAGE_SWITCH_PAGES = ("overview", "risk-list", "enterprise", "followup", "model", "plan", "inspector", "dispositions",
                         "bulletin", "places", "people", "alerts", "import")
URL_SYNC_PAGES = ("overview", "risk-list", "enterprise", "followup", "model", "dispositions", "bulletin", "places", "people",
                  "alerts")
BROWSER: dict[str, Rule] = {
    **{f"{page}-lang-current.data": BROWSER_ONLY for page in LANGUAGE_SWITCH_PAGES},
    **{f"{page}-url-state.data": BROWSER_ONLY for page in URL_SYNC_PAGES},
    "risk-list-refreshed.data": BROWSER_ONLY,
    "followup-refreshed.data": BROWSER_ONLY,
    "_pages_dummy.children": BROWSER_ONLY,
    "quality-lang-current.data": BROWSER_ONLY,  # the quality page's language switch
}

TABLE: dict[str, Rule] = {**SERVER, **BROWSER}
