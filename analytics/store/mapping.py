"""Column and code mappings of an import: proposed from the files, confirmed by the clerk, saved per
source system in the store and applied when the files are read.

Why in the store (table ``import_mappings``) and not as loose JSON files: the browser and the
command line share it, a second clerk on another machine gets the same mapping, and it is backed up
with the rest of the office's data. ``saferank mapping propose`` still writes the JSON a clerk can
read and edit, and ``saferank import --mapping FILE`` takes such a file (``SourceMapping.read``).

Applying a mapping renames only: headers are matched through it (``checks.map_headers``), code
labels are replaced in the cells the checks read (``apply_codes``), while the cells the rejects
are written from stay as read; a problem names the file, row, header and value as the source wrote
them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from analytics.contract.errors import UserError
from analytics.contract.mapping import (
    TOWN_REFERENCES,
    Proposal,
    SourceMapping,
    propose_codes,
    propose_headers,
    propose_table,
    propose_towns,
)
from analytics.contract.schema import TABLES
from analytics.store import database as store_module
from analytics.store.app_tables import import_mappings
from analytics.store.reading import Source, read_sources

ROW_FIELDS = ("kind", "table", "column", "source", "target", "how")
CONFIRM = ("synonym", "close", "none", "saved")  # what the clerk is shown to confirm; exact names and aliases need nothing


@dataclass
class Proposed:
    """A proposal for a set of files: the mapping and its rows, one per sheet, header and label."""

    mapping: SourceMapping
    rows: pd.DataFrame  # ROW_FIELDS

    def to_confirm(self) -> pd.DataFrame:
        """The rows a person should look at, and that make the mapping back (``from_rows``): every
        sheet's table, every header not spelled as the contract spells it, every label to replace."""
        shown = self.rows["kind"].isin(["table", "code"]) | self.rows["how"].isin(CONFIRM)
        return self.rows.loc[shown].reset_index(drop=True)


def _by_headers(source: Source) -> Proposal:
    """The table whose columns most of a sheet's headers name (for a sheet called ``Sheet1``)."""
    best = Proposal(source.stem, "", "none", 0.0)
    for table in TABLES:
        hits = sum(p.how in ("exact", "alias", "synonym") for p in propose_headers(table, source.cells.columns))
        score = hits / max(len(TABLES[table].columns), 1)
        if hits >= 2 and score > best.score:
            best = Proposal(source.stem, table, "close", round(score, 2))
    return best


def _towns(sources: list[Source], tables: Mapping[str, str], rows: list[dict[str, object]],
           stored: pd.DataFrame | None) -> dict[str, str]:
    """town_id -> name, from the upload's towns sheet (headers as proposed) and the store's towns."""
    towns = {} if stored is None else dict(zip(stored["town_id"].astype(str), stored["name"].astype(str), strict=True))
    for source in sources:
        if tables.get(source.stem) != "towns" or source.clean is None:
            continue
        header = {r["target"]: r["source"] for r in rows if r["kind"] == "column" and r["table"] == "towns" and r["target"]}
        if "town_id" in header and "name" in header:
            towns.update(zip(source.clean[header["town_id"]], source.clean[header["name"]], strict=True))
    return towns


