"""The ``saferank`` commands' handlers: each parses nothing (``saferank.cli`` did) and calls one
``analytics`` function, inside one audit row where the command changes or reads office data.

Imports are inside the handlers so that ``saferank --help`` stays fast.

Long because there is one handler per command, each a few lines; the next seam to cut, if it grows,
is the engine's commands (``score``/``train``/``backtest`` and ``_on_engine``) into a module of their own.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


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


def cmd_import(args: argparse.Namespace) -> int:
    from analytics.store.ingest import import_files
    from analytics.store.database import open_store

    from analytics.store.mapping import import_mapping, save_mapping

    store = open_store(args.db)
    mapping = import_mapping(store, args.mapping) if getattr(args, "mapping", None) else None
    with _audited(store, "import", args.source, skip_bad=args.skip_bad, mapping=args.mapping) as done:
        report = import_files(store, args.source, skip_bad=args.skip_bad, rejects_dir=args.rejects,
                              export_date=args.export_date, errors_path=args.errors, mapping=mapping)
        done.update(report.summary.set_index("table")[["inserted", "updated", "rejected"]].sum().astype(int).to_dict())
    if mapping is not None and mapping.system:
        save_mapping(store, mapping, _cli_actor().username)
    print(report.render(args.lang))
    return 0


def cmd_mapping(args: argparse.Namespace) -> int:
    from analytics.store.database import open_store
    from analytics.store.mapping import propose_to_file

    print(propose_to_file(open_store(args.db), args.source, args.out, args.system, args.lang))
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from analytics.contract.templates import render_written, write_templates

    print(render_written(write_templates(args.out_dir, xlsx=args.xlsx), args.lang))
    return 0


def cmd_dispositions(args: argparse.Namespace) -> int:
    from analytics.operations.dispositions import export_dispositions
    from analytics.store.database import open_store

    store = open_store(args.db)
    with _audited(store, "export_list", "dispositions", out=args.out, as_of=args.as_of) as done:
        report = export_dispositions(store, args.out, as_of=_as_of(args.as_of), rules_path=args.rules,
                                     campaign=args.campaign, lang=args.lang)
        done.update(list_as_of=f"{report.as_of:%Y-%m-%d}", rows=sum(report.counts.values()))
    print(report.render(args.lang))
    return 0


def cmd_bulletin(args: argparse.Namespace) -> int:
    from analytics.operations.bulletin import bulletin_store
    from analytics.snapshot.snapshot import AsOf
    from analytics.store.database import open_store

    store = open_store(args.db)
    with _audited(store, "export_list", f"bulletin:{args.start}:{args.end}", out=args.out, html=args.html):
        report = bulletin_store(store, AsOf.parse(args.start), AsOf.parse(args.end), args.out, html_path=args.html, lang=args.lang)
    print(report.render(args.lang))
    return 0


def cmd_places(args: argparse.Namespace) -> int:
    return _export_list(args, "places")


def cmd_people(args: argparse.Namespace) -> int:
    return _export_list(args, "people")


def cmd_alerts(args: argparse.Namespace) -> int:
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


def cmd_plan(args: argparse.Namespace) -> int:
    from analytics.operations.plans_store import PlanRules, plan_store
    from analytics.store.database import open_store

    from analytics.accounts.audit import cli_actor

    store = open_store(args.db)
    with _audited(store, "plan", None, start=args.start, days=args.days, seed=args.seed, replace=args.replace) as done:
        report = plan_store(store, start=_as_of(args.start), days=args.days, teams_file=args.teams, seed=args.seed,
                            out=args.out, lang=args.lang, created_by=cli_actor().username, replace=args.replace,
                            rules=PlanRules(random_share=args.random_share, follow_up_share=args.follow_up_share,
                                            cycle_days={"red": args.red_cycle, "orange": args.orange_cycle}))
        done.update(plan_id=report.plan.plan_id, seed=report.plan.seed, visits=len(report.plan.visits),
                    xlsx=str(report.xlsx), html=str(report.html), version=report.plan.version)
    print(report.render(args.lang))
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from analytics.models.report import backtest_store
    from analytics.models.sample import training_sample
    from analytics.store.database import open_store

    options = dict(as_of=_as_of(args.as_of), origins=args.origins, capacity=args.capacity,
                   report=args.report, json_path=args.json, truth=args.truth, capacity_of=args.capacity_of,
                   window_days=args.window_days, ablate=args.ablate, models_dir=args.models,
                   sample=training_sample(args.sample, args.evaluate))
    result = _on_engine(args, backtest_store, "backtest_store", open_store(args.db), **options)
    print(result.render(args.lang))
    return 0


def _on_engine(args: argparse.Namespace, local, on_cluster: str, store, **options):
    """``local(store, **options)``, or with ``--engine dask`` the function ``on_cluster`` of
    ``analytics.engine.dask_engine`` on the cluster the options name."""
    if args.engine != "dask":
        return local(store, **options)
    from analytics.engine import dask_engine  # imported only when asked: a plain run never loads dask

    with dask_engine.DaskEngine(args.scheduler, args.workers) as engine:
        return getattr(dask_engine, on_cluster)(store, engine, parquet=args.parquet, partitions=args.partitions, **options)


def cmd_train(args: argparse.Namespace) -> int:
    from analytics.models.sample import training_sample
    from analytics.models.select import train_models
    from analytics.store.database import open_store

    sample = training_sample(args.sample, args.evaluate)
    store = open_store(args.db)
    with _audited(store, "train", None, as_of=args.as_of, models_dir=args.models) as done:
        report = _on_engine(args, train_models, "train_store", store, as_of=_as_of(args.as_of), models_dir=args.models,
                            truth=args.truth, capacity=args.capacity, origins=args.origins, ablations=args.ablations,
                            capacity_of=args.capacity_of, window_days=args.window_days,
                            sample=sample)
        done.update(version=report.version, winner=report.winner, serving=report.serving, rows=report.n_rows)
    print(report.render(args.lang))
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from analytics.contract.errors import UserError
    from analytics.risk.risklist import score_store
    from analytics.store.database import open_store

    store = open_store(args.db)
    with _audited(store, "score", None, as_of=args.as_of, out=args.out) as done:
        if args.list_dir and args.engine != "dask":
            raise UserError("--list-dir 只用于 --engine dask。", "--list-dir goes with --engine dask.")
        written = {"list_dir": args.list_dir} if args.engine == "dask" else {}  # where the workers write the list
        report = _on_engine(args, score_store, "score_store", store, as_of=_as_of(args.as_of), out=args.out,
                            models_dir=args.models, levels=args.levels, lang=args.lang, **written)
        done.update(list_id=report.list_id, model_version=report.model_version, rows=report.n)
    print(report.render(args.lang))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
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


def cmd_simulate(args: argparse.Namespace) -> int:
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


def cmd_users(args: argparse.Namespace) -> int:
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


def cmd_db(args: argparse.Namespace) -> int:
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


def cmd_demo(args: argparse.Namespace) -> int:
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

    serve(setup.db, host=args.host, port=args.port, prod=True, lang=args.lang)  # prints its address
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from dashboard.serve import serve  # the CLI is the one edge that starts the dashboard

    serve(args.db, host=args.host, port=args.port, prod=args.prod, lang=args.lang)
    return 0
