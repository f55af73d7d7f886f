"""The import's progress hook (issue 17, item 1: progress for large files): ``import_files`` reports
after each table checked and after each chunk of rows written, the counts of each table rising to its
total; a second import of the same rows (all unchanged) still ends each table at its total."""

from __future__ import annotations

import pandas as pd
from test_ingest import EXPORT, base_rows, empty_store_file, sqlite_store, write_set  # noqa: F401 (fixtures)

from analytics.contract.schema import LOAD_ORDER
from analytics.store import writing
from analytics.store.ingest import import_files
from analytics.store.progress import Step


def _many_hazards(count: int) -> dict[str, list[dict[str, str]]]:
    rows = base_rows()
    first = rows["hazards"][0]
    rows["hazards"] = [{**first, "hazard_id": f"H{i}"} for i in range(count)]
    return rows


def _check(steps: list[Step], stage: str, rows: dict[str, list]) -> dict[str, list[int]]:
    mine = [s for s in steps if s.stage == stage]
    order = [n for n in LOAD_ORDER if n in rows]
    assert [s.table for s in mine if s.done == s.total] == order  # every table, in load order, ends at its total
    assert {s.tables for s in mine} == {len(order)}
    assert [s.number for s in mine] == sorted(s.number for s in mine) and mine[-1].number == len(order)
    counts: dict[str, list[int]] = {}
    for step in mine:
        assert step.number == order.index(step.table) + 1 and step.total == len(rows[step.table])
        counts.setdefault(step.table, []).append(step.done)
    for table, done in counts.items():
        assert all(a < b for a, b in zip(done, done[1:], strict=False)), (stage, table, done)
        assert done[-1] == len(rows[table])
    return counts


def test_the_hook_hears_every_table_and_each_chunk_rising_to_the_total(sqlite_store, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(writing, "CHUNK_ROWS", 10)
    rows = _many_hazards(25)
    steps: list[Step] = []
    import_files(sqlite_store, write_set(tmp_path / "files", rows), export_date=EXPORT, progress=steps.append)
    assert [s.stage for s in steps] == sorted((s.stage for s in steps), key=["check", "write"].index)
    assert _check(steps, "check", rows)["hazards"] == [25]
    assert _check(steps, "write", rows)["hazards"] == [0, 10, 20, 25]

    again: list[Step] = []  # nothing changes: each table goes from 0 straight to its total
    import_files(sqlite_store, write_set(tmp_path / "files", rows), export_date=EXPORT, progress=again.append)
    assert _check(again, "write", rows)["hazards"] == [0, 25]


def test_a_dry_run_reports_the_check_only_and_no_hook_changes_nothing(sqlite_store, tmp_path) -> None:
    rows = base_rows()
    steps: list[Step] = []
    folder = write_set(tmp_path / "files", rows)
    report = import_files(sqlite_store, folder, export_date=EXPORT, dry_run=True, progress=steps.append)
    assert {s.stage for s in steps} == {"check"}
    _check(steps, "check", rows)
    plain = import_files(sqlite_store, folder, export_date=EXPORT, dry_run=True)
    pd.testing.assert_frame_equal(report.summary, plain.summary)
