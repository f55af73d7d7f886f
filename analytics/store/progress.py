"""How far an import has got, reported between vectorised steps (never per row): ``import_files``
calls its ``progress`` hook once a table is checked and, while writing, after every chunk of
``writing.CHUNK_ROWS`` rows, so a page can show "表 3/9：hazards 120,000/400,000 行"."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One report: ``stage`` ("check" or "write") of table ``number`` of ``tables`` (``table``), with
    ``done`` of its ``total`` rows handled."""

    stage: str
    table: str
    number: int
    tables: int
    done: int
    total: int


Hook = Callable[[Step], None]
TableReport = Callable[[str, int, int], None]  # (table, done, total), as the writer reports it


def reporter(hook: Hook | None, stage: str, tables: Sequence[str]) -> TableReport | None:
    """A ``(table, done, total)`` report that passes a ``Step`` of ``stage`` to ``hook`` (None without one)."""
    if hook is None:
        return None
    order = list(tables)

    def report(table: str, done: int, total: int) -> None:
        hook(Step(stage, table, order.index(table) + 1, len(order), int(done), int(total)))

    return report
