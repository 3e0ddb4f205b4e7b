"""Real databases (DuckDB, and a throwaway PostgreSQL server from tests/postgres.py): ids round-trip as text, types and NULLs survive, a streamed snapshot keeps memory flat, a failed write leaves the previous table."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from intentseg.foundation.errors import DataContractError, WarehouseError
from intentseg.warehouse.connection import open_engine
from intentseg.warehouse.export_table import write_table
from intentseg.warehouse.snapshot import snapshot_query
from tests.postgres import PASSWORD_ENV

STREAM_PROBE = """
import json, resource, sys
from intentseg.warehouse.connection import open_engine
from intentseg.warehouse.snapshot import snapshot_query
url, password_env, rows, chunk, out = sys.argv[1], sys.argv[2] or None, int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
engine = open_engine(url, password_env)
snapshot = snapshot_query(engine, f"SELECT * FROM population WHERE n < {rows}", out, chunk, "population")
print(json.dumps({"rows": snapshot.rows, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse(request, tmp_path):
    """An engine on an empty DuckDB file or on the session's throwaway PostgreSQL server."""
    if request.param == "duckdb":
        url, password_env = f"duckdb:///{tmp_path / 'warehouse.duckdb'}", None
    else:
        server = request.getfixturevalue("postgres_server")
        url, password_env = server.url, PASSWORD_ENV
    engine = open_engine(url, password_env)
    with engine.begin() as connection:
        for table in ("customers", "audience", "wide"):
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    yield engine
    engine.dispose()


def _customers(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "customer_id": [f"{i:05d}" for i in range(n - 1)] + ["12345678901234567"],
            "orders": pd.array(rng.integers(0, 9, n), dtype="Int64"),
            "spend": np.where(rng.random(n) < 0.2, np.nan, rng.gamma(2, 40, n)),
            "tier": pd.array(np.where(rng.random(n) < 0.1, None, rng.choice(["gold", "silver"], n)), dtype="string"),
            "has_app": rng.random(n) < 0.5,
        }
    )


def test_round_trip_keeps_ids_types_and_nulls(warehouse, tmp_path):
    frame = _customers(1000)
    assert write_table(warehouse, [frame.iloc[:400], frame.iloc[400:]], "customers", "replace") == 1000
    snapshot = snapshot_query(
        warehouse, "SELECT * FROM customers ORDER BY customer_id", tmp_path / "s.parquet", 300, "labelled"
    )
    back = pd.read_parquet(snapshot.path)
    assert snapshot.rows == 1000 and snapshot.columns == tuple(frame.columns)
    assert str(pq.ParquetFile(snapshot.path).schema_arrow.field("customer_id").type) in ("string", "large_string")
    expected = frame.sort_values("customer_id").reset_index(drop=True)
    assert back["customer_id"].tolist() == expected["customer_id"].tolist()  # leading zeros, 17 digits exact
    assert back["spend"].isna().sum() == expected["spend"].isna().sum()
    np.testing.assert_allclose(back["spend"].dropna(), expected["spend"].dropna())
    assert back["tier"].isna().sum() == expected["tier"].isna().sum()
    assert back["has_app"].tolist() == expected["has_app"].tolist()
    assert back["orders"].astype("int64").tolist() == expected["orders"].astype("int64").tolist()
    assert len(snapshot.sha256) == 64


def test_columns_typed_only_by_later_chunks_and_decimals(warehouse, tmp_path):
    with warehouse.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE wide (id TEXT, late_value DOUBLE PRECISION, price NUMERIC(10,2), late_int INTEGER)"
        )
        rows = [
            {"id": f"{i:03d}", "v": None if i < 50 else i / 2, "p": Decimal("9.99"), "n": None if i < 60 else i}
            for i in range(100)
        ]
        connection.execute(sa.text("INSERT INTO wide VALUES (:id, :v, :p, :n)"), rows)
    snapshot = snapshot_query(warehouse, "SELECT * FROM wide ORDER BY id", tmp_path / "w.parquet", 20, "labelled")
    back = pd.read_parquet(snapshot.path)
    assert back["late_value"].isna().sum() == 50 and back["late_value"].iloc[-1] == 49.5
    assert back["price"].dtype == "float64" and back["price"].iloc[0] == pytest.approx(9.99)
    assert back["late_int"].isna().sum() == 60 and back["late_int"].iloc[-1] == 99


def test_bad_queries_are_one_clear_error(warehouse, tmp_path):
    with pytest.raises(WarehouseError, match="the labelled query failed: .*no_such_table"):
        snapshot_query(warehouse, "SELECT * FROM no_such_table", tmp_path / "x.parquet", 10, "labelled")
    write_table(warehouse, [_customers(10)], "customers", "replace")
    with pytest.raises(DataContractError, match="the population query returned no rows"):
        snapshot_query(warehouse, "SELECT * FROM customers WHERE 1 = 0", tmp_path / "x.parquet", 10, "population")
    assert [path.name for path in tmp_path.iterdir() if "parquet" in path.name] == []  # no file, no temporaries


def test_a_failed_write_leaves_the_previous_table(warehouse):
    old = _customers(50)
    write_table(warehouse, [old], "audience", "replace")

    def breaks_midway():
        yield _customers(30)
        raise OSError("connection lost (simulated)")

    with pytest.raises(OSError, match="simulated"):
        write_table(warehouse, breaks_midway(), "audience", "replace")
    with pytest.raises(OSError, match="simulated"):
        write_table(warehouse, breaks_midway(), "audience", "append")
    # a real database error on the second batch: a text id into the integer column of a table made by someone else
    with warehouse.begin() as connection:
        connection.exec_driver_sql("DROP TABLE audience")
        connection.exec_driver_sql("CREATE TABLE audience (customer_id BIGINT, orders BIGINT)")
        connection.exec_driver_sql("INSERT INTO audience VALUES (1, 2)")
    good = pd.DataFrame({"customer_id": ["7"], "orders": [1]})
    bad = pd.DataFrame({"customer_id": ["A-7"], "orders": [1]})
    with pytest.raises(WarehouseError, match="nothing was written and the previous table is intact"):
        write_table(warehouse, [good, bad], "audience", "append")
    assert pd.read_sql("SELECT * FROM audience", warehouse).to_dict("list") == {"customer_id": [1], "orders": [2]}
    write_table(warehouse, [old], "audience", "replace")
    assert pd.read_sql("SELECT COUNT(*) AS n FROM audience", warehouse)["n"].iloc[0] == 50


def test_append_adds_one_batch_per_run(warehouse):
    write_table(warehouse, [_customers(20).assign(run_date="2026-11-01")], "audience", "replace")
    write_table(warehouse, [_customers(20).assign(run_date="2026-11-02")], "audience", "append")
    counts = pd.read_sql("SELECT run_date, COUNT(*) AS n FROM audience GROUP BY run_date ORDER BY run_date", warehouse)
    assert counts["n"].tolist() == [20, 20]


def test_a_million_row_population_streams_with_flat_memory(warehouse, tmp_path):
    """Peak memory while snapshotting 1M rows is about that of 200K rows: chunks, never the whole result."""
    with warehouse.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS population")
        connection.exec_driver_sql(
            "CREATE TABLE population AS SELECT n, 'C' || lpad(CAST(n AS TEXT), 9, '0') AS customer_id, "
            + ", ".join(f"CAST(n AS DOUBLE PRECISION) * {k} / 7 AS f{k}" for k in range(8))
            + ", CASE WHEN mod(n, 3) = 0 THEN 'gold' ELSE 'silver' END AS tier "
            "FROM generate_series(0, 999999) AS s(n)"
        )
    warehouse.dispose()  # DuckDB allows one writing process per file: the probe's
    url = warehouse.url.render_as_string(hide_password=True)
    password_env = PASSWORD_ENV if warehouse.dialect.name == "postgresql" else ""
    peak = {}
    for rows, chunk in ((200_000, 50_000), (1_000_000, 50_000), ("whole", 1_000_000)):
        count = 1_000_000 if rows == "whole" else rows
        result = subprocess.run(
            [sys.executable, "-c", STREAM_PROBE, url, password_env, str(count), str(chunk), str(tmp_path / f"{rows}.parquet")],
            capture_output=True, text=True,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        measured = json.loads(result.stdout.strip().splitlines()[-1])
        assert measured["rows"] == count
        peak[rows] = measured["peak_mb"]
    # the control (one 1M-row chunk) shows what materialising costs; streaming 1M rows must cost ~ 200K rows
    materialising = peak["whole"] - peak[200_000]
    assert materialising > 100, peak
    assert peak[1_000_000] - peak[200_000] < 0.2 * materialising, peak
    assert pq.ParquetFile(tmp_path / "1000000.parquet").metadata.num_rows == 1_000_000
