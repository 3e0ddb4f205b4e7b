"""The README's worked example as a test: the pipeline reads a DuckDB warehouse (with a campaign tool's
history that the uplift model learns from) and writes its audience back, by params only; then the same
with PostgreSQL by changing the URL."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from intentseg.data.example_warehouse import (
    CAMPAIGN_TABLE,
    LABELLED_TABLE,
    POPULATION_TABLE,
    simulated_tables,
    write_example_warehouse,
)
from intentseg.foundation.io import file_sha256
from intentseg.warehouse.connection import open_engine
from tests.postgres import PASSWORD_ENV
from tests.sandbox import Sandbox

DUCKDB_URL = "duckdb:///warehouse/shopsphere.duckdb"


def _warehouse_params(url: str, password_env: str | None) -> dict:
    return {
        "data.source": "sql",
        "data.sql.url": url,
        "data.sql.password_env": password_env,
        "data.sql.labelled_query": f"SELECT * FROM {LABELLED_TABLE}",
        "data.sql.population_query": f"SELECT * FROM {POPULATION_TABLE} ORDER BY customer_id",
        "data.sql.history_query": f"SELECT * FROM {CAMPAIGN_TABLE}",
        "data.sql.chunk_rows": 1500,
        "uplift.history": "sql",
        "score.chunk_rows": 2500,
        "score.sink.type": "sql",
        "score.sink.url": url,
        "score.sink.password_env": password_env,
        "score.sink.table": "campaign_audience",
    }


@pytest.fixture(scope="module")
def tables():
    return simulated_tables(4000, 6000, seed=11, month="2026-11", campaign=True)


@pytest.fixture(scope="module")
def duckdb_run(tmp_path_factory, repo_root, tables) -> Sandbox:
    sandbox = Sandbox(repo_root, tmp_path_factory.mktemp("warehouse"))
    shutil.rmtree(sandbox.root / "reference")  # a new source starts without a reference run
    (sandbox.root / "reference").mkdir()
    (sandbox.root / "reference" / "README.md").write_text("no reference yet\n")
    write_example_warehouse(f"duckdb:///{sandbox.root}/warehouse/shopsphere.duckdb", None, tables)
    sandbox.set_params(_warehouse_params(DUCKDB_URL, None))
    sandbox.dvc("repro")
    return sandbox


def _table(url: str, password_env: str | None, query: str) -> pd.DataFrame:
    engine = open_engine(url, password_env)
    try:
        return pd.read_sql(query, engine)
    finally:
        engine.dispose()


def test_duckdb_in_and_out_by_params(duckdb_run, tables):
    manifest = json.loads(duckdb_run.path("snapshot", "manifest").read_text())
    assert manifest["source"] == "sql" and manifest["url"] == DUCKDB_URL
    labelled = manifest["tables"]["labelled"]
    assert labelled["rows"] == 4000 and manifest["tables"]["population"]["rows"] == 6000
    assert labelled["sha256"] == file_sha256(duckdb_run.path("snapshot", "labelled"))
    snapshot = pd.read_parquet(duckdb_run.path("snapshot", "labelled"))
    assert snapshot["customer_id"].tolist() == tables[LABELLED_TABLE]["customer_id"].tolist()

    export = pd.read_csv(duckdb_run.path("scores", "audience"), dtype={"customer_id": str})
    url = f"duckdb:///{duckdb_run.root}/warehouse/shopsphere.duckdb"
    written = _table(url, None, "SELECT * FROM campaign_audience ORDER BY purchase_probability DESC, customer_id")
    assert list(written.columns) == list(export.columns)
    assert written["customer_id"].tolist() == export["customer_id"].tolist()
    assert set(written["group"]) == {"target", "control"} and written["run_date"].nunique() == 1
    assert "up to date" in duckdb_run.dvc("status").stdout  # a second dvc repro does nothing


def test_the_uplift_model_learns_from_the_warehouses_campaign_history(duckdb_run, tables):
    """uplift.history: sql: the query's snapshot is the history, joined with the labelled customers' features."""
    manifest = json.loads(duckdb_run.path("snapshot", "manifest").read_text())
    campaign = tables[CAMPAIGN_TABLE]
    assert manifest["tables"]["campaign_history"]["rows"] == len(campaign)
    history = pd.read_parquet(duckdb_run.path("campaign", "history"))
    assert sorted(history["customer_id"]) == sorted(campaign["customer_id"])
    assert history["contacted"].tolist() == [
        int(value == "yes") for value in campaign.set_index("customer_id").loc[history["customer_id"], "contacted"]
    ]
    uplift = json.loads(duckdb_run.path("metrics", "uplift").read_text())
    assert uplift["learner"] in ("two_model", "x_learner", "class_transformation"), uplift
    targeting = json.loads(duckdb_run.path("metrics", "targeting").read_text())
    assert targeting["budget"] > 0 and "uplift" in targeting["incremental_buyers"], targeting


SCORE_OUTPUTS = {
    "scores.scores": "out/scores.parquet",
    "scores.audience": "out/audience.csv",
    "scores.audience_parquet": "out/audience.parquet",
    "scores.audience_by_segment": "out/by_segment",
    "scores.rejects": "out/rejects.parquet",
    "metrics.score": "out/score.json",
    "details.score": "out/score_details.json",
    "plots.score.audience": "out/audience_plot.json",
    "plots.score.segment_by_decile": "out/decile_plot.json",
    "plots.score.drift": "out/drift_plot.json",
    "logs.score_timings": "out/timings.json",
}


def test_a_failed_sink_changes_neither_the_files_nor_the_table(duckdb_run, tmp_path):
    """The score stage run directly (dvc repro deletes a stage's outputs before running it)."""
    url = f"duckdb:///{tmp_path}/warehouse.duckdb"
    workdir = duckdb_run.stage_workdir(tmp_path / "run", SCORE_OUTPUTS)
    params = Sandbox.existing(workdir)
    params.set_params({"score.sink.url": url})
    assert duckdb_run.run_stage("score", workdir).returncode == 0
    before = {
        name: (workdir / path).read_bytes()
        for name, path in SCORE_OUTPUTS.items()
        if path.endswith((".csv", ".parquet"))
    }
    table_before = _table(url, None, "SELECT * FROM campaign_audience ORDER BY purchase_probability DESC, customer_id")

    params.set_params({"score.sink.table": "marts.campaign_audience", "score.control_share": 0.2})  # no such schema
    result = duckdb_run.run_stage("score", workdir)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "writing table marts.campaign_audience" in result.stderr and "previous table is intact" in result.stderr
    assert before == {name: (workdir / path).read_bytes() for name, path in SCORE_OUTPUTS.items() if name in before}
    assert [path.name for path in (workdir / "out").iterdir() if path.name.startswith(".")] == []
    pd.testing.assert_frame_equal(
        _table(url, None, "SELECT * FROM campaign_audience ORDER BY purchase_probability DESC, customer_id"),
        table_before,
    )


def test_postgresql_by_changing_the_url(duckdb_run, tables, postgres_server, tmp_path):
    sandbox = duckdb_run.copy_to(tmp_path / "postgres")
    write_example_warehouse(postgres_server.url, PASSWORD_ENV, tables)
    sandbox.set_params(_warehouse_params(postgres_server.url, PASSWORD_ENV))
    result = sandbox.dvc("repro")
    ran = [
        stage
        for stage in ("prepare", "split", "train_classifier", "score")
        if f"Running stage '{stage}'" in result.stdout
    ]
    assert ran == ["prepare", "score"], result.stdout  # the same rows from PostgreSQL: the same prepared tables
    manifest = json.loads(sandbox.path("snapshot", "manifest").read_text())
    assert manifest["url"] == postgres_server.url and "throwaway" not in json.dumps(manifest)
    export = pd.read_csv(sandbox.path("scores", "audience"), dtype={"customer_id": str})
    written = _table(
        postgres_server.url,
        PASSWORD_ENV,
        "SELECT * FROM campaign_audience ORDER BY purchase_probability DESC, customer_id",
    )
    assert written["customer_id"].tolist() == export["customer_id"].tolist()
    assert written["purchase_probability"].round(6).tolist() == export["purchase_probability"].round(6).tolist()
