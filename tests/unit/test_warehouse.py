"""SQL sources and sinks: settings refused before any work (fast tier), and real databases (e2e tier).

The database tests run against DuckDB (embedded, a file in a temp dir) and a throwaway PostgreSQL
server (tests/postgres.py): ids round-trip as text, types and NULLs survive, a streamed snapshot's
memory does not grow with the rows, and a failed write leaves the previous table.
"""

from __future__ import annotations

import pandas as pd
import pytest

from intentseg.config.check import section_config
from intentseg.config.score import DatabaseExportConfig
from intentseg.foundation.errors import ConfigError
from intentseg.warehouse.connection import check_database_url, open_engine, shown, url_problems
from intentseg.warehouse.snapshot import unified_schema
from tests.conftest import default_params

# ----------------------------------------------------------------------- settings (fast tier)


def _with(section: str, updates: dict) -> dict:
    params = default_params()
    node = params[section]
    for dotted, value in updates.items():
        *parents, leaf = dotted.split(".")
        target = node
        for key in parents:
            target = target[key]
        target[leaf] = value
    return params


def _problems(section: str, updates: dict) -> str:
    """The refusal a stage gives: the section's own check, then the database URL's (SQLAlchemy's reading)."""
    with pytest.raises(ConfigError) as error:
        config = section_config(_with(section, updates), section)
        database = config.sql if section == "data" else config.sink
        check_database_url(section, f"{section}.{'sql' if section == 'data' else 'sink'}", database.url)
    return str(error.value)


def test_a_password_in_the_url_is_refused_and_not_echoed():
    message = _problems(
        "data", {"source": "sql", "sql.url": "postgresql+psycopg://me:s3cret@db/shop", "sql.labelled_query": "select 1"}
    )
    assert "contains a password" in message and "password_env" in message and "s3cret" not in message


@pytest.mark.parametrize(
    "updates,expected",
    [
        ({"source": "sql"}, "data: sql.url: source sql needs a database URL"),
        ({"source": "sql", "sql.url": "duckdb:///w.duckdb"}, "data: sql.labelled_query: source sql needs the query"),
        ({"source": "sql", "sql.url": "not a url", "sql.labelled_query": "select 1"}, "is not a database URL"),
        (
            {"source": "sql", "sql.url": "duckdb:///w.duckdb", "sql.labelled_query": "q", "population": "p.csv"},
            "set sql.population_query instead",
        ),
        ({"sql.chunk_rows": 0}, "data.sql.chunk_rows: 0 is outside"),
        ({"sql.urls": "x"}, "data.sql.urls: unknown setting (did you mean 'url'?)"),
    ],
)
def test_sql_source_settings_are_checked(updates, expected):
    assert expected in _problems("data", updates)


@pytest.mark.parametrize(
    "updates,expected",
    [
        ({"sink.type": "sql"}, "score.sink: url: sink sql needs a database URL"),
        ({"sink.type": "sql", "sink.url": "duckdb:///w.duckdb", "sink.table": "drop table x"}, "must be a table name"),
        (
            {"sink.type": "sql", "sink.url": "duckdb:///w.duckdb", "sink.table": "t", "sink.mode": "upsert"},
            "'upsert' is not one of",
        ),
        (
            {"sink.type": "sql", "sink.url": "duckdb:///w.duckdb", "sink.table": "t", "sink.password_env": "my-var"},
            "environment variable name",
        ),
        ({"sink.type": "kafka"}, "score.sink.type: 'kafka' is not one of"),
        ({"engine": "spark"}, "score.engine: 'spark' is not one of"),
        ({"dask.scheduler": "10.0.0.5:8786"}, "scheduler address such as tcp://"),
        ({"dask.workers": 0}, "score.dask.workers: 0 is outside"),
        ({"dask.memory_limit": "lots"}, "memory_limit: a size such as 4GiB or 500MB, got 'lots'"),
    ],
)
def test_sink_and_engine_settings_are_checked(updates, expected):
    assert expected in _problems("score", updates)


def test_a_missing_password_variable_is_one_clear_error(monkeypatch):
    monkeypatch.delenv("NO_SUCH_PASSWORD_VAR", raising=False)
    with pytest.raises(ConfigError, match="NO_SUCH_PASSWORD_VAR .* is not set"):
        open_engine("postgresql+psycopg://me@localhost/db", "NO_SUCH_PASSWORD_VAR")


