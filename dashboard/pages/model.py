"""模型 Model ("/model"), for analysts and the office: the serving model's card, its backtest against
random order and the rule of thumb, every pooled precision with its 95 % interval and the paired
differences in words (against the rules, and with/without IPW weights and the power family),
calibration, results per town and sector, feature importance, and every registered version side by side.

Everything comes from the model registry's cards (``analytics.views.modelview.model_view``): training
stores the backtest with each version, so nothing is recomputed here and no model is loaded. The
as-of picker selects the version that made that date's risk list; any version can be picked.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from analytics.views import modelview
from analytics.models.registry import ModelRegistry
from dashboard import figures, i18n
from dashboard.components.aggrid import ag_grid
from dashboard.components.grid import records
from dashboard.components import data
from dashboard.components.language import register_language_switch
from dashboard.components.layout import notice, page_frame, section
from dashboard.components.urlstate import register_url_sync

PREFIX = "model"
GROUPINGS = ("town", "sector")
PERCENT_COLUMNS = ("capture_of_best",)  # the precisions are shown with their intervals (_version_rows)
dash.register_page(__name__, path="/model", order=4, **i18n.page_names("model"))
register_language_switch(PREFIX)
register_url_sync(PREFIX, [(f"{PREFIX}-as-of", "value", "as_of"), (f"{PREFIX}-version", "value", "version"),
                           (f"{PREFIX}-by", "value", "by")])

GRAPH_CONFIG = {"displaylogo": False}


def _registry() -> ModelRegistry:
    """The app's registry (``create_app`` config ``models_dir``, else ``$SAFERANK_MODELS`` / ``data/models``)."""
    import flask

    folder = None
    if flask.has_app_context():
        folder = flask.current_app.extensions.get("saferank", {}).get("config", {}).get("models_dir")
    return ModelRegistry(folder)


def _list_version(day: pd.Timestamp | None, lang: str) -> str | None:
    """The model version that made the stored risk list of ``day``."""
    if day is None:
        return None
    versions = data.risk_list(day, lang).get("model_version")
    return None if versions is None or versions.empty else str(versions.iloc[0])


def _version_options(versions: pd.DataFrame, lang: str) -> list[dict[str, str]]:
    return [{"label": f"{v} · {m} · {i18n.label(modelview.VERSION_STATUS, s, lang)}", "value": v}
            for v, m, s in zip(versions["version"], versions["model"], versions["status"], strict=True)]


SHOWN_VERSION_COLUMNS = tuple(c for c in modelview.VERSION_COLUMNS if c not in ("precision_low", "precision_high"))


def version_columns(lang: str) -> list[dict]:
    widths = {"version": 260, "model": 150, "status": 100, "precision_pooled": 190,
              **{c: 190 for c in modelview.MEAN_INTERVAL_COLUMNS}}
    return [{"field": c, "headerName": i18n.label(modelview.COLUMNS, c, lang), "width": widths.get(c, 140),
             **({} if c in widths or c in ("trained_as_of", "created_at") else {"type": "numericColumn"})}
            for c in SHOWN_VERSION_COLUMNS]


