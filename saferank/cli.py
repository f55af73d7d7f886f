"""``saferank`` command line: maps each command to one ``analytics`` function; no logic of its own.

Every command takes ``--db URL`` (else ``$SAFERANK_DB``, else ``sqlite:///data/saferank.db`` under
the working directory) and ``--lang zh|en`` (messages; default Chinese). Imports are lazy so that
``saferank --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Handler = Callable[[argparse.Namespace], int]
_HANDLERS: dict[str, Handler] = {}


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None, help="SQLAlchemy URL of the store (default: $SAFERANK_DB or sqlite:///data/saferank.db)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of messages (default zh)")


def _command(sub: argparse._SubParsersAction, name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=help_text)
    _common(parser)
    _HANDLERS[name] = handler
    return parser


def _as_of(value: str | None):
    """``--as-of`` parsed here, once, for everything below (``None``: the command's default date)."""
    from analytics.snapshot.snapshot import AsOf

    return None if value is None else AsOf.parse(value)


@contextmanager
def _audited(store, action: str, object_id: object = None, **details: Any) -> Iterator[dict[str, Any]]:
    """One audit row for the command, by ``cli:<login name>`` from this host (``audit.cli_actor``):
    the handler adds what happened to the yielded dict; a refused command is recorded as refused
    (with the reason), then its error goes on to the user."""
    from analytics.accounts import audit
    from analytics.contract.errors import UserError

    def record(outcome: str, extra: dict[str, Any]) -> None:
        audit.record(store, audit.cli_actor(), action, None if object_id is None else str(object_id),
                     audit.cli_source(), {**details, **extra, "outcome": outcome})

    done: dict[str, Any] = {}
    try:
        yield done
    except UserError as error:
        record("refused", {**done, "reason": error.en[:300]})
        raise
    record("done", done)


def _cli_actor():
    from analytics.accounts.audit import cli_actor

    return cli_actor()


def _cli_source() -> str:
    from analytics.accounts.audit import cli_source

    return cli_source()


# --- handlers: each calls one analytics function ------------------------------------------
# (commands are added below this line, one handler each)


def _import(args: argparse.Namespace) -> int:
    from analytics.store.ingest import import_files
    from analytics.store.database import open_store

    store = open_store(args.db)
    with _audited(store, "import", args.source, skip_bad=args.skip_bad) as done:
        report = import_files(store, args.source, skip_bad=args.skip_bad, rejects_dir=args.rejects,
                              export_date=args.export_date, errors_path=args.errors)
        done.update(report.summary.set_index("table")[["inserted", "updated", "rejected"]].sum().astype(int).to_dict())
    print(report.render(args.lang))
    return 0


def _template(args: argparse.Namespace) -> int:
    from analytics.contract.templates import render_written, write_templates

    print(render_written(write_templates(args.out_dir, xlsx=args.xlsx), args.lang))
    return 0


def _dispositions(args: argparse.Namespace) -> int:
    from analytics.operations.dispositions import export_dispositions
    from analytics.store.database import open_store

    store = open_store(args.db)
    with _audited(store, "export_list", "dispositions", out=args.out, as_of=args.as_of) as done:
        report = export_dispositions(store, args.out, as_of=_as_of(args.as_of), rules_path=args.rules,
                                     campaign=args.campaign, lang=args.lang)
        done.update(list_as_of=f"{report.as_of:%Y-%m-%d}", rows=sum(report.counts.values()))
    print(report.render(args.lang))
    return 0


def _bulletin(args: argparse.Namespace) -> int:
    from analytics.operations.bulletin import bulletin_store
    from analytics.snapshot.snapshot import AsOf
    from analytics.store.database import open_store

    store = open_store(args.db)
    with _audited(store, "export_list", f"bulletin:{args.start}:{args.end}", out=args.out, html=args.html):
        report = bulletin_store(store, AsOf.parse(args.start), AsOf.parse(args.end), args.out, html_path=args.html, lang=args.lang)
    print(report.render(args.lang))
    return 0


def _places(args: argparse.Namespace) -> int:
    return _export_list(args, "places")


def _people(args: argparse.Namespace) -> int:
    return _export_list(args, "people")


def _alerts(args: argparse.Namespace) -> int:
    from analytics.operations.alerts import export_digest
    from analytics.store.database import open_store

    store = open_store(args.db)
    with _audited(store, "export_list", "alerts", out=args.out, since=args.since, as_of=args.as_of) as done:
        feed, summary = export_digest(store, args.out, as_of=_as_of(args.as_of), since=_as_of(args.since),
                                      teams_file=args.teams, lang=args.lang)
        done.update(rows=len(feed))
    print(summary)
    return 0


def _export_list(args: argparse.Namespace, which: str) -> int:
    from analytics.operations.lists import export_list
    from analytics.store.database import open_store

    store = open_store(args.db)
    days = {"window_days": args.days} if which == "people" else {}
    with _audited(store, "export_list", which, out=args.out, as_of=args.as_of, **days) as done:
        report = export_list(store, which, args.out, as_of=_as_of(args.as_of), lang=args.lang, **days)
        done.update(list_as_of=f"{report.as_of:%Y-%m-%d}", rows=report.rows)
    print(report.render(args.lang))
    return 0


def _plan(args: argparse.Namespace) -> int:
    from analytics.operations.plans_store import plan_store
    from analytics.store.database import open_store

    from analytics.accounts.audit import cli_actor

    store = open_store(args.db)
    with _audited(store, "plan", None, start=args.start, days=args.days, seed=args.seed) as done:
        report = plan_store(store, start=_as_of(args.start), days=args.days, teams_file=args.teams,
                            random_share=args.random_share, seed=args.seed, out=args.out, lang=args.lang,
                            created_by=cli_actor().username)
        done.update(plan_id=report.plan.plan_id, seed=report.plan.seed, visits=len(report.plan.visits),
                    xlsx=str(report.xlsx), html=str(report.html))
    print(report.render(args.lang))
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from analytics.models.report import backtest_store
    from analytics.store.database import open_store

    options = dict(as_of=_as_of(args.as_of), origins=args.origins, capacity=args.capacity,
                   report=args.report, json_path=args.json, truth=args.truth, capacity_of=args.capacity_of,
                   window_days=args.window_days)
    if args.engine == "dask":  # imported only when asked: a plain run never loads dask
        from analytics.engine import dask_engine

        with dask_engine.DaskEngine(args.scheduler, args.workers) as engine:
            result = dask_engine.backtest_store(open_store(args.db), engine, args.parquet, args.partitions, **options)
    else:
        result = backtest_store(open_store(args.db), **options)
    print(result.render(args.lang))
    return 0


def _train(args: argparse.Namespace) -> int:
    from analytics.models.select import train_models
    from analytics.store.database import open_store

    store = open_store(args.db)
    with _audited(store, "train", None, as_of=args.as_of, models_dir=args.models) as done:
        report = train_models(store, as_of=_as_of(args.as_of), models_dir=args.models, truth=args.truth,
                              capacity=args.capacity, origins=args.origins)
        done.update(version=report.version, winner=report.winner, serving=report.serving, rows=report.n_rows)
    print(report.render(args.lang))
    return 0


def _engine_options(parser: argparse.ArgumentParser) -> None:
    """--engine dask and where its cluster is (issue 20; README 'A province on Dask')."""
    parser.add_argument("--engine", choices=("pandas", "dask"), default="pandas",
                        help="pandas (one process, default) or dask (partitions of firms on a Dask cluster)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", default=None, help="a running Dask scheduler, e.g. tcp://HOST:8786")
    where.add_argument("--workers", type=int, default=None, help="a LocalCluster of N worker processes (default 2)")
    parser.add_argument("--partitions", type=int, default=None, help="partitions of firms (default: ~50,000 firms each, 2 per worker at least)")
    parser.add_argument("--parquet", default=None, help="folder for the partitioned Parquet export, readable by every worker (default: a temporary folder)")


def _score(args: argparse.Namespace) -> int:
    from analytics.risk.risklist import score_store
    from analytics.store.database import open_store

    store = open_store(args.db)
    with _audited(store, "score", None, as_of=args.as_of, out=args.out) as done:
        if args.engine == "dask":  # imported only when asked: a plain run never loads dask
            from analytics.engine import dask_engine

            with dask_engine.DaskEngine(args.scheduler, args.workers) as engine:
                report = dask_engine.score_store(store, engine, as_of=_as_of(args.as_of), out=args.out,
                                                 models_dir=args.models, levels=args.levels,
                                                 parquet=args.parquet, partitions=args.partitions)
        else:
            report = score_store(store, as_of=_as_of(args.as_of), out=args.out, models_dir=args.models, levels=args.levels)
        done.update(list_id=report.list_id, model_version=report.model_version, rows=report.n)
    print(report.render(args.lang))
    return 0


def _models(args: argparse.Namespace) -> int:
    from analytics.models.registry import ModelRegistry

    registry = ModelRegistry(args.models)
    if args.action == "list":
        print(registry.render_versions(args.lang))
    elif args.action == "show":
        print(registry.card_text(args.version))
    elif args.action in ("promote", "rollback"):
        from analytics.store.database import open_store

        with _audited(open_store(args.db), args.action, getattr(args, "version", None), models_dir=str(registry.root)) as done:
            before = registry.serving()
            print(registry.promote_message(args.version, args.lang) if args.action == "promote"
                  else registry.rollback_message(args.lang))
            done.update(serving_before=before, serving=registry.serving())
    elif args.action == "sign":
        _models_sign(args, registry)
    elif args.action == "rotate-key":
        _models_rotate_key(args, registry)
    return 0


def _confirmed(args: argparse.Namespace) -> None:
    """Nothing when the administrator passed ``--yes`` or types yes; else a ``UserError``."""
    from analytics.contract.errors import UserError

    if args.yes:
        return
    try:
        answer = input("输入 yes 确认 / Type yes to confirm: ")
    except EOFError:
        answer = ""
    if answer.strip().lower() != "yes":
        raise UserError("未确认，没有做任何改动。", "Not confirmed; nothing was changed.")


def _models_sign(args: argparse.Namespace, registry) -> None:
    from analytics.models.key_admin import sign_versions, signing_plan
    from analytics.store.database import open_store

    plan = signing_plan(registry, args.versions or None)
    print(plan.render(args.lang))
    if plan.to_sign:
        _confirmed(args)
        sign_versions(registry, plan, open_store(args.db), actor=_cli_actor(), source=_cli_source())
        print(plan.render_done(args.lang))


def _models_rotate_key(args: argparse.Namespace, registry) -> None:
    from analytics.models.key_admin import rotate_key, rotation_plan
    from analytics.store.database import open_store

    new_secret = sys.stdin.readline().strip() if args.new_key_stdin else None
    plan = rotation_plan(registry, new_secret, args.only or None)
    print(plan.render(args.lang))
    _confirmed(args)
    rotate_key(registry, plan, open_store(args.db), actor=_cli_actor(), source=_cli_source())
    print(plan.render_done(args.lang))


def _simulate(args: argparse.Namespace) -> int:
    from analytics.simulate import simulate_files

    if args.format == "parquet":  # a province, county by county (needs the scale extra: pyarrow)
        from analytics.engine.province import simulate_province

        rows = simulate_province(args.enterprises, args.out_dir, chunk=args.chunk, seed=args.seed, as_of=args.as_of)
        total = ", ".join(f"{name} {count:,}" for name, count in rows.items())
        print(f"已写出分区 Parquet 到 {args.out_dir}：{total}。" if args.lang == "zh" else
              f"Wrote partitioned Parquet to {args.out_dir}: {total}.")
        return 0
    written = simulate_files(args.out_dir, enterprises=args.enterprises, seed=args.seed, start=args.start,
                             as_of=args.as_of, flatter=args.flatter)
    print(written.render(args.lang))
    return 0


def _read_password(args: argparse.Namespace) -> str:
    """The password from stdin (``--password-stdin``) or typed twice at a hidden prompt; without a
    terminal to prompt at (a script, a pipe), a message asking for ``--password-stdin``."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    from analytics.contract.errors import UserError

    no_terminal = UserError("没有可输入密码的终端：请加 --password-stdin，从标准输入传入密码。",
                            "There is no terminal to type the password at: add --password-stdin and pass it on standard input.")
    if not sys.stdin or not sys.stdin.isatty():
        raise no_terminal
    try:
        first = getpass.getpass("密码 / Password: ")
        again = getpass.getpass("再次输入 / Again: ")
    except EOFError:
        raise no_terminal from None
    if again != first:
        raise UserError("两次输入的密码不一致。", "The two passwords differ.")
    return first


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


def _users(args: argparse.Namespace) -> int:
    from analytics.accounts import users as accounts
    from analytics.store.database import open_store

    from analytics.accounts import audit

    store = open_store(args.db)
    who = {"actor": audit.cli_actor(), "source": audit.cli_source()}  # the audit names the OS user
    if args.action == "add":
        user = accounts.add_user(store, args.username, args.role, _read_password(args), display_name=args.name, team=args.team,
                                 **who)
        print(f"{user.username} ({user.role}{', ' + user.team if user.team else ''})")
    elif args.action == "list":
        print(accounts.list_users(store).to_string(index=False))
    elif args.action == "disable":
        accounts.disable_user(store, args.username, **who)
    elif args.action == "enable":
        accounts.enable_user(store, args.username, **who)
    elif args.action == "reset-password":
        if args.password_stdin:  # the caller knows it: never echo it to a terminal or a log
            accounts.reset_password(store, args.username, _read_password(args), **who)
            print(f"已为 {args.username} 设置新密码，其登录会话均已结束。" if args.lang == "zh"
                  else f"A new password is set for {args.username}; its sessions are ended.")
        else:  # a random password: shown this once, the only way to hand it over
            print(accounts.reset_password(store, args.username, None, **who))
    elif args.action == "token":
        print("\t".join(accounts.create_token(store, args.username, args.label, **who)))
    elif args.action == "revoke-token":
        accounts.revoke_token(store, args.token_id, **who)
    return 0


def _db(args: argparse.Namespace) -> int:
    from analytics.store.database import open_store
    from analytics.store.roles import grant_app_role, require_postgresql

    require_postgresql(args.owner_url)
    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
    store = open_store(args.owner_url)  # the owner's connection keeps the audit row of the grant
    try:
        with _audited(store, "db_role", args.app_role, dry_run=args.print_sql) as done:
            grant = grant_app_role(args.owner_url, args.app_role, password=password, dry_run=args.print_sql)
            done.update(created=grant.created, schema=grant.schema, owner=grant.owner)
    finally:
        store.dispose()
    if args.print_sql:
        print(";\n".join(grant.statements) + ";")
    else:
        print(grant.render(args.lang))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from saferank.demo import demo_environment, prepare_demo
    from analytics.contract.errors import UserError

    if args.db is not None:
        raise UserError("演示使用 --folder 下自己的数据库，不接受 --db。",
                        "The demo keeps its own store under --folder; --db does not apply to it.")
    setup = prepare_demo(args.folder)
    print(setup.render(args.lang))
    if args.no_serve:
        return 0
    demo_environment(setup)
    from dashboard.serve import serve  # the CLI is the one edge that starts the dashboard

    print(f"http://{args.host}:{args.port}/")
    serve(setup.db, host=args.host, port=args.port, prod=True)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from dashboard.serve import serve  # the CLI is the one edge that starts the dashboard

    serve(args.db, host=args.host, port=args.port, prod=args.prod)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="saferank", description="SafeRank: risk targeting for a county safety office")
    sub = parser.add_subparsers(dest="command", required=True)
    # (subcommands are registered below this line)
    imports = _command(sub, "import", "check and load a folder of contract CSVs, one .xlsx workbook or one table's CSV "
                       "(all or nothing unless --skip-bad)", _import)
    imports.add_argument("source", help="folder with towns.csv, enterprises.csv, ... (and towns.geojson), one .xlsx workbook, "
                         "or one CSV named after its table (a subset: the other tables keep what the store holds)")
    imports.add_argument("--skip-bad", dest="skip_bad", action="store_true", help="load the good rows; write bad rows to rejects files")
    imports.add_argument("--rejects", default=None, help="folder for <table>.rejects.csv (default: next to the input)")
    imports.add_argument("--export-date", dest="export_date", default=None, help="date of the export; later dates are errors (default today)")
    imports.add_argument("--errors", default=None, help="write the full list of problems to this CSV")
    template = _command(sub, "template", "write blank import templates with Chinese headers (CSV, or one .xlsx with --xlsx)", _template)
    template.add_argument("out_dir", help="folder to write the templates into")
    template.add_argument("--xlsx", action="store_true", help="one workbook with a sheet per table")
    dispositions = _command(sub, "dispositions", "三个一批: the recommended batch (standardise, upgrade, close) per red/orange firm, with the office's decisions, as a workbook", _dispositions)
    dispositions.add_argument("--as-of", dest="as_of", default=None, help="risk list date (default: the latest stored list)")
    dispositions.add_argument("--out", required=True, help="workbook to write (.xlsx)")
    dispositions.add_argument("--rules", default=None, help="JSON file overriding the rules' thresholds (see analytics.operations.dispositions.DispositionRules)")
    dispositions.add_argument("--campaign", default="default", help="campaign whose decisions to show (default: default)")
    bulletin = _command(sub, "bulletin", "group bulletin (通报): inspections, hazards, rectification per team and town for a period", _bulletin)
    bulletin.add_argument("--start", required=True, help="first day of the period")
    bulletin.add_argument("--end", required=True, help="last day of the period")
    bulletin.add_argument("--out", required=True, help="workbook to write (.xlsx)")
    bulletin.add_argument("--html", default=None, help="also write the printable page here (Chinese) and *.en.html (English)")
    places = _command(sub, "places", "places list: crowded places and venues ranked by risk, as a workbook", _places)
    places.add_argument("--as-of", dest="as_of", default=None, help="risk list date (default: the latest stored list)")
    places.add_argument("--out", required=True, help="workbook to write (.xlsx)")
    people = _command(sub, "people", "people list: uncertified operations, unqualified contractors' crews, fishing crews under alerts, by exposure", _people)
    people.add_argument("--as-of", dest="as_of", default=None, help="last day of the window (default: the latest stored list's date)")
    people.add_argument("--days", type=int, default=30, help="window length in days (default 30)")
    people.add_argument("--out", required=True, help="workbook to write (.xlsx)")
    alerts = _command(sub, "alerts", "warning digest (预警): suspected restarts from electricity, newly overdue majors, weather alerts over exposed sectors, newly red firms, accidents, complaints; as a workbook", _alerts)
    alerts.add_argument("--since", default=None, help="warnings dated after this day (default: the day before --as-of)")
    alerts.add_argument("--as-of", dest="as_of", default=None, help="last day (default: the newest inspection's date)")
    alerts.add_argument("--teams", default=None, help="team file CSV/xlsx (as for plan); default 15 teams round-robin")
    alerts.add_argument("--out", required=True, help="workbook to write (.xlsx)")
    plan = _command(sub, "plan", "draw an inspection plan (follow-ups, risk rank, random draws) from the newest risk list; store it, write xlsx and print view", _plan)
    plan.add_argument("--start", default=None, help="first day (default: the day after the risk list's as-of date)")
    plan.add_argument("--days", type=int, default=20, help="number of days (default 20)")
    plan.add_argument("--teams", default=None, help="team file CSV/xlsx: team (检查组), towns (负责镇街), daily_capacity (每日检查数); default 15 teams round-robin, 3 visits a day")
    plan.add_argument("--random-share", dest="random_share", type=float, default=0.25, help="share of random draws (default 0.25)")
    plan.add_argument("--seed", type=int, default=None, help="random seed (default: drawn and recorded)")
    plan.add_argument("--out", default=None, help="xlsx to write (default data/plans/<plan id>.xlsx); the print view goes next to it (.html)")
    backtest = _command(sub, "backtest", "rolling-origin backtest of the models against random order and the rule of thumb", _backtest)
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
    _engine_options(backtest)
    train = _command(sub, "train", "train the candidate models, backtest them against random and the rule of thumb, register the winner", _train)
    train.add_argument("--as-of", dest="as_of", default=None, help="training date (default: the newest inspection in the store)")
    train.add_argument("--models", default=None, help="model registry folder (default: $SAFERANK_MODELS or data/models)")
    train.add_argument("--truth", default=None, help="truth.csv of a simulated county: adds the truth row to the comparison")
    train.add_argument("--capacity", type=float, default=0.05, help="share of enterprises the office can inspect (default 0.05)")
    train.add_argument("--origins", type=int, default=12, help="monthly backtest origins the candidates are compared on (default 12; fewer is faster)")
    score = _command(sub, "score", "score every operating enterprise with the serving model, store the risk list, write its CSV", _score)
    score.add_argument("--as-of", dest="as_of", default=None, help="list date (default: the newest inspection in the store)")
    score.add_argument("--out", default=None, help="CSV file to write (UTF-8 with BOM, the contract's columns)")
    score.add_argument("--models", default=None, help="model registry folder (default: $SAFERANK_MODELS or data/models)")
    score.add_argument("--levels", default=None, help="JSON/TOML file with risk level thresholds (red, orange, yellow, margin)")
    _engine_options(score)
    models = _command(sub, "models", "model registry: list, show VERSION, promote VERSION, rollback, sign, rotate-key", _models)
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
    simulate = _command(sub, "simulate", "write a simulated county (the contract tables, towns.geojson, truth.csv, simulation.json) and its rates beside published ones", _simulate)
    simulate.add_argument("out_dir", help="folder to write the CSV files into")
    simulate.add_argument("--enterprises", type=int, default=2000, help="number of enterprises, 500 to 1,000,000 (default 2000)")
    simulate.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    simulate.add_argument("--start", default=None, help="first simulated day (default: as-of minus three years)")
    simulate.add_argument("--flatter", action="store_true", help="the world before issue 16: additive risk, equal teams, records entered the day they happen (reproduces the older samples)")
    simulate.add_argument("--as-of", dest="as_of", default="2026-11-15", help="export date; nothing later is written (default 2026-11-15)")
    simulate.add_argument("--format", choices=("csv", "parquet"), default="csv",
                          help="csv: one county's contract files; parquet: a province (any size) as partitioned Parquet for --engine dask, written county by county")
    simulate.add_argument("--chunk", type=int, default=100_000, help="with --format parquet: firms per simulated county (default 100,000)")
    users = _command(sub, "users", "accounts: add, list, disable, enable, reset-password, token, revoke-token", _users)
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
    db = _command(sub, "db", "database roles (PostgreSQL): grant-app-role", _db)
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
    demo = _command(sub, "demo", "simulated county -> import -> train -> score -> dashboard, in data/demo/", _demo)
    demo.add_argument("--folder", default="data/demo", help="where the demo store and models go (default data/demo)")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8050)
    demo.add_argument("--no-serve", action="store_true", help="build the demo store, print the accounts, and stop")
    serve = _command(sub, "serve", "serve the dashboard and API (development server; --prod: waitress)", _serve)
    serve.add_argument("--prod", action="store_true", help="serve with waitress")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8050)
    return parser


def main(argv: list[str] | None = None) -> int:
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
