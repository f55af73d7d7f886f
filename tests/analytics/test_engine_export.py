"""The store's export to partitioned Parquet in pieces (issue 20 item 2): the same files' contents as
the whole-table export, on SQLite and on PostgreSQL, with the client holding one piece at a time."""

from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("pyarrow")

import pyarrow.parquet as pq  # noqa: E402
from test_store_backends import store, store_url  # noqa: E402, F401  (fixtures)

from analytics.engine.partition import export_store, export_tables, read_manifest, read_partition  # noqa: E402
from analytics.simulate import simulate_county  # noqa: E402
from analytics.snapshot.snapshot import held_tables  # noqa: E402
from analytics.store.database import read_table_chunks, read_tables  # noqa: E402
from analytics.store.writing import write_tables  # noqa: E402

PARTITIONS = 3
PIECE = 97  # rows per piece: every table of the county comes in many pieces


@pytest.fixture(scope="module")
def county():
    return simulate_county(500, seed=3)


def test_a_table_read_in_pieces_is_the_whole_table(store, county):
    write_tables(store, county.tables)
    whole = read_tables(store, names=["inspections"])["inspections"]
    pieces = list(read_table_chunks(store, "inspections", rows=PIECE))
    assert len(pieces) == -(-len(whole) // PIECE) > 2
    assert max(len(p) for p in pieces) == PIECE
    pd.testing.assert_frame_equal(pd.concat(pieces, ignore_index=True), whole)


def test_the_export_in_pieces_equals_the_whole_table_export(store, county, tmp_path):
    write_tables(store, county.tables)
    chunked = export_store(store, tmp_path / "chunked", PARTITIONS, chunk_rows=PIECE)
    whole = export_tables(read_tables(store), tmp_path / "whole", PARTITIONS, held=held_tables(store))
    assert read_manifest(chunked) == read_manifest(whole)
    for k in range(PARTITIONS):
        got, expected = read_partition(chunked, k), read_partition(whole, k)
        assert got.keys() == expected.keys()
        for name in expected:
            pd.testing.assert_frame_equal(got[name], expected[name], obj=f"{name}, partition {k}")
    # the pieces were appended: a partition's file holds several row groups, one per piece that reached it
    assert pq.ParquetFile(chunked / "inspections" / "part-00000.parquet").num_row_groups > 1
