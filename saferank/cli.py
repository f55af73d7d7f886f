"""``saferank`` command line: the parser, and each command mapped to its handler in ``saferank.commands``
(which calls one ``analytics`` function); no logic of its own.

Every command takes ``--db URL`` (else ``$SAFERANK_DB``, else ``sqlite:///data/saferank.db`` under
the working directory) and ``--lang zh|en`` (messages; default ``$SAFERANK_LANG``, else Chinese).
argparse's own errors (a missing argument, an unknown option, a bad number) are given in that
language too, with exit status 2. Imports are lazy so that ``saferank --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence

from saferank import commands
from saferank import quality as quality_commands

Handler = Callable[[argparse.Namespace], int]
_HANDLERS: dict[str, Handler] = {}
LANGUAGES = ("zh", "en")

# argparse's error messages (Python 3.11-3.13 wording) → Chinese; anything else keeps its English text.
_ZH_ERRORS: tuple[tuple[str, str], ...] = (
    (r"the following arguments are required: (?P<a>.+)", "缺少必需的参数：{a}"),
    (r"unrecognized arguments: (?P<a>.+)", "无法识别的参数：{a}"),
    (r"one of the arguments (?P<a>.+) is required", "以下参数必须给出一个：{a}"),
    (r"argument (?P<a>\S+): invalid choice: (?P<v>.+?) \(choose from (?P<c>.+)\)", "参数 {a}：{v} 不是可选值（可选：{c}）"),
    (r"argument (?P<a>\S+): invalid int value: (?P<v>.+)", "参数 {a}：{v} 不是整数"),
    (r"argument (?P<a>\S+): invalid float value: (?P<v>.+)", "参数 {a}：{v} 不是数字"),
    (r"argument (?P<a>\S+): invalid (?P<t>\S+) value: (?P<v>.+)", "参数 {a}：{v} 不是有效的值"),
    (r"argument (?P<a>\S+): expected one argument", "参数 {a}：需要一个值"),
    (r"argument (?P<a>\S+): expected at least one argument", "参数 {a}：至少需要一个值"),
    (r"argument (?P<a>\S+): not allowed with argument (?P<b>.+)", "参数 {a}：不能与 {b} 同时使用"),
    (r"argument (?P<a>\S+): ignored explicit argument (?P<v>.+)", "参数 {a}：不接受值 {v}"),
)

_ZH_DESTS = {"command": "命令", "action": "操作", "command, action": "命令、操作"}  # the subcommands' dest names


def chosen_language(argv: Sequence[str]) -> str:
    """The language of messages: the last ``--lang`` of ``argv``, else ``$SAFERANK_LANG``, else Chinese."""
    chosen = os.environ.get("SAFERANK_LANG", "").strip().lower()
    for position, word in enumerate(argv):
        value = word.split("=", 1)[1] if word.startswith("--lang=") else (
            argv[position + 1] if word == "--lang" and position + 1 < len(argv) else None)
        if value in LANGUAGES:
            chosen = value
    return chosen if chosen in LANGUAGES else "zh"


def usage_error_zh(message: str) -> str:
    """argparse's English ``message`` in Chinese (unchanged where no pattern matches)."""
    for pattern, zh in _ZH_ERRORS:
        found = re.fullmatch(pattern, message)
        if found:
            return zh.format(**{k: _ZH_DESTS.get(v, v) for k, v in found.groupdict().items()})
    return message


class Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors read in the chosen language (``Parser.lang``, set by
    ``main`` before parsing) and point to ``--help``; exit status 2 as argparse's."""

    lang = "zh"

    def error(self, message: str):  # noqa: D102 - argparse's hook
        self.print_usage(sys.stderr)
        if Parser.lang == "zh":
            text = f"{self.prog}：错误：{usage_error_zh(message)}\n（{self.prog} --help 查看用法）\n"
        else:
            text = f"{self.prog}: error: {message}\n(see {self.prog} --help)\n"
        self.exit(2, text)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None, help="SQLAlchemy URL of the store (default: $SAFERANK_DB or sqlite:///data/saferank.db)")
    parser.add_argument("--lang", choices=LANGUAGES, default=chosen_language(()),
                        help="language of messages (default: $SAFERANK_LANG, else zh)")


def _command(sub: argparse._SubParsersAction, name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=help_text)
    _common(parser)
    _HANDLERS[name] = handler
    return parser


