"""Snapshots of SQL queries as Parquet: streamed in chunks, so memory stays flat as the result grows.

The query runs on a server-side cursor (``stream_results``); each chunk is converted to Arrow and
written as one part file, because a chunk alone cannot know a column's final type (a column that is
all NULL in the first chunk, integers that turn out to have NULLs later). Once every part is written,
the parts' schemas are unified (NULL widens to any type, integers to floats) and the parts are
streamed into one Parquet file, which appears under its name only when complete.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from intentseg.config.data import SqlSourceConfig
from intentseg.foundation.errors import DataContractError, WarehouseError
from intentseg.foundation.io import atomic_path, file_sha256
from intentseg.warehouse.connection import database_errors, database_reason, open_engine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """One query's result written to Parquet: where, how many rows, which columns, and its content hash."""

    path: str
    rows: int
    columns: tuple[str, ...]
    sha256: str

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "rows": self.rows, "columns": list(self.columns), "sha256": self.sha256}


def arrow_chunk(frame: pd.DataFrame) -> pa.Table:
    """A fetched chunk as Arrow: decimals become float64 (models read floats), everything else as fetched."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for index, column in enumerate(table.schema):
        if pa.types.is_decimal(column.type):
            table = table.set_column(index, column.name, table.column(index).cast(pa.float64()))
    return table


def unified_schema(schemas: list[pa.Schema]) -> pa.Schema:
    """One schema every part can be cast to; a column NULL throughout stays text."""
    schema = pa.unify_schemas(schemas, promote_options="permissive")
    fields = [field.with_type(pa.string()) if pa.types.is_null(field.type) else field for field in schema]
    return pa.schema(fields)


def _fetch_parts(engine: sa.Engine, query: str, chunk_rows: int, folder: Path, what: str) -> list[Path]:
    parts: list[Path] = []
    try:
        with engine.connect() as connection:
            streaming = connection.execution_options(stream_results=True, max_row_buffer=chunk_rows)
            for frame in pd.read_sql_query(sa.text(query), streaming, chunksize=chunk_rows):
                duplicates = sorted({name for name in frame.columns if list(frame.columns).count(name) > 1})
                if duplicates:
                    raise DataContractError(f"the {what} query returns duplicate column names {duplicates}; alias them")
                part = folder / f"part-{len(parts):05d}.parquet"
                pq.write_table(arrow_chunk(frame), part)
                parts.append(part)
    except database_errors() as error:
        raise WarehouseError(f"the {what} query failed: {database_reason(error)}\nquery: {query.strip()}") from None
    return parts


def snapshot_query(engine: sa.Engine, query: str, path: str | Path, chunk_rows: int, what: str) -> Snapshot:
    """Run ``query`` and write its result to ``path`` (Parquet), ``chunk_rows`` rows at a time.

    ``what`` names the table in messages ("labelled", "population"). A result with no rows is
    refused: there is nothing to model or score.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.parts.", dir=target.parent))
    try:
        parts = _fetch_parts(engine, query, chunk_rows, folder, what)
        schemas = [pq.read_schema(part) for part in parts]
        rows = sum(pq.ParquetFile(part).metadata.num_rows for part in parts)
        if rows == 0:
            raise DataContractError(f"the {what} query returned no rows\nquery: {query.strip()}")
        schema = unified_schema(schemas).remove_metadata()
        with atomic_path(target) as temporary, pq.ParquetWriter(temporary, schema, compression="zstd") as writer:
            for part in parts:
                writer.write_table(pq.read_table(part).select(schema.names).cast(schema))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Snapshot(str(path), rows, tuple(schema.names), file_sha256(target))


def snapshot_source(config: SqlSourceConfig, paths: dict[str, str]) -> dict[str, dict[str, object]]:
    """Snapshot the labelled query (and the population and campaign history queries, if set) to
    ``paths["labelled"|"population"|"campaign_history"]``.

    Returns each snapshot as a dict (path, rows, columns, sha256) for the manifest.
    """
    engine = open_engine(config.url or "", config.password_env)
    try:
        queries = {
            "labelled": config.labelled_query,
            "population": config.population_query,
            "campaign_history": config.history_query,
        }
        snapshots = {
            name: snapshot_query(engine, query, paths[name], config.chunk_rows, name.replace("_", " "))
            for name, query in queries.items()
            if query is not None
        }
    finally:
        engine.dispose()
    for snapshot in snapshots.values():
        log.info(
            "snapshot %s: %d rows, %d columns, sha256 %s",
            snapshot.path,
            snapshot.rows,
            len(snapshot.columns),
            snapshot.sha256[:12],
        )
    return {name: snapshot.to_dict() for name, snapshot in snapshots.items()}
