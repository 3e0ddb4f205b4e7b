"""score.engine: dask on a 2-worker LocalCluster gives the local engine's results, row for row.

The population has injected bad rows and a duplicated id across partitions, and small row groups
so that it splits into several partitions; both engines score the same file from the same models.
"""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from intentseg.scoring.distributed import plan_partitions
from tests.e2e.test_warehouse_pipeline import SCORE_OUTPUTS
from tests.sandbox import Sandbox

ROW_GROUP = 700


@pytest.fixture(scope="module")
def both_engines(reproduced, tmp_path_factory):
    root = tmp_path_factory.mktemp("engines")
    population = pd.read_parquet(reproduced.path("prepared", "population"))
    population.loc[10, "cart_add_rate"] = 3.0  # out of range
    population.loc[4999, "customer_id"] = population.loc[11, "customer_id"]  # duplicate id in another partition
    pq.write_table(
        pa.Table.from_pandas(population, preserve_index=False), root / "population.parquet", row_group_size=ROW_GROUP
    )
    runs = {}
    for engine in ("local", "dask"):
        overrides = {**SCORE_OUTPUTS, "prepared.population": "../population.parquet"}
        workdir = reproduced.stage_workdir(root / engine, overrides)
        Sandbox.existing(workdir).set_params(
            {
                "score.engine": engine,
                "score.dask.partition_rows": 1500,
                "score.sink.type": "sql",
                "score.sink.url": f"duckdb:///{root / engine}/warehouse.duckdb",
                "score.sink.table": "scores",
                "score.sink.rows": "scores",
            }
        )
        result = reproduced.run_stage("score", workdir)
        assert result.returncode == 0, result.stderr
        runs[engine] = workdir
    return root, runs


def test_partitions_are_whole_row_groups(both_engines):
    root, _ = both_engines
    partitions = plan_partitions(str(root / "population.parquet"), 1500)
    assert [p.rows for p in partitions] == [2100, 2100, 1800]
    assert sum(len(p.row_groups) for p in partitions) == pq.ParquetFile(root / "population.parquet").num_row_groups


def test_dask_matches_the_local_engine(both_engines):
    _, runs = both_engines
    local, dask = runs["local"], runs["dask"]
    assert (dask / "out/scores.parquet").is_dir() and (dask / "out/rejects.parquet").is_dir()
    assert sorted(p.name for p in (dask / "out/scores.parquet").iterdir()) == [
        f"part-0000{i}.parquet" for i in range(3)
    ]
    pd.testing.assert_frame_equal(
        pd.read_parquet(local / "out/scores.parquet"), pd.read_parquet(dask / "out/scores.parquet")
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(local / "out/rejects.parquet"), pd.read_parquet(dask / "out/rejects.parquet")
    )
    assert (local / "out/audience.csv").read_bytes() == (dask / "out/audience.csv").read_bytes()
    summaries = [json.loads((run / "out/score.json").read_text()) for run in (local, dask)]
    for summary in summaries:
        assert summary["rows_in"] == 6000 == summary["rows_scored"] + summary["rows_rejected"]
        assert summary["rows_rejected"] == 3  # the out-of-range row and both rows of the duplicated id
    local_summary, dask_summary = summaries
    assert local_summary.pop("expected_conversions") == pytest.approx(
        dask_summary.pop("expected_conversions"), rel=1e-9
    )
    assert local_summary == dask_summary  # counts, rules and drift (PSI written to 4 decimals) exactly
    for name in ("plots.score.segment_by_decile", "plots.score.drift", "plots.score.audience"):
        assert (local / SCORE_OUTPUTS[name]).read_text() == (dask / SCORE_OUTPUTS[name]).read_text()


def test_every_score_reaches_the_database_sink_from_the_parts(both_engines):
    import duckdb

    _, runs = both_engines
    connection = duckdb.connect(str(runs["dask"] / "warehouse.duckdb"), read_only=True)
    counts = connection.sql("SELECT COUNT(*), COUNT(DISTINCT customer_id), MIN(run_date) FROM scores").fetchall()[0]
    assert counts[0] == counts[1] == 5997 and counts[2] == "2026-11-01"


def test_an_unreachable_scheduler_is_one_clear_error(reproduced, tmp_path):
    workdir = reproduced.stage_workdir(tmp_path, SCORE_OUTPUTS)
    Sandbox.existing(workdir).set_params({"score.engine": "dask", "score.dask.scheduler": "tcp://127.0.0.1:9"})
    result = reproduced.run_stage("score", workdir)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "score.dask.scheduler: cannot reach tcp://127.0.0.1:9" in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