def _sample_options(parser: argparse.ArgumentParser) -> None:
    """--sample and --evaluate of train and backtest (README 'A province on Dask')."""
    parser.add_argument("--sample", type=int, default=None, help="fit on a stable, seeded sample of about N training rows "
                        "(firm × snapshot date; the backtest's fits too), stated on the card or report (default: every row)")
    parser.add_argument("--evaluate", type=int, default=None, help="with --sample: evaluate each backtest origin (and "
                        "train's as-of date) on about N operating firms drawn by the same hash, so no date's whole matrix "
                        "is built in one process (a province on --engine dask; default: every firm)")


def _engine_options(parser: argparse.ArgumentParser) -> None:
    """--engine dask and where its cluster is (issue 20; README 'A province on Dask')."""
    parser.add_argument("--engine", choices=("pandas", "dask"), default="pandas",
                        help="pandas (one process, default) or dask (partitions of firms on a Dask cluster)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", default=None, help="a running Dask scheduler, e.g. tcp://HOST:8786")
    where.add_argument("--workers", type=int, default=None, help="a LocalCluster of N worker processes (default 2)")
    parser.add_argument("--partitions", type=int, default=None, help="partitions of firms (default: ~50,000 firms each, 2 per worker at least)")
    parser.add_argument("--parquet", default=None, help="folder for the partitioned Parquet export, readable by every worker (default: a temporary folder)")


