"""Reading customer tables as teams export them: CSV in any common dialect, compressed CSV, Parquet.

CSV files are read entirely as text (pyarrow's CSV reader would guess types: ids would lose
their leading zeros, 17-digit ids would become floats); :mod:`intentseg.data.tables` decides
each column's type afterwards. The delimiter (``,`` ``;`` TAB ``|``) and the encoding (UTF-8,
UTF-8 with BOM, cp1252/latin-1) are sniffed unless ``data.read`` sets them. Parquet keeps its
types, whatever their flavour (nullable, arrow-backed, categorical, timezone datetimes).
Anything that cannot be read ends in one :class:`~intentseg.foundation.errors.DataContractError` line.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from intentseg.config.data import ReadConfig
from intentseg.foundation.errors import DataContractError

CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".csv.zip")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUPPORTED = ".csv, .tsv, .txt (optionally .gz or .zip compressed) and .parquet"
DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")  # utf-8-sig reads UTF-8 with or without a BOM
SNIFF_LINES = 200
# Texts that mean "missing" in every column, as spreadsheets and warehouses write them.
MISSING_TEXTS = ("", "NA", "N/A", "n/a", "na", "NaN", "nan", "NULL", "null", "None", "none", "#N/A", "<NA>")


@dataclass(frozen=True)
class RawTable:
    """A table as read from a file, and how it was read (for messages and the data details)."""

    frame: pd.DataFrame
    path: str
    delimiter: str | None = None
    encoding: str | None = None
    decimal: str = "."
    dropped: tuple[str, ...] = ()  # columns that were not data: empty unnamed columns, a written row index

    def describe(self) -> str:
        """How the file was read, e.g. "read as CSV with delimiter ';' and encoding cp1252"."""
        if self.delimiter is None:
            return "read as Parquet"
        return f"read as CSV with delimiter {self.delimiter!r} and encoding {self.encoding}"


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in (*CSV_SUFFIXES, *PARQUET_SUFFIXES):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower() or "(none)"


def _csv_bytes(path: Path, suffix: str) -> bytes:
    """The file's CSV bytes, decompressed (a .zip must hold exactly one file)."""
    if suffix.endswith(".gz"):
        with gzip.open(path, "rb") as handle:
            return handle.read()
    if suffix.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            members = [item for item in archive.namelist() if not item.endswith("/")]
            if len(members) != 1:
                raise DataContractError(f"data source {str(path)!r}: a .zip must hold exactly one CSV, found {members}")
            return archive.read(members[0])
    return path.read_bytes()


def _decode(content: bytes, encoding: str | None, path: str) -> tuple[str, str]:
    """The text and the encoding that decoded it (the configured one, else the first of :data:`ENCODINGS`)."""
    for candidate in (encoding,) if encoding else ENCODINGS:
        try:
            return content.decode(candidate), candidate
        except UnicodeDecodeError as error:
            if encoding:
                raise DataContractError(
                    f"data source {path!r} is not valid {encoding} (data.read.encoding) at byte {error.start}; "
                    "set data.read.encoding to the file's encoding, or null to detect it"
                ) from None
    raise AssertionError("latin-1 decodes any bytes")


def sniff_delimiter(text: str) -> str:
    """The delimiter among :data:`DELIMITERS` that splits the first lines into the most, equally many, fields."""
    lines = text.splitlines()[:SNIFF_LINES]
    best, best_fields = ",", 1
    for delimiter in DELIMITERS:
        counts = {len(row) for row in csv.reader(lines, delimiter=delimiter) if row}
        if len(counts) == 1 and (fields := counts.pop()) > best_fields:
            best, best_fields = delimiter, fields
    return best


def _sniff_decimal(frame: pd.DataFrame, delimiter: str) -> str:
    """',' when a ';'-separated file writes more of its numbers as 1,5 than as 1.5, else '.'."""
    if delimiter != ";":
        return "."
    sample = frame.head(SNIFF_LINES).stack()
    comma = sample.str.fullmatch(r"-?\d+,\d+").sum()
    point = sample.str.fullmatch(r"-?\d+\.\d+").sum()
    return "," if comma > point else "."