def layout(as_of: str | None = None, lang: str | None = None, version: str | None = None, by: str | None = None,
           **_query: object) -> html.Div:
    lang = i18n.current_lang(lang)
    dates = data.scored_dates()
    chosen = data.pick_as_of(as_of)
    title = i18n.t("model.name", lang)
    registry = _registry()
    versions = modelview.versions_table(registry, lang)
    # With no version registered the page keeps its controls (empty), so its callbacks, which show the
    # "no model" notice, find every component they name.
    known = set(versions["version"])
    listed = _list_version(chosen, lang)
    picked = version if version in known else (
        listed if listed in known else registry.serving() or next(iter(versions["version"]), None))
    return page_frame(PREFIX, title, lang, [
        html.Div(
            [html.Label(i18n.t("model.version", lang), htmlFor=f"{PREFIX}-version"),
             dcc.Dropdown(id=f"{PREFIX}-version", options=_version_options(versions, lang), value=picked,
                          clearable=False, style={"minWidth": "min(520px, 100%)"}),
             html.Span(id=f"{PREFIX}-list-note", className="hint")],
            className="toolbar",
        ),
        html.Div(id=f"{PREFIX}-notice-box"),
        section(i18n.t("model.card", lang), html.Dl(id=f"{PREFIX}-card", className="profile model-card")),
        section(i18n.t("model.intervals", lang), html.Div(i18n.t("model.intervals_hint", lang), className="hint"),
                html.Div(id=f"{PREFIX}-intervals")),
        html.Div(
            [
                section(i18n.t("model.precision", lang),
                        html.Div(i18n.t("model.precision_hint", lang), className="hint"),
                        dcc.Graph(id=f"{PREFIX}-precision", config=GRAPH_CONFIG)),
                section(i18n.t("model.calibration", lang),
                        html.Div(i18n.t("model.calibration_hint", lang), className="hint"),
                        dcc.Graph(id=f"{PREFIX}-calibration", config=GRAPH_CONFIG)),
            ],
            className="grid-2",
        ),
        html.Div(
            [
                section(
                    i18n.t("model.per_group", lang),
                    html.Div([html.Label(i18n.t("model.by", lang)),
                              dcc.RadioItems(id=f"{PREFIX}-by", value=by if by in GROUPINGS else "town",
                                             options=[{"label": i18n.t(f"risk-list.{g}", lang), "value": g}
                                                      for g in GROUPINGS],
                                             inline=True, inputClassName="lang-input")], className="toolbar"),
                    html.Div(i18n.t("model.group_hint", lang), className="hint"),
                    dcc.Graph(id=f"{PREFIX}-groups", config=GRAPH_CONFIG),
                ),
                section(i18n.t("model.importance", lang),
                        html.Div(i18n.t("model.importance_hint", lang), className="hint"),
                        dcc.Graph(id=f"{PREFIX}-importance", config=GRAPH_CONFIG)),
            ],
            className="grid-2",
        ),
        section(
            i18n.t("model.versions", lang),
            html.Div(i18n.t("model.versions_hint", lang), className="hint"),
            ag_grid(lang, id=f"{PREFIX}-versions", columnDefs=version_columns(lang), rowData=[],
                       getRowId="params.data.version",
                       defaultColDef={"sortable": True, "resizable": True},
                       style={"height": "320px", "width": "100%", "fontSize": "16px"}),
        ),
    ], as_of=chosen, dates=dates)