def _user_action(actions: argparse._SubParsersAction, name: str, help_text: str) -> argparse.ArgumentParser:
    """An action of ``users`` that also takes ``--db``/``--lang`` after it (without resetting them)."""
    parser = actions.add_parser(name, help=help_text)
    parser.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    parser.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def _model_action(actions: argparse._SubParsersAction, name: str, help_text: str) -> argparse.ArgumentParser:
    """An action of ``models`` that also takes ``--models`` (and ``--db``/``--lang``) after it."""
    parser = _user_action(actions, name, help_text)
    parser.add_argument("--models", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="saferank", description="SafeRank: risk targeting for a county safety office")
    sub = parser.add_subparsers(dest="command", required=True)
    # (subcommands are registered below this line)
    imports = _command(sub, "import", "check and load a folder of contract CSVs, one .xlsx workbook or one table's CSV "
                       "(all or nothing unless --skip-bad), then report on the data's quality", quality_commands.cmd_import)
    imports.add_argument("source", help="folder with towns.csv, enterprises.csv, ... (and towns.geojson), one .xlsx workbook, "
                         "or one CSV named after its table (a subset: the other tables keep what the store holds)")
    imports.add_argument("--skip-bad", dest="skip_bad", action="store_true", help="load the good rows; write bad rows to rejects files")
    imports.add_argument("--rejects", default=None, help="folder for <table>.rejects.csv (default: next to the input)")
    imports.add_argument("--export-date", dest="export_date", default=None, help="date of the export; later dates are errors (default today)")
    imports.add_argument("--quality", default=None, help="the data-quality workbook written after the import "
                         "(default quality/quality-<export date>.xlsx beside a SQLite store, else under data/)")
    imports.add_argument("--errors", default=None, help="write the full list of problems to this CSV")
    imports.add_argument("--mapping", default=None, help="a confirmed column/code mapping: a JSON file (saferank mapping "
                         "propose), or the name of a source system whose mapping the store keeps; a file naming its "
                         "system is kept for that system after the import")
    mapping = _command(sub, "mapping", "propose how a provincial system's sheets, headers and code labels map onto the "
                       "template, for a clerk to confirm", commands.cmd_mapping)
    mapping_actions = mapping.add_subparsers(dest="action", required=True)
    propose = _user_action(mapping_actions, "propose", "write the proposed mapping of a folder, workbook or CSV as JSON")
    propose.add_argument("source", help="the export to map: a folder of CSVs, one .xlsx workbook or one CSV")
    propose.add_argument("--out", required=True, help="the JSON file to write; edit it, then: saferank import SOURCE --mapping FILE")
    propose.add_argument("--system", default="", help="the source system's name; its mapping kept in the store is the starting point")
    template = _command(sub, "template", "write blank import templates with Chinese headers (CSV, or one .xlsx with --xlsx)", commands.cmd_template)
    template.add_argument("out_dir", help="folder to write the templates into")
    template.add_argument("--xlsx", action="store_true", help="one workbook with a sheet per table")
    quality = _command(sub, "quality", "data-quality report of the store: completeness, date ranges, rows per town and "
                       "sector, orphans, duplicates, later dates, what the model will lack; as a workbook", quality_commands.cmd_quality)
    quality.add_argument("--out", required=True, help="workbook to write (.xlsx)")
    quality.add_argument("--export-date", dest="export_date", default=None,
                         help="judge dates against this day (default: the last import's export date)")
    dispositions = _command(sub, "dispositions", "三个一批: the recommended batch (standardise, upgrade, close) per red/orange firm, with the office's decisions, as a workbook", commands.cmd_dispositions)
    dispositions.add_argument("--as-of", dest="as_of", default=None, help="risk list date (default: the latest stored list)")
    dispositions.add_argument("--out", required=True, help="workbook to write (.xlsx)")
    dispositions.add_argument("--rules", default=None, help="JSON file overriding the rules' thresholds (see analytics.operations.dispositions.DispositionRules)")
    dispositions.add_argument("--campaign", default="default", help="campaign whose decisions to show (default: default)")
    bulletin = _command(sub, "bulletin", "group bulletin (通报): inspections, hazards, rectification per team and town for a period", commands.cmd_bulletin)
    bulletin.add_argument("--start", required=True, help="first day of the period")
    bulletin.add_argument("--end", required=True, help="last day of the period")
    bulletin.add_argument("--out", required=True, help="workbook to write (.xlsx)")
    bulletin.add_argument("--html", default=None, help="also write the printable page here (Chinese) and *.en.html (English)")
    places = _command(sub, "places", "places list: crowded places and venues ranked by risk, as a workbook", commands.cmd_places)
    places.add_argument("--as-of", dest="as_of", default=None, help="risk list date (default: the latest stored list)")
    places.add_argument("--out", default=None, help="workbook to write (.xlsx; default data/lists/places-<list date>.xlsx)")
    people = _command(sub, "people", "people list: uncertified operations, unqualified contractors' crews, fishing crews under alerts, by exposure", commands.cmd_people)
    people.add_argument("--as-of", dest="as_of", default=None, help="last day of the window (default: the latest stored list's date)")
    people.add_argument("--days", type=int, default=30, help="window length in days (default 30)")
    people.add_argument("--out", default=None, help="workbook to write (.xlsx; default data/lists/people-<last day>.xlsx)")
    alerts = _command(sub, "alerts", "warning digest (预警): suspected restarts from electricity, newly overdue majors, weather alerts over exposed sectors, newly red firms, accidents, complaints; as a workbook", commands.cmd_alerts)
    alerts.add_argument("--since", default=None, help="warnings dated after this day (default: the day before --as-of)")
    alerts.add_argument("--as-of", dest="as_of", default=None, help="last day (default: the newest inspection's date)")
    alerts.add_argument("--teams", default=None, help="team file CSV/xlsx (as for plan); default 15 teams round-robin")
    alerts.add_argument("--out", required=True, help="workbook to write (.xlsx)")
    plan = _command(sub, "plan", "draw an inspection plan (follow-ups, risk rank, random draws) from the newest risk list; store it, write xlsx and print view", commands.cmd_plan)
    plan.add_argument("--start", default=None, help="first day (default: the day after the risk list's as-of date)")
    plan.add_argument("--days", type=int, default=20, help="number of days (default 20)")
    plan.add_argument("--teams", default=None, help="team file CSV/xlsx: team (检查组), towns (负责镇街), daily_capacity (每日检查数); default 15 teams round-robin, 3 visits a day")
    plan.add_argument("--random-share", dest="random_share", type=float, default=0.25, help="share of random draws (default 0.25)")
    plan.add_argument("--follow-up-share", dest="follow_up_share", type=float, default=0.30, help="at most this share of each team's visits, day by day, are on-site follow-ups of major or overdue hazards (default 0.30); general hazards within their deadline go to evidence review")
    plan.add_argument("--red-cycle", dest="red_cycle", type=int, default=30, help="visit every red firm at least every N days (default 30)")
    plan.add_argument("--orange-cycle", dest="orange_cycle", type=int, default=90, help="visit every orange firm at least every N days (default 90)")
    plan.add_argument("--replace", action="store_true", help="re-drawing the same dates: replace the stored plan (default: store a new version and mark the old one superseded)")
    plan.add_argument("--seed", type=int, default=None, help="random seed (default: drawn and recorded)")
    plan.add_argument("--out", default=None, help="xlsx to write (default data/plans/<plan id>.xlsx); the print view goes next to it (.html)")
    backtest = _command(sub, "backtest", "rolling-origin backtest of the models against random order and the rule of thumb", commands.cmd_backtest)
    backtest.add_argument("--as-of", dest="as_of", default=None, help="last day of data used (default: the newest inspection)")
    backtest.add_argument("--origins", type=int, default=12, help="number of monthly origins (default 12)")
    backtest.add_argument("--capacity", default="0.05", help="share of operating firms (0.05) or a count (50) (default 0.05)")
    backtest.add_argument("--capacity-of", dest="capacity_of", choices=("operating", "inspected"), default="operating",
                          help="rank all operating firms (default), or re-order only the firms inspected in each window (capacity: a share of them)")
    backtest.add_argument("--window-days", dest="window_days", type=int, default=None,
                          help="days scored after each origin (default 90; 30 with monthly origins scores each visit once)")
    backtest.add_argument("--report", default=None, help="write the offline HTML report here")
    backtest.add_argument("--json", default=None, help="write the same numbers as JSON here")
    backtest.add_argument("--truth", default=None, help="truth.csv of a simulated county: adds capture of the best possible")
    backtest.add_argument("--ablate", default="served", help="the model also refitted without IPW weights and without the "
                          "power family, paired with and without (default: the serving model's kind, else logistic)")
    backtest.add_argument("--no-ablations", dest="ablate", action="store_const", const=None,
                          help="skip the with/without comparisons (they refit one model twice more per origin)")
    backtest.add_argument("--models", default=None, help="model registry folder whose serving model --ablate served names "
                          "(default: $SAFERANK_MODELS or data/models)")
    _engine_options(backtest)
    _sample_options(backtest)
    train = _command(sub, "train", "train the candidate models, backtest them against random and the rule of thumb, register the winner", commands.cmd_train)
    _engine_options(train)
    _sample_options(train)
    train.add_argument("--as-of", dest="as_of", default=None, help="training date (default: the newest inspection in the store)")
    train.add_argument("--models", default=None, help="model registry folder (default: $SAFERANK_MODELS or data/models)")
    train.add_argument("--truth", default=None, help="truth.csv of a simulated county: adds the truth row to the comparison")
    train.add_argument("--capacity", type=float, default=0.05, help="share of enterprises the office can inspect (default 0.05)")
    train.add_argument("--origins", type=int, default=12, help="monthly backtest origins the candidates are compared on (default 12; fewer is faster)")
    train.add_argument("--no-ablations", dest="ablations", action="store_false",
                       help="skip refitting the winner without IPW weights and without the power family on the reported origins")
    train.add_argument("--capacity-of", dest="capacity_of", choices=("operating", "inspected"), default="operating",
                       help="how the backtests that tune and choose score each origin, as saferank backtest: rank all operating "
                       "firms (default), or re-order only the firms inspected in each window; kept on the model card")
    train.add_argument("--window-days", dest="window_days", type=int, default=None,
                       help="days scored after each backtest origin (default 90; 30 with monthly origins scores each visit once)")
    score = _command(sub, "score", "score every operating enterprise with the serving model, store the risk list, write its CSV", commands.cmd_score)
    score.add_argument("--as-of", dest="as_of", default=None, help="list date (default: the newest inspection in the store, or the newest list's date when later)")
    score.add_argument("--out", default=None, help="CSV file to write (UTF-8 with BOM, the contract's columns)")
    score.add_argument("--models", default=None, help="model registry folder (default: $SAFERANK_MODELS or data/models)")
    score.add_argument("--levels", default=None, help="JSON/TOML file with risk level thresholds (red, orange, yellow, margin)")
    _engine_options(score)
    score.add_argument("--list-dir", dest="list_dir", default=None, help="with --engine dask: the folder the workers "
                       "write the list's parts to, readable by every worker (default: a temporary folder)")
    models = _command(sub, "models", "model registry: list, show VERSION, promote VERSION, rollback, sign, rotate-key", commands.cmd_models)
    models.add_argument("--models", default=None, help="model registry folder (default: $SAFERANK_MODELS or data/models)")
    model_actions = models.add_subparsers(dest="action", required=True)
    _model_action(model_actions, "list", "list model versions, which one serves, and whether each signature verifies")
    _model_action(model_actions, "show", "print a version's model card").add_argument("version")
    _model_action(model_actions, "promote", "make a version the serving one (a version name of the list, validly signed)").add_argument("version")
    _model_action(model_actions, "rollback", "serve the previously serving version again")
    sign = _model_action(model_actions, "sign", "sign versions trained before model files were signed (admin; "
                        "shows each file's SHA-256 and asks to confirm)")
    sign.add_argument("versions", nargs="*", help="versions to sign (default: every unsigned one)")
    sign.add_argument("--yes", action="store_true", help="confirm without asking")
    rotate = _model_action(model_actions, "rotate-key", "re-sign every version that verifies with a new signing key, "
                          "then replace the key (admin)")
    rotate.add_argument("--only", nargs="+", default=None, help="re-sign only these versions (after a leaked key)")
    rotate.add_argument("--new-key-stdin", dest="new_key_stdin", action="store_true",
                        help="read the new key from stdin (required when the key is in $SAFERANK_MODEL_KEY)")
    rotate.add_argument("--yes", action="store_true", help="confirm without asking")
    simulate = _command(sub, "simulate", "write a simulated county (the contract tables, towns.geojson, truth.csv, simulation.json) and its rates beside published ones", commands.cmd_simulate)
    simulate.add_argument("out_dir", help="folder to write the CSV files into")
    simulate.add_argument("--enterprises", type=int, default=2000, help="number of enterprises, 500 to 1,000,000 (default 2000)")
    simulate.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    simulate.add_argument("--start", default=None, help="first simulated day (default: as-of minus three years)")
    simulate.add_argument("--flatter", action="store_true", help="the world before issue 16: additive risk, equal teams, records entered the day they happen (reproduces the older samples)")
    simulate.add_argument("--as-of", dest="as_of", default="2026-11-15", help="export date; nothing later is written (default 2026-11-15)")
    simulate.add_argument("--format", choices=("csv", "parquet"), default="csv",
                          help="csv: one county's contract files; parquet: a province (any size) as partitioned Parquet for --engine dask, written county by county")
    simulate.add_argument("--chunk", type=int, default=100_000, help="with --format parquet: firms per simulated county (default 100,000)")
    users = _command(sub, "users", "accounts: add, list, disable, enable, reset-password, token, revoke-token", commands.cmd_users)
    actions = users.add_subparsers(dest="action", required=True)
    add = _user_action(actions, "add", "add an account (asks for its password, or reads it with --password-stdin)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=("admin", "office", "leader", "inspector", "analyst"))
    add.add_argument("--team", default=None, help="an inspector's team, e.g. 第3组")
    add.add_argument("--name", default=None, help="display name")
    add.add_argument("--password-stdin", action="store_true")
    _user_action(actions, "list", "list accounts")
    for action in ("disable", "enable"):
        _user_action(actions, action, f"{action} an account").add_argument("username")
    reset = _user_action(actions, "reset-password", "set a new password (random and printed, or --password-stdin)")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    token = _user_action(actions, "token", "create an API token for an account (printed once: id, token)")
    token.add_argument("username")
    token.add_argument("--label", default="")
    _user_action(actions, "revoke-token", "revoke an API token by its id").add_argument("token_id")
    db = _command(sub, "db", "database roles (PostgreSQL): grant-app-role", commands.cmd_db)
    db_actions = db.add_subparsers(dest="action", required=True)
    grant = _user_action(db_actions, "grant-app-role", "as the tables' owner: create or upgrade the tables, then create "
                         "the app's restricted role (owns nothing; only SELECT and INSERT on the audit log)")
    grant.add_argument("--owner-url", dest="owner_url", required=True,
                       help="SQLAlchemy URL connecting as the owner role (the one that runs migrations)")
    grant.add_argument("--app-role", dest="app_role", required=True, help="name of the role the app connects as")
    grant.add_argument("--password-stdin", dest="password_stdin", action="store_true",
                       help="read the app role's password from stdin (default: leave it as it is)")
    grant.add_argument("--print-sql", dest="print_sql", action="store_true",
                       help="print the statements instead of running them (the tables are still created or upgraded)")
    demo = _command(sub, "demo", "simulated county -> import -> train -> score -> dashboard, in data/demo/", commands.cmd_demo)
    demo.add_argument("--folder", default="data/demo", help="where the demo store and models go (default data/demo)")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8050)
    demo.add_argument("--no-serve", action="store_true", help="build the demo store, print the accounts, and stop")
    serve = _command(sub, "serve", "serve the dashboard and API (development server; --prod: waitress)", commands.cmd_serve)
    serve.add_argument("--prod", action="store_true", help="serve with waitress")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=os.environ.get("SAFERANK_PORT") or 8050,  # a bad value: a usage error
                       help="port (default: $SAFERANK_PORT, else 8050); a busy port is refused (exit 2)")
    return parser


def main(argv: list[str] | None = None) -> int:
    Parser.lang = chosen_language(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    from analytics.contract.errors import UserError

    try:
        return _HANDLERS[args.command](args) or 0
    except UserError as error:
        print(error.render(args.lang), file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
