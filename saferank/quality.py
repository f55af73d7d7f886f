"""``saferank quality``, and ``saferank import`` followed by the data-quality report (issue 17 item 5):
each report is ``analytics.views.quality.quality_report`` inside one audit row (``export_list``,
object ``quality``, the report's counts in its details).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from saferank import commands
from saferank.commands import _audited


def cmd_import(args: argparse.Namespace) -> int:
    """``saferank import``: the import (``commands.cmd_import``), then, when it loaded, the report."""
    from analytics.store.database import get_meta, open_store

    status = commands.cmd_import(args)
    store = open_store(args.db)
    report_after_import(store, args, get_meta(store).get("last_export_date"))
    return status


def default_report_path(url: str, export_date: str | None) -> Path:
    """``quality/quality-<export date>.xlsx`` beside a SQLite store's file (``data/`` for the default
    store), else under ``data/`` in the working directory."""
    import sqlalchemy as sa

    from analytics.store.database import resolve_url

    parsed = sa.engine.make_url(resolve_url(url))
    beside = parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:"
    folder = Path(parsed.database).expanduser().parent if beside else Path("data")
    return folder / "quality" / f"quality-{export_date or 'latest'}.xlsx"


def report_after_import(store, args: argparse.Namespace, export_date: str | None) -> None:
    """After an import: the summary printed, the workbook written (``--quality``, else
    ``default_report_path``) and its counts audited."""
    from analytics.views.quality import quality_report

    out = getattr(args, "quality", None) or default_report_path(args.db, export_date)
    with _audited(store, "export_list", "quality", out=str(out), after="import") as done:
        quality = quality_report(store, export_date)
        quality.write(out, args.lang)
        done.update(quality.counts())
    print(quality.render(args.lang))


def cmd_quality(args: argparse.Namespace) -> int:
    from analytics.store.database import open_store
    from analytics.views.quality import quality_report

    store = open_store(args.db)
    with _audited(store, "export_list", "quality", out=args.out, export_date=args.export_date) as done:
        quality = quality_report(store, args.export_date)
        quality.write(args.out, args.lang)
        done.update(quality.counts())
    print(quality.render(args.lang))
    return 0