def propose(path: str | Path, saved: SourceMapping | None = None, stored_towns: pd.DataFrame | None = None) -> Proposed:
    """A mapping for the files at ``path`` (folder, workbook or CSV); a ``saved`` one (the source
    system's last confirmed mapping) is taken over where it applies. Town names written where a
    town_id belongs are mapped to the town_id of the upload's towns sheet or of ``stored_towns``."""
    saved = saved or SourceMapping()
    sources, _ = read_sources(path, tables=saved.tables, every=True)
    rows: list[dict[str, object]] = []
    mapping = SourceMapping(system=saved.system)
    for source in sources:
        if source.blank:
            continue
        if source.stem in saved.tables:
            guess = Proposal(source.stem, saved.tables[source.stem], "saved")
        elif source.table:
            guess = propose_table(source.stem)
        else:
            guess = propose_table(source.stem)
            guess = guess if guess.target else _by_headers(source)
        rows.append({"kind": "table", "table": guess.target, "column": "", "source": source.stem, "target": guess.target,
                     "how": guess.how})
        if guess.how not in ("exact", "alias"):
            mapping.tables[source.stem] = guess.target
        if not guess.target:
            continue
        table = guess.target
        known = saved.headers(table)
        headers = list(source.cells.columns)
        for proposal in propose_headers(table, [h for h in headers if h not in known]) + \
                [Proposal(h, known[h], "saved") for h in headers if h in known]:
            rows.append({"kind": "column", "table": table, "column": "", "source": proposal.source, "target": proposal.target,
                         "how": proposal.how})
            if proposal.how not in ("exact", "alias"):
                mapping.columns.setdefault(table, {})[proposal.source] = proposal.target
        written = {p["target"]: p["source"] for p in rows if p["kind"] == "column" and p["table"] == table and p["target"]}
        for column in (c for c in TABLES[table].columns if c.codes and c.name in written):
            values = source.clean[written[column.name]].unique()
            saved_codes = saved.code_map(table, column.name)
            for proposal in propose_codes(column, values):
                if proposal.source in saved_codes:
                    proposal = Proposal(proposal.source, saved_codes[proposal.source], "saved")
                rows.append({"kind": "code", "table": table, "column": column.name, "source": proposal.source,
                             "target": proposal.target, "how": proposal.how})
                mapping.codes.setdefault(table, {}).setdefault(column.name, {})[proposal.source] = proposal.target
    chosen = {r["source"]: r["target"] for r in rows if r["kind"] == "table"}
    towns = _towns(sources, chosen, rows, stored_towns)
    for source in (s for s in sources if chosen.get(s.stem) and s.clean is not None):
        table = chosen[source.stem]
        written = {r["target"]: r["source"] for r in rows if r["kind"] == "column" and r["table"] == table and r["target"]}
        for column in (c for c in TOWN_REFERENCES.get(table, ()) if c in written and towns):
            saved_codes = saved.code_map(table, column)
            for proposal in propose_towns(source.clean[written[column]].unique(), towns):
                if proposal.source in saved_codes:
                    proposal = Proposal(proposal.source, saved_codes[proposal.source], "saved")
                rows.append({"kind": "code", "table": table, "column": column, "source": proposal.source,
                             "target": proposal.target, "how": proposal.how})
                mapping.codes.setdefault(table, {}).setdefault(column, {})[proposal.source] = proposal.target
    frame = pd.DataFrame(rows, columns=list(ROW_FIELDS)).drop_duplicates(["kind", "table", "column", "source"])
    mapping.validate()
    return Proposed(mapping, frame.reset_index(drop=True))


def from_rows(records: Iterable[Mapping[str, object]], system: str = "") -> SourceMapping:
    """The mapping a person confirmed in the grid (rows as ``Proposed.rows``, ``target`` edited);
    a ``UserError`` names a row whose target is no table, column or code."""
    mapping = SourceMapping(system=system.strip())
    for record in records:
        kind = str(record.get("kind") or "")
        table, column = str(record.get("table") or ""), str(record.get("column") or "")
        source, target = str(record.get("source") or ""), str(record.get("target") or "").strip()
        if kind == "table":
            mapping.tables[source] = target
        elif kind == "column":
            mapping.columns.setdefault(table, {})[source] = target
        elif kind == "code":
            mapping.codes.setdefault(table, {}).setdefault(column, {})[source] = target
        else:
            raise UserError(f"映射表中有无法识别的行（{kind}）。", f"The mapping has a row of unknown kind ({kind}).")
    mapping.validate()
    return mapping


def apply_codes(sources: list[Source], mapping: SourceMapping) -> None:
    """Replace the mapped code labels in the cells the checks read (``Source.clean``), vectorised per
    column; ``Source.cells``, from which rejects are written, stays as read."""
    for source in sources:
        for column_name, header in source.columns.items():
            codes = mapping.code_map(source.table, column_name)
            if codes and source.clean is not None:
                cells = source.clean[header]
                source.replaced[column_name] = cells  # problems name the value as written (ingest._with_headers)
                source.clean[header] = cells.map(codes).where(cells.isin(list(codes)), cells)


def as_written(issues: pd.DataFrame, sources: list[Source]) -> pd.DataFrame:
    """``issues`` (columns still contract names) with the value as the source wrote it where
    ``apply_codes`` replaced a label (a town's name by its town_id); changed in place and returned."""
    for source in sources:
        for name, cells in source.replaced.items():
            hit = ((issues["file"] == source.name) & (issues["column"] == name) & issues["row"].notna()).to_numpy()
            if hit.any():  # source.rows: the Excel row of each data row, ascending
                positions = np.searchsorted(source.rows, issues.loc[hit, "row"].to_numpy(dtype=np.int64))
                issues.loc[hit, "value"] = cells.to_numpy()[positions]
    return issues


