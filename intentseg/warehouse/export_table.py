"""Writing the export back to a database table, in one transaction.

``replace`` drops and recreates the table inside the transaction and ``append`` adds rows to it;
either way the rows become visible together at commit, and any failure (a lost connection, a type
the existing table refuses, a kill) rolls back to the previous table. Tables are created by pandas'
type mapping (ids and texts as TEXT, probabilities as DOUBLE/FLOAT, flags as BOOLEAN); DuckDB takes
the rows as an Arrow scan instead of INSERT statements (about 100x faster there).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Literal

import pandas as pd
import sqlalchemy as sa

from intentseg.config.score import DatabaseExportConfig
from intentseg.foundation.errors import WarehouseError
from intentseg.warehouse.connection import database_errors, database_reason, open_engine, shown

log = logging.getLogger(__name__)

INSERT_BATCH_ROWS = 50_000


def _split(table: str) -> tuple[str | None, str]:
    schema, _, name = table.rpartition(".")
    return schema or None, name


def _insert_duckdb(connection: sa.Connection, frame: pd.DataFrame, schema: str | None, name: str) -> None:
    raw = connection.connection.driver_connection
    raw.complete()  # DuckDB 2 refuses new work while an earlier result (pandas' table lookup) is open
    raw.register("intentseg_export_rows", frame)
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(str(column)) for column in frame.columns)
    target = f"{quote(schema)}.{quote(name)}" if schema else quote(name)
    raw.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM intentseg_export_rows").fetchall()
    raw.unregister("intentseg_export_rows")  # (after a failure the rollback discards it)


def write_table(
    engine: sa.Engine, frames: Iterable[pd.DataFrame], table: str, mode: Literal["replace", "append"]
) -> int:
    """Write ``frames`` (same columns each) to ``table`` in one transaction; the number of rows written."""
    schema, name = _split(table)
    rows = 0
    try:
        with engine.begin() as connection:
            first = True
            for frame in frames:
                if first:
                    if mode == "replace":  # dropped here, not by pandas: its reflection fails on DuckDB
                        sa.Table(name, sa.MetaData(), schema=schema).drop(connection, checkfirst=True)
                    frame.head(0).to_sql(name, connection, schema=schema, if_exists="append", index=False)
                    first = False
                if engine.dialect.name == "duckdb":
                    _insert_duckdb(connection, frame, schema, name)
                else:
                    frame.to_sql(
                        name, connection, schema=schema, if_exists="append", index=False, chunksize=INSERT_BATCH_ROWS
                    )
                rows += len(frame)
    except database_errors() as error:
        raise WarehouseError(
            f"writing table {table} at {shown(engine.url)} failed, so nothing was written and the previous table "
            f"is intact: {database_reason(error)}"
        ) from None
    return rows


def write_export_table(config: DatabaseExportConfig, frames: Iterable[pd.DataFrame]) -> int:
    """Write ``frames`` to the table ``score.sink`` names, in one transaction; the rows written."""
    engine = open_engine(config.url or "", config.password_env)
    try:
        rows = write_table(engine, frames, config.table or "", config.mode)
    finally:
        engine.dispose()
    log.info("%d rows committed to %s (%s)", rows, config.table, config.mode)
    return rows
