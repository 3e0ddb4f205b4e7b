"""Atomic writes: a failure mid-write leaves the previous file, and no temp file behind."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from intentseg.foundation.io import atomic_path, read_json, read_parquet, round_floats, write_json, write_parquet


def test_failed_write_keeps_previous_content(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("previous")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_failed_first_write_leaves_nothing(tmp_path):
    target = tmp_path / "sub" / "out.parquet"
    with pytest.raises(RuntimeError), atomic_path(target):
        raise RuntimeError("boom")
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_parquet_round_trip_keeps_categories(tmp_path):
    frame = pd.DataFrame({"id": [1, 2], "c": pd.Categorical(["a", None], categories=["a", "b"]), "x": [0.5, None]})
    write_parquet(frame, tmp_path / "t.parquet")
    back = read_parquet(tmp_path / "t.parquet")
    assert list(back["c"].cat.categories) == ["a", "b"]
    pd.testing.assert_frame_equal(back, frame)


def test_json_is_rounded_and_nan_free(tmp_path):
    write_json({"b": 0.123456789, "a": {"nan": math.nan, "list": [1.0000001, 2]}}, tmp_path / "m.json")
    assert read_json(tmp_path / "m.json") == {"b": 0.1235, "a": {"nan": None, "list": [1.0, 2]}}
    assert list(read_json(tmp_path / "m.json")) == ["b", "a"]


def test_round_floats_handles_numpy_scalars():
    import numpy as np

    assert round_floats({"x": np.float64(0.123456), "n": np.int64(3)}) == {"x": 0.1235, "n": 3}


def test_a_folder_output_replaces_a_file_and_back(tmp_path):
    """Another scoring engine turns scores.parquet from one file into a folder of parts (and back)."""
    import pandas as pd

    from intentseg.foundation.io import OutputGroup, iter_parquet_frames, temporary_beside, write_parquet

    target = tmp_path / "scores.parquet"
    write_parquet(pd.DataFrame({"x": [1, 2]}), target)
    folder = temporary_beside(target)
    folder.unlink()
    folder.mkdir()
    write_parquet(pd.DataFrame({"x": [3]}), folder / "part-00000.parquet")
    write_parquet(pd.DataFrame({"x": [4, 5]}), folder / "part-00001.parquet")
    with OutputGroup() as group:
        group.add(folder, target)
    assert target.is_dir() and [f["x"].tolist() for f in iter_parquet_frames(target, 10)] == [[3], [4, 5]]
    write_parquet(pd.DataFrame({"x": [6]}), target)
    assert target.is_file() and pd.read_parquet(target)["x"].tolist() == [6]
    assert [p.name for p in tmp_path.iterdir()] == ["scores.parquet"]