# --- kept per source system ---------------------------------------------------------------------


def save_mapping(store: store_module.Store, mapping: SourceMapping, username: str) -> None:
    """Keep ``mapping`` as its source system's (replacing the one kept before)."""
    if not mapping.system.strip():
        raise UserError("请填写数据来源系统的名称，以便下次沿用此映射。", "Name the source system, so the mapping can be reused.")
    row = {"system": mapping.system.strip()[:128], "mapping": mapping.to_json(), "saved_by": username[:64],
           "saved_at": datetime.now(UTC).replace(tzinfo=None)}
    with store.engine.begin() as connection:
        connection.execute(import_mappings.delete().where(import_mappings.c.system == row["system"]))
        connection.execute(import_mappings.insert().values(**row))


def saved_mapping(store: store_module.Store, system: str) -> SourceMapping | None:
    with store.engine.connect() as connection:
        text = connection.execute(sa.select(import_mappings.c.mapping).where(import_mappings.c.system == system)).scalar()
    return None if text is None else SourceMapping.from_json(text, system)


def stored_towns(store: store_module.Store) -> pd.DataFrame:
    """The store's towns (town_id, name), for mapping town names in an upload to their ids."""
    return store_module.read_tables(store, ["towns"])["towns"][["town_id", "name"]]


def saved_systems(store: store_module.Store) -> list[str]:
    with store.engine.connect() as connection:
        return list(connection.execute(sa.select(import_mappings.c.system).order_by(import_mappings.c.system)).scalars())


def import_mapping(store: store_module.Store, given: str | Path) -> SourceMapping:
    """The mapping ``saferank import --mapping`` names: a JSON file, else a source system whose
    mapping the store keeps."""
    path = Path(given)
    if path.is_file():
        return SourceMapping.read(path)
    found = saved_mapping(store, str(given))
    if found is None:
        systems = "、".join(saved_systems(store)) or "（无）"
        raise UserError(f"找不到列映射文件 {given}，数据库中也没有名为“{given}”的来源系统（已保存：{systems}）。",
                        f"No mapping file at {given}, and the store keeps no source system of that name "
                        f"(kept: {systems.replace('（无）', 'none')}).")
    return found


def render_proposal(proposed: Proposed, out: str | Path, lang: str = "zh") -> str:
    """What ``saferank mapping propose`` prints: the rows to confirm and where the JSON went."""
    zh = lang == "zh"
    rows = proposed.to_confirm()
    how_zh = {"exact": "模板列名", "alias": "中文列名", "synonym": "常见别名", "close": "近似匹配", "saved": "已保存", "none": "未匹配"}
    lines = ["建议的映射（请核对；“未匹配”的列保留在原文件中、不导入）：" if zh else
             "Proposed mapping (please check; what is unmatched is kept aside, not imported):"]
    for row in rows.itertuples():
        where = {"table": "工作表" if zh else "sheet", "column": "列" if zh else "column", "code": "取值" if zh else "value"}[row.kind]
        place = f"{row.table}.{row.column} " if row.kind == "code" else (f"{row.table} " if row.kind == "column" else "")
        how = how_zh[row.how] if zh else row.how
        lines.append(f"  {where} {place}“{row.source}” → {row.target or '—'}（{how}）" if zh else
                     f"  {where} {place}'{row.source}' -> {row.target or '-'} ({how})")
    lines.append(f"已写入 {out}。核对、修改后：saferank import 数据 --mapping {out}" if zh else
                 f"Written to {out}. Check and edit it, then: saferank import DATA --mapping {out}")
    return "\n".join(lines)


def propose_to_file(store: store_module.Store, source: str | Path, out: str | Path, system: str = "",
                    lang: str = "zh") -> str:
    """``saferank mapping propose``: the proposal for ``source`` (from ``system``'s kept mapping, if
    any) written as JSON to ``out``; returns what to print."""
    proposed = propose(source, saved_mapping(store, system) if system else None, stored_towns(store))
    proposed.mapping.system = system or proposed.mapping.system
    proposed.mapping.write(out)
    return render_proposal(proposed, out, lang)
