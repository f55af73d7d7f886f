"""Properties: any valid file set, written in any accepted encoding, header language, date format and
code/boolean spelling, imports to exactly the values it holds; a period is refused exactly when it
overlaps an earlier one of the firm; a repeated id is refused on each later row, naming the first."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.contract.frames import typed
from analytics.store.ingest import ROW, SOURCE, check_table, import_files
from analytics.contract.schema import DATE_FORMATS, FALSE_WORDS, TABLES, TRUE_WORDS
from analytics.store.database import open_store, read_tables

ROOT = Path(__file__).resolve().parents[2]
EXPORT = pd.Timestamp("2026-11-15")


def _gb_safe_chinese() -> str:
    """Chinese characters whose GB18030 bytes both lie in 0xA1-0xBF: each starts with a byte UTF-8
    never starts a character with, so a GB18030 file holding one can never pass for UTF-8 (a short
    file of other characters could, which is the one limit of detecting an encoding)."""
    chars = []
    for lead in range(0xB0, 0xC0):
        for trail in range(0xA1, 0xC0):
            try:
                chars.append(bytes([lead, trail]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(chars)


TEXT = st.text(alphabet=_gb_safe_chinese()[:60] + "abcXYZ019 ,\"'-_/", min_size=1, max_size=8).map(str.strip).filter(bool)
DAYS = st.dates(min_value=pd.Timestamp("2018-01-01").date(), max_value=EXPORT.date())


@st.composite
def file_sets(draw):
    towns = draw(st.lists(TEXT, min_size=1, max_size=4, unique=True))
    ids = draw(st.lists(TEXT, min_size=1, max_size=6, unique=True))
    spec = TABLES["enterprises"]
    enterprises = [{
        "enterprise_id": e, "name": draw(TEXT), "town_id": draw(st.sampled_from(towns)),
        "sector": draw(st.sampled_from(spec.column("sector").code_values())),
        "size": draw(st.none() | st.sampled_from(spec.column("size").code_values())),
        "employees": draw(st.none() | st.integers(0, 10_000)),
        "latitude": draw(st.none() | st.floats(3, 54).map(lambda x: round(x, 6))),
        "hazardous_chemicals": draw(st.none() | st.booleans()),
        "established": draw(st.none() | DAYS),
        "standardization": draw(st.none() | st.sampled_from(spec.column("standardization").code_values())),
    } for e in ids]
    for firm in enterprises:
        firm["longitude"] = None if firm["latitude"] is None else draw(st.floats(73, 136).map(lambda x: round(x, 6)))
    inspections = []
    for i in range(draw(st.integers(1, 4))):  # required tables hold rows
        day = draw(DAYS)
        inspections.append({"inspection_id": f"JC{i}", "enterprise_id": draw(st.sampled_from(ids)), "date": day,
                            "team": draw(st.none() | TEXT), "mode": draw(st.none() | st.sampled_from(["random", "targeted"])),
                            "recorded_date": draw(st.none() | st.dates(min_value=day, max_value=EXPORT.date()))})
    hazards = []
    for i in range(draw(st.integers(1, 6))):
        found = draw(DAYS)
        hazards.append({
            "hazard_id": f"YH{i}", "enterprise_id": draw(st.sampled_from(ids)),
            "inspection_id": draw(st.none() | st.sampled_from([r["inspection_id"] for r in inspections] or [None])),
            "found_date": found, "level": draw(st.sampled_from(["general", "major"])),
            "rectified_date": draw(st.none() | st.dates(min_value=found, max_value=EXPORT.date())),
            "recorded_date": draw(st.none() | st.dates(min_value=found, max_value=EXPORT.date())),
        })
    power = []
    for firm in draw(st.lists(st.sampled_from(ids), max_size=3, unique=True)):
        day = pd.Timestamp(draw(DAYS))
        for gap, length in draw(st.lists(st.tuples(st.integers(1, 20), st.integers(0, 40)), min_size=1, max_size=4)):
            start, day = day + pd.Timedelta(days=gap), day + pd.Timedelta(days=gap + length)  # periods never overlap
            if day > EXPORT:
                break
            power.append({"enterprise_id": firm, "period_start": start.date(), "period_end": day.date(),
                          "kwh": draw(st.floats(0, 1e7).map(lambda x: round(x, 3)))})
    rows = {
        "towns": [{"town_id": t, "name": draw(TEXT), "coastal": draw(st.none() | st.booleans())} for t in towns],
        "enterprises": enterprises, "inspections": inspections, "hazards": hazards,
        **({"power_usage": power} if power else {}),
    }
    styles = {name: {"encoding": draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"])),
                     "chinese": draw(st.booleans()), "date": draw(st.sampled_from(DATE_FORMATS)),
                     "labels": draw(st.booleans()), "true": draw(st.sampled_from(sorted(TRUE_WORDS))),
                     "false": draw(st.sampled_from(sorted(FALSE_WORDS)))} for name in rows}
    return rows, styles


def _write(folder: Path, rows: dict, styles: dict) -> None:
    for name, records in rows.items():
        spec, style = TABLES[name], styles[name]
        frame = pd.DataFrame(records, columns=[c.name for c in spec.columns if not records or c.name in records[0]])
        for column in spec.columns:
            if column.name not in frame:
                continue
            values = frame[column.name].astype(object)
            if column.type == "date":
                values = values.map(lambda d, f=style["date"]: "" if pd.isna(d) else d.strftime(f))
            elif column.type == "bool":
                values = values.map(lambda b, s=style: "" if pd.isna(b) else (s["true"] if b else s["false"]))
            elif column.type == "code" and style["labels"]:
                labels = {c.code: c.zh for c in column.codes}
                values = values.map(lambda c, m=labels: "" if pd.isna(c) else m[c])
            frame[column.name] = values.map(lambda v: "" if pd.isna(v) else str(v))
        if style["chinese"]:
            frame = frame.rename(columns={c.name: c.zh for c in spec.columns})
        frame.to_csv(folder / f"{name}.csv", index=False, encoding=style["encoding"])


def _expected(rows: dict) -> dict[str, pd.DataFrame]:
    out = {}
    for name, records in rows.items():
        spec = TABLES[name]
        frame = typed(name, pd.DataFrame(records, columns=spec.column_names) if not records else records)
        for column in spec.columns:
            if column.default is not None:
                frame[column.name] = frame[column.name].fillna(column.default)
        key = [spec.key] if spec.key else list(spec.record_key)
        out[name] = frame.sort_values(key).reset_index(drop=True)
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file_sets())
def test_valid_files_in_any_accepted_spelling_import_to_the_same_values(file_set):
    rows, styles = file_set
    with tempfile.TemporaryDirectory(dir=ROOT / ".tmp" if (ROOT / ".tmp").is_dir() else None) as folder:
        folder = Path(folder)
        _write(folder, rows, styles)
        store = open_store(f"sqlite:///{folder / 'store.db'}")
        try:
            import_files(store, folder, export_date=EXPORT)
            back = read_tables(store)
        finally:
            store.dispose()
    for name, frame in _expected(rows).items():
        pd.testing.assert_frame_equal(back[name], frame, check_exact=False, rtol=1e-12)


def _cells(name: str, records: list[dict]) -> pd.DataFrame:
    """Records as the importer reads them: every contract column as text, file and Excel row beside."""
    frame = pd.DataFrame({c: [str(r.get(c, "")) for r in records] for c in TABLES[name].column_names}, dtype=object)
    frame[SOURCE] = f"{name}.csv"
    frame[ROW] = range(2, len(records) + 2)
    return frame


PERIODS = st.lists(st.tuples(st.sampled_from(["E1", "E2"]), st.integers(0, 60), st.integers(0, 20)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(PERIODS)
def test_a_period_is_refused_exactly_when_it_overlaps_one_that_starts_earlier(periods):
    day = pd.Timestamp("2026-01-01")
    records = [{"enterprise_id": e, "period_start": (day + pd.Timedelta(days=s)).date(),
                "period_end": (day + pd.Timedelta(days=s + n)).date(), "kwh": 1} for e, s, n in periods]
    _, issues = check_table(TABLES["power_usage"], _cells("power_usage", records), EXPORT)
    flagged = set(pd.concat(issues)["row"]) if any(len(i) for i in issues) else set()
    expected = set()
    for i, (e, s, n) in enumerate(periods):  # brute force: any other period of the firm that starts earlier
        earlier = [(t, m) for j, (f, t, m) in enumerate(periods) if f == e and j != i and (t < s or (t == s and j < i))]
        if any(s <= t + m for t, m in earlier):
            expected.add(i + 2)
    assert flagged == expected, periods


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["H1", "H2", "H3"]), max_size=10))
def test_a_repeated_id_is_refused_on_every_row_after_its_first_and_names_the_first(ids):
    records = [{"hazard_id": h, "enterprise_id": "E1", "found_date": "2024-01-01", "level": "general"} for h in ids]
    _, issues = check_table(TABLES["hazards"], _cells("hazards", records), EXPORT)
    repeated = pd.concat(issues) if any(len(i) for i in issues) else pd.DataFrame(columns=["row", "reason_en"])
    first = {h: ids.index(h) + 2 for h in ids}
    assert sorted(repeated["row"]) == [i + 2 for i, h in enumerate(ids) if ids.index(h) < i]
    for row, reason in zip(repeated["row"], repeated["reason_en"], strict=True):
        assert f"hazards.csv row {first[ids[row - 2]]};" in reason