def test_an_unknown_driver_is_one_clear_error():
    with pytest.raises(ConfigError, match="no database driver for snowflake://me@acct/db"):
        open_engine("snowflake://me@acct/db", None)


def test_urls_are_shown_without_passwords():
    assert shown("postgresql+psycopg://me:pw@h/db") == "postgresql+psycopg://me:***@h/db"
    assert url_problems("duckdb:///data/w.duckdb") == []


def test_chunk_schemas_unify_nulls_and_integers():
    import pyarrow as pa

    first = pa.schema([("id", pa.string()), ("n", pa.int64()), ("note", pa.null())])
    later = pa.schema([("id", pa.string()), ("n", pa.float64()), ("note", pa.null())])
    schema = unified_schema([first, later])
    assert schema.field("n").type == pa.float64() and schema.field("note").type == pa.string()


def test_the_example_warehouse_command(tmp_path, capsys):
    """README: `python -m intentseg.data.example_warehouse URL` fills two tables; a bad URL is one message."""
    from intentseg.data.example_warehouse import main

    main([f"duckdb:///{tmp_path}/w/shop.duckdb", "--customers", "300", "--population", "500"])
    assert "wrote 300 rows to labelled_customers" in capsys.readouterr().out
    engine = open_engine(f"duckdb:///{tmp_path}/w/shop.duckdb", None)
    counts = pd.read_sql("SELECT COUNT(*) AS n, MIN(LENGTH(customer_id)) AS id_length FROM customers", engine)
    engine.dispose()
    assert counts["n"].iloc[0] == 500 and counts["id_length"].iloc[0] >= 1
    with pytest.raises(SystemExit) as stop:
        main(["mysql://me@nowhere/db", "--customers", "300", "--population", "300"])
    assert stop.value.code == 2 and "no database driver for mysql://me@nowhere/db" in capsys.readouterr().err


@pytest.mark.parametrize(
    "updates,expected",
    [
        ({}, "uplift.history is 'sql', which reads data.sql.history_query: it needs data.source sql, got 'simulator'"),
        (
            {"data": {"source": "sql", "sql.url": "duckdb:///w.duckdb", "sql.labelled_query": "q"}},
            "uplift.history is 'sql': set data.sql.history_query",
        ),
    ],
)
def test_a_history_from_sql_needs_the_sql_source_and_its_query(updates, expected):
    from intentseg.config.check import check_params

    params = _with("uplift", {"history": "sql"})
    for section, changes in updates.items():
        params[section] = _with(section, changes)[section]
    with pytest.raises(ConfigError, match="params.yaml has problems") as error:
        check_params(params)
    assert expected in str(error.value)


def test_the_campaign_history_query_is_snapshotted_beside_the_tables(tmp_path):
    """prepare's snapshot of data.sql.history_query is the file uplift.history: sql reads (one manifest entry)."""
    from intentseg.data.reading import read_customer_file
    from intentseg.warehouse.snapshot import snapshot_source

    url = f"duckdb:///{tmp_path}/shop.duckdb"
    engine = open_engine(url, None)
    with engine.begin() as connection:
        pd.DataFrame({"customer_id": ["b", "a"], "x": [1.0, 2.0], "y": [0, 1]}).to_sql("labelled", connection)
        history = pd.DataFrame(
            {"customer_id": ["a", "b"], "month": ["2026-10"] * 2, "contacted": ["yes", "no"]}
            | {"randomised": [True, True], "converted": [1, 0]}
        )
        history.to_sql("campaign", connection)
    engine.dispose()
    config = section_config(
        _with(
            "data",
            {"source": "sql", "sql.url": url, "sql.labelled_query": "SELECT * FROM labelled"}
            | {"sql.history_query": "SELECT customer_id, month, contacted, randomised, converted FROM campaign"},
        ),
        "data",
    ).sql
    targets = {name: str(tmp_path / f"{name}.parquet") for name in ("labelled", "population", "campaign_history")}
    manifest = snapshot_source(config, targets)
    assert set(manifest) == {"labelled", "campaign_history"} and manifest["campaign_history"]["rows"] == 2
    read = read_customer_file(targets["campaign_history"], None).frame
    assert read.columns.tolist() == ["customer_id", "month", "contacted", "randomised", "converted"]


def test_sink_config_reads_the_defaults():
    sink: DatabaseExportConfig = section_config(default_params(), "score").sink
    assert sink.type == "none" and sink.mode == "replace" and sink.rows == "audience"


# ----------------------------------------------------------------------- real databases (e2e tier)