@callback(
    Output(f"{PREFIX}-version", "value"),
    Input(f"{PREFIX}-as-of", "value"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def follow_list(as_of: str | None, lang: str | None) -> object:
    """A new as-of date shows the version that made that date's list (when it is registered)."""
    listed = _list_version(data.pick_as_of(as_of), lang or i18n.DEFAULT_LANG)
    known = set(modelview.versions_table(_registry())["version"])
    return listed if listed in known else dash.no_update


def _card(view: modelview.ModelView, lang: str) -> list[object]:
    items = []
    for code, value in zip(view.card["field"], view.card["value"], strict=True):
        shown = html.Code(value, style={"wordBreak": "break-all"}) if code in ("sha256", "version") else value
        # one grid cell per field, so a label stays above its own value
        items.append(html.Div([html.Dt(i18n.label(modelview.CARD_FIELDS, code, lang)), html.Dd(shown or "—")]))
    return items


def _notice(view: modelview.ModelView, lang: str) -> list[object]:
    texts = {"no_model": [i18n.t("model.none", lang)], "fallback": [i18n.t("model.fallback", lang), view.note],
             "no_backtest": [i18n.t("model.no_backtest", lang)]}.get(view.state, [])
    if view.version is not None and view.version != view.serving:
        texts.append(i18n.t("model.not_serving", lang, serving=view.serving or "—"))
    return [notice(" ".join(t for t in texts if t), PREFIX)] if texts else []


def _with_interval(value: object, low: object, high: object, lang: str) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{i18n.percent(value, lang)} ({i18n.percent(low, lang)} – {i18n.percent(high, lang)})"


def _difference(value: object, low: object, high: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{value * 100:+.1f} ({low * 100:+.1f} – {high * 100:+.1f}) pp"


def _table(columns: list[str], rows: list[list[object]], lang: str) -> html.Table:
    head = html.Thead(html.Tr([html.Th(i18n.label(modelview.COLUMNS, c, lang)) for c in columns]))
    return html.Table([head, html.Tbody([html.Tr([html.Td(v) for v in row]) for row in rows])], className="plain")


def _intervals(view: modelview.ModelView, lang: str) -> list[object]:
    """Pooled precision per model with its interval, the paired differences in words, and with/without."""
    if view.state != "ok":
        return []
    if view.intervals.empty:
        return [html.P(i18n.t("model.no_intervals", lang), className="hint")]
    too_few = i18n.t("model.too_few_random", lang)
    rows = [[label, f"{int(n):,}", _with_interval(p, lo, hi, lang),
             too_few if bool(few) or pd.isna(rp) else _with_interval(rp, rlo, rhi, lang)]
            for label, n, p, lo, hi, rp, rlo, rhi, few in zip(
                view.intervals["label"], view.intervals["n"], view.intervals["precision"], view.intervals["low"],
                view.intervals["high"], view.intervals["random_precision"], view.intervals["random_low"],
                view.intervals["random_high"], view.intervals["random_too_few"].fillna(True), strict=True)]
    out: list[object] = [_table(["model", "n", "precision_pooled", "random_precision"], rows, lang),
                         html.Ul([html.Li(text) for text in view.comparisons])]
    if not view.with_without.empty:
        absent = i18n.t("model.absent", lang)
        ww = view.with_without
        rows = [[label, _with_interval(a, alo, ahi, lang), _with_interval(b, blo, bhi, lang),
                 absent if status != "ok" else _difference(d, lo, hi)]
                for label, status, a, alo, ahi, b, blo, bhi, d, lo, hi in zip(
                    ww["label"], ww["status"], ww["with_precision"], ww["with_low"], ww["with_high"], ww["without_precision"],
                    ww["without_low"], ww["without_high"], ww["difference"], ww["low"], ww["high"], strict=True)]
        out += [html.H4(i18n.t("model.with_without", lang)), html.Div(i18n.t("model.with_without_hint", lang), className="hint"),
                _table(["choice", "with", "without", "difference"], rows, lang),
                html.Ul([html.Li(text) for text in ww["text"]])]
    return out


def _maybe_interval(value: object, low: object, high: object, lang: str) -> str:
    """A percentage with its interval when the card kept one, else the bare percentage (older cards)."""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return i18n.percent(value, lang)
    return _with_interval(value, low, high, lang)


def _version_rows(versions: pd.DataFrame, lang: str) -> list[dict]:
    spans = [f"{c}_{end}" for c in modelview.MEAN_INTERVAL_COLUMNS for end in ("low", "high")]
    rows = versions.assign(
        precision_pooled=[_with_interval(p, lo, hi, lang) for p, lo, hi in zip(
            versions["precision_pooled"], versions["precision_low"], versions["precision_high"], strict=True)],
        status=versions["status"].map(lambda s: i18n.label(modelview.VERSION_STATUS, s, lang)),
        lift_over_rule=versions["lift_over_rule"].map(lambda v: "—" if pd.isna(v) else f"{v:.2f}×"),
        brier=versions["brier"].map(lambda v: "—" if pd.isna(v) else f"{v:.4f}"),
        **{c: versions[c].map(lambda v: i18n.percent(v, lang)) for c in PERCENT_COLUMNS},
        # the means over origins with their intervals (``modelview.MEAN_INTERVAL_COLUMNS``)
        **{c: [_maybe_interval(v, lo, hi, lang) for v, lo, hi in zip(
            versions[c], versions[f"{c}_low"], versions[f"{c}_high"], strict=True)] for c in modelview.MEAN_INTERVAL_COLUMNS},
    )
    return records(rows.drop(columns=["precision_low", "precision_high", *spans]))


@callback(
    Output(f"{PREFIX}-notice-box", "children"),
    Output(f"{PREFIX}-card", "children"),
    Output(f"{PREFIX}-list-note", "children"),
    Output(f"{PREFIX}-precision", "figure"),
    Output(f"{PREFIX}-calibration", "figure"),
    Output(f"{PREFIX}-importance", "figure"),
    Output(f"{PREFIX}-versions", "rowData"),
    Output(f"{PREFIX}-intervals", "children"),
    Input(f"{PREFIX}-version", "value"),
    Input(f"{PREFIX}-as-of", "value"),
    State(f"{PREFIX}-lang-store", "data"),
)
def show_model(version: str | None, as_of: str | None, lang: str | None) -> tuple:
    lang = lang or i18n.DEFAULT_LANG
    view = modelview.model_view(_registry(), version, lang)
    day = data.pick_as_of(as_of)
    listed = _list_version(day, lang)
    list_note = i18n.t("model.list_version", lang, date=i18n.date(day, lang), version=listed) if listed else ""
    importance = figures.bar_figure(view.importance["label"].tolist(), view.importance["importance"].tolist(), lang,
                                    color=figures.MODEL_ROLE_COLORS["random"])
    return (_notice(view, lang), _card(view, lang), list_note,
            figures.precision_at_k_figure(view.curves, lang, view.capacity, view.capacity_of),
            figures.calibration_figure(view.calibration, lang), importance, _version_rows(view.versions, lang),
            _intervals(view, lang))


@callback(
    Output(f"{PREFIX}-groups", "figure"),
    Input(f"{PREFIX}-version", "value"),
    Input(f"{PREFIX}-by", "value"),
    State(f"{PREFIX}-lang-store", "data"),
)
def show_groups(version: str | None, by: str | None, lang: str | None) -> object:
    lang = lang or i18n.DEFAULT_LANG
    view = modelview.model_view(_registry(), version, lang, town_names=data.town_names())
    groups = view.by_sector if by == "sector" else view.by_town
    model_label = view.card.set_index("field")["value"].get("model", "") if not view.card.empty else ""
    return figures.group_precision_figure(groups, model_label, lang)
