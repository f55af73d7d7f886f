"""A province's list in parts (issue 20): merged back in rank order with bounded memory, written to the
contract CSV and to the store piece by piece, the same bytes and rows as the whole list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("pyarrow")

from analytics.contract.errors import UserError  # noqa: E402
from analytics.contract.exports import write_csv, write_csv_pieces  # noqa: E402
from analytics.engine.partition import list_in_rank_order, list_levels, list_size  # noqa: E402


def _write_parts(folder, sizes: list[int], seed: int) -> pd.DataFrame:
    """Ranks 1..n dealt at random to parts of ``sizes``, each part in rank order (as write_list leaves them)."""
    n = sum(sizes)
    ranks = np.random.default_rng(seed).permutation(np.arange(1, n + 1))
    whole = pd.DataFrame({"rank": ranks, "enterprise_id": [f"E{r:06d}" for r in ranks],
                          "risk_level": pd.Categorical(np.where(ranks <= n // 10, "red", "blue"))})
    folder.mkdir(parents=True, exist_ok=True)
    start = 0
    for k, size in enumerate(sizes):  # a few parts
        whole.iloc[start:start + size].sort_values("rank").to_parquet(folder / f"part-{k:05d}.parquet", index=False)
        start += size
    return whole.sort_values("rank", ignore_index=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(1, 3_000), min_size=1, max_size=7), rows=st.integers(1, 5_000),
       seed=st.integers(0, 2**16))
def test_parts_merged_in_rank_order_are_the_whole_list_piece_by_piece(tmp_path_factory, sizes, rows, seed):
    folder = tmp_path_factory.mktemp("list")
    whole = _write_parts(folder, sizes, seed)
    pieces = list(list_in_rank_order(folder, rows=rows))
    merged = pd.concat(pieces, ignore_index=True)
    assert merged["rank"].tolist() == list(range(1, len(whole) + 1))
    assert merged["enterprise_id"].tolist() == whole["enterprise_id"].tolist()
    batch = max(1_000, rows // len(sizes))
    assert max(len(p) for p in pieces) <= batch * len(sizes)  # never more than a batch of each part at a time
    assert list_size(folder) == len(whole)
    assert list_levels(folder) == {"red": len(whole) // 10, "orange": 0, "yellow": 0, "blue": len(whole) - len(whole) // 10}


def test_a_folder_without_parts_is_named(tmp_path):
    with pytest.raises(UserError, match="holds no risk-list parts"):
        next(list_in_rank_order(tmp_path))


@pytest.mark.parametrize(("cell", "reads"), [("plain", 1), ("a\rbreak", 2), ("=1+1", 1)])
def test_a_csv_written_in_pieces_is_the_same_bytes_as_written_whole(tmp_path, cell, reads):
    # the cell in the last piece: a break there quotes every field of the first pieces too, so the
    # pieces are read a second time; otherwise once
    frame = pd.DataFrame({"rank": range(1, 8), "name": ["甲", "乙", "丙", "丁", "戊", "己", cell], "score": np.linspace(0, 1, 7)})
    write_csv(frame, tmp_path / "whole.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
    calls = []

    def pieces():
        calls.append(1)
        return (frame.iloc[i:i + 3] for i in range(0, len(frame), 3))

    write_csv_pieces(pieces, tmp_path / "pieces.csv", index=False, lineterminator="\n")
    assert (tmp_path / "pieces.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert len(calls) == reads
    assert (tmp_path / "pieces.csv").read_bytes().startswith("\ufeff".encode())