def header_of(text: str, delimiter: str) -> list[str]:
    """The header row's names, without surrounding spaces (duplicates included)."""
    return [name.strip() for name in next(csv.reader(io.StringIO(text), delimiter=delimiter), [])]


def _not_data(frame: pd.DataFrame) -> list[str]:
    """Unnamed columns that hold no data: empty ones (a trailing delimiter), or a written row index (0, 1, 2, ...)."""
    dropped = []
    for name in frame.columns:
        if not str(name).startswith("Unnamed: "):
            continue
        values = frame[name]
        if values.isna().all():
            dropped.append(name)
            continue
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        row_numbers = np.arange(len(frame), dtype=float)
        if np.array_equal(numbers, row_numbers) or np.array_equal(numbers, row_numbers + 1):
            dropped.append(name)
    return dropped


def _read_csv(path: Path, suffix: str, config: ReadConfig) -> RawTable:
    content = _csv_bytes(path, suffix)
    if not content.strip():
        raise DataContractError(f"data source {str(path)!r} is empty: no header and no rows")
    text, encoding = _decode(content, config.encoding, str(path))
    delimiter = config.sep or sniff_delimiter(text)
    header = header_of(text, delimiter)
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise DataContractError(
            f"data source {str(path)!r} has duplicate column names {duplicates} (read with delimiter "
            f"{delimiter!r}); rename them so each column has one name"
        )
    frame = pd.read_csv(
        io.StringIO(text),
        sep=delimiter,
        dtype=str,
        keep_default_na=False,
        na_values=[*MISSING_TEXTS, *(config.na_values or ())],
        skipinitialspace=True,
    )
    frame.columns = [str(name).strip() for name in frame.columns]
    dropped = _not_data(frame)
    frame = frame.drop(columns=dropped)
    if len(frame) == 0:
        raise DataContractError(
            f"data source {str(path)!r} has a header ({len(header)} columns) but no rows: nothing to model"
        )
    decimal = config.decimal or _sniff_decimal(frame, delimiter)
    return RawTable(frame, str(path), delimiter, encoding, decimal, tuple(dropped))


def _read_parquet(path: Path) -> RawTable:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise DataContractError(f"data source {str(path)!r} is not a readable Parquet file: {error}") from None
    duplicates = sorted({name for name in table.column_names if table.column_names.count(name) > 1})
    if duplicates:
        raise DataContractError(f"data source {str(path)!r} has duplicate column names {duplicates}")
    if table.num_rows == 0:
        raise DataContractError(f"data source {str(path)!r} has {table.num_columns} columns but no rows")
    return RawTable(table.to_pandas(), str(path))


def in_id_order(table: RawTable, id_column: str | None) -> RawTable:
    """The rows sorted by id (as text, stable), so the run does not depend on the order a database returned.

    A SQL result has no defined order without ORDER BY (parallel scans, another server), and the
    split and decile ties follow row order. Without an id column the order is left as read.
    """
    if id_column is None or id_column not in table.frame.columns:
        return table
    order = table.frame[id_column].astype("string").sort_values(kind="stable", na_position="last").index
    return dataclasses.replace(table, frame=table.frame.loc[order].reset_index(drop=True))


def read_customer_file(path: str, config: ReadConfig) -> RawTable:
    """A customer table from a CSV (plain, .gz, .zip) or Parquet file; one clear error for anything else."""
    file = Path(path)
    suffix = _suffix(file)
    if not file.is_file():
        raise DataContractError(f"data source {path!r} does not exist (paths are relative to the project root)")
    if file.stat().st_size == 0:
        raise DataContractError(f"data source {path!r} is empty (0 bytes)")
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(file)
    if suffix in CSV_SUFFIXES:
        return _read_csv(file, suffix, config)
    raise DataContractError(
        f"data source {path!r}: files ending in {suffix!r} are not supported; supported: {SUPPORTED} "
        "(export a spreadsheet or JSON as CSV first)"
    )
